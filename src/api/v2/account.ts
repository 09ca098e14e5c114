/**
 * `/v2/account…` and `/v2/positions…`: the account, its configuration, portfolio history,
 * activities and positions, read from the projections through `TradingCommands`; closing a
 * position is a market order placed through the same command path as any other.
 */
import type { Response, Router } from 'express';
import { z } from 'zod';
import { Dec } from '../../domain/decimal.ts';
import { fmt } from '../../domain/money.ts';
import type { SettingsPatch } from '../../domain/account/index.ts';
import type { Principal } from '../../commands/policy.ts';
import type { FillView, HistoryTimeframe, PositionView } from '../../projections/trading-views.ts';
import { principalOf, route } from '../authenticate.ts';
import { periodStart } from '../v1/accounts-routes.ts';
import { parseInput } from '../v1/input.ts';
import { decimal } from '../v1/decimal-json.ts';
import { HISTORY_PERIODS, HISTORY_TIMEFRAMES } from '../v1/schemas.ts';
import { accountOf, alpacaContext, type AccountWatermarks, type AlpacaDeps } from './context.ts';
import { AlpacaError, alpacaCode, toAlpacaError } from './errors.ts';
import { occOf, occOfContractId, optionContractId, wireSymbol } from './option-ids.ts';
import { placedOrder } from './orders.ts';
import { booleanParam, civilDateOf, instantParam, takeList } from './query.ts';
import {
  accountWire,
  activityId,
  assetId,
  configurationsWire,
  fillActivityWire,
  historyWire,
  positionWire,
} from './wire.ts';

type Json = Record<string, unknown>;

const historyQuery = z
  .object({
    period: z
      .string()
      .regex(HISTORY_PERIODS, { message: 'must be a number followed by D, W, M or A (e.g. 1M)' })
      .optional(),
    timeframe: z.enum(HISTORY_TIMEFRAMES).optional(),
    start: instantParam.optional(),
    end: instantParam.optional(),
    // 3.x names.
    date_start: instantParam.optional(),
    date_end: instantParam.optional(),
    // Accepted; the history is always the regular and extended session, no P&L reset.
    intraday_reporting: z.enum(['market_hours', 'extended_hours', 'continuous']).optional(),
    pnl_reset: z.enum(['per_day', 'no_reset']).optional(),
    extended_hours: booleanParam.optional(),
    force_engine_version: z.string().max(10).optional(),
  })
  .strict();

const configurationsPatch = z
  .object({
    no_shorting: z.boolean().optional(),
    fractional_trading: z.boolean().optional(),
    max_margin_multiplier: z.union([z.string(), z.number()]).optional(),
    // Alpaca switches we do not model: accepted only with the value they have here.
    dtbp_check: z.literal('entry').optional(),
    pdt_check: z.literal('entry').optional(),
    trade_confirm_email: z.literal('none').optional(),
    suspend_trade: z.literal(false).optional(),
    ptp_no_exception_entry: z.literal(false).optional(),
    // Options levels 1–3 (options cannot be switched off here: 0 is refused).
    max_options_trading_level: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
  })
  .strict();

/** Alpaca's activity types; only `FILL` is recorded here (see docs/alpaca.md). */
const ACTIVITY_TYPES = [
  'FILL',
  'TRANS',
  'MISC',
  'ACATC',
  'ACATS',
  'CFEE',
  'CSD',
  'CSW',
  'DIV',
  'DIVCGL',
  'DIVCGS',
  'DIVFEE',
  'DIVFT',
  'DIVNRA',
  'DIVROC',
  'DIVTW',
  'DIVTXEX',
  'FEE',
  'INT',
  'INTNRA',
  'INTTW',
  'JNL',
  'JNLC',
  'JNLS',
  'MA',
  'NC',
  'OPASN',
  'OPEXP',
  'OPXRC',
  'PTC',
  'PTR',
  'REORG',
  'SC',
  'SSO',
  'SSP',
];

const activitiesQuery = z
  .object({
    category: z.enum(['trade_activity', 'non_trade_activity']).optional(),
    date: instantParam.optional(),
    after: instantParam.optional(),
    until: instantParam.optional(),
    direction: z.enum(['asc', 'desc']).default('desc'),
    page_size: z.coerce.number().int().min(1).max(100).default(100),
    page_token: z.string().max(200).optional(),
  })
  .strict();

const closeQuery = z
  .object({
    qty: decimal({ maxDecimals: 9, max: '100000000' }).optional(),
    percentage: decimal({ maxDecimals: 9, max: '100' }).optional(),
  })
  .strict();

/**
 * The `{symbol_or_asset_id}` of a position path, as the symbol: an asset or contract id, an
 * OCC option symbol (compact or padded), or a ticker.
 */
function symbolParam(value: unknown, positions: readonly PositionView[]): string | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const id = value.toLowerCase();
  const byId = positions.find((p) =>
    p.instrument.kind === 'option' ? optionContractId(p.symbol) === id : assetId(p.symbol) === id,
  );
  return byId?.symbol ?? occOfContractId(value) ?? occOf(value) ?? value.toUpperCase();
}

function positionNotFound(): AlpacaError {
  return new AlpacaError(404, 'position_not_found', 'position does not exist');
}

function isoAfter(at: string, ms: number): string {
  return new Date(Date.parse(at) + ms).toISOString();
}

/** The transaction time written in an activity id (`YYYYMMDDHHmmssSSS::fillId`). */
function tokenTime(token: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})::/.exec(token);
  if (!m) {
    throw new AlpacaError(422, 'invalid_cursor', 'page_token is not an activity id of this list', {
      errors: [
        { field: 'page_token', message: 'must be the id of an activity from the last page' },
      ],
    });
  }
  return `${m[1] ?? ''}-${m[2] ?? ''}-${m[3] ?? ''}T${m[4] ?? ''}:${m[5] ?? ''}:${m[6] ?? ''}.${m[7] ?? ''}Z`;
}

/** Pages of fills read at most for one activities page. */
const MAX_PAGES = 20;

export function mountAccountRoutes(
  router: Router,
  deps: AlpacaDeps,
  marks: AccountWatermarks,
): void {
  const { trading, market } = deps;

  /** The caller's account after its own writes. */
  async function settled(res: Response): Promise<{ principal: Principal; accountId: string }> {
    const accountId = await accountOf(trading, res);
    await marks.settle(accountId);
    return { principal: principalOf(res), accountId };
  }

  router.get(
    '/account',
    route(async (_req, res) => {
      const { principal, accountId } = await settled(res);
      res.json(accountWire(await trading.account(principal, accountId), market.clock.now()));
    }),
  );

  router.get(
    '/account/configurations',
    route(async (_req, res) => {
      const { principal, accountId } = await settled(res);
      res.json(configurationsWire(await trading.account(principal, accountId)));
    }),
  );

  /** Changes `no_shorting`, `fractional_trading`, `max_margin_multiplier` (margin accounts). */
  router.patch(
    '/account/configurations',
    route(async (req, res) => {
      const body = parseInput(configurationsPatch, req.body ?? {});
      const { principal, accountId } = await settled(res);
      const view = await trading.account(principal, accountId);
      const patch: { -readonly [K in keyof SettingsPatch]: SettingsPatch[K] } = {};
      if (body.no_shorting !== undefined) {
        if (!body.no_shorting && view.accountType !== 'margin') {
          throw new AlpacaError(
            422,
            'validation_failed',
            'no_shorting: a cash account cannot short',
            {
              errors: [{ field: 'no_shorting', message: 'a cash account cannot short' }],
            },
          );
        }
        patch.shortingEnabled = !body.no_shorting;
      }
      if (body.fractional_trading !== undefined) patch.fractionalTrading = body.fractional_trading;
      if (body.max_options_trading_level !== undefined) {
        patch.optionsLevel = body.max_options_trading_level;
      }
      if (body.max_margin_multiplier !== undefined) {
        const m = String(body.max_margin_multiplier);
        if (view.accountType !== 'margin' ? m !== '1' : !['1', '2', '4'].includes(m)) {
          throw new AlpacaError(
            422,
            'validation_failed',
            `max_margin_multiplier must be ${view.accountType === 'margin' ? '1, 2 or 4' : '1 for a cash account'}`,
            { errors: [{ field: 'max_margin_multiplier', message: 'is not allowed' }] },
          );
        }
        if (view.accountType === 'margin') patch.marginMultiplier = m;
      }
      if (Object.keys(patch).length > 0) {
        const written = await trading.updateSettings(
          principal,
          accountId,
          patch,
          alpacaContext(req, res),
        );
        marks.note(accountId, written.position);
        await marks.settle(accountId);
      }
      res.json(configurationsWire(await trading.account(principal, accountId)));
    }),
  );

  router.get(
    '/account/portfolio/history',
    route(async (req, res) => {
      const q = parseInput(historyQuery, req.query);
      const now = market.clock.now();
      const end = q.end ?? q.date_end ?? (q.period === undefined ? undefined : now.toISOString());
      const start =
        q.start ??
        q.date_start ??
        (q.period === undefined
          ? undefined
          : periodStart(q.period, new Date(end ?? now)).toISOString());
      const timeframe: HistoryTimeframe | undefined = q.timeframe;
      const { principal, accountId } = await settled(res);
      const history = await trading.portfolioHistory(principal, accountId, {
        ...(timeframe === undefined ? {} : { timeframe }),
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
      });
      res.json(historyWire(history));
    }),
  );

  /** Account activities: `FILL`s from the fills read model, paged by `page_token` (an id). */
  async function activities(
    res: Response,
    query: Record<string, unknown>,
    only?: string,
  ): Promise<Json[]> {
    const types = takeList(query, 'activity_types', (s) => s.toUpperCase());
    const q = parseInput(activitiesQuery, types.rest);
    const requested = only === undefined ? types.list : [only.toUpperCase()];
    for (const t of requested ?? []) {
      if (!ACTIVITY_TYPES.includes(t)) {
        throw new AlpacaError(
          422,
          'validation_failed',
          `activity type ${t} is not an Alpaca activity type`,
          {
            errors: [
              {
                field: only === undefined ? 'activity_types' : 'activity_type',
                message: 'unknown type',
              },
            ],
          },
        );
      }
    }
    const fills =
      (requested === undefined || requested.includes('FILL')) &&
      q.category !== 'non_trade_activity';
    const { principal, accountId } = await settled(res);
    if (!fills) return [];
    let after = q.after;
    let until = q.until;
    if (q.date !== undefined) {
      const day = civilDateOf(q.date);
      after = isoAfter(`${day}T00:00:00.000Z`, -1);
      until = isoAfter(`${day}T00:00:00.000Z`, 86_400_000);
    }
    // `page_token` is the id of the last activity seen: its millisecond is read again, and
    // the fills of that millisecond up to the token itself (seen already) are skipped.
    let skip: { readonly id: string; readonly at: number } | undefined;
    if (q.page_token !== undefined) {
      const at = tokenTime(q.page_token);
      if (q.direction === 'desc') until = isoAfter(at, 1);
      else after = isoAfter(at, -1);
      skip = { id: q.page_token, at: Date.parse(at) };
    }
    const out: FillView[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_PAGES && out.length < q.page_size; pages += 1) {
      const page = await trading.fills(principal, accountId, {
        direction: q.direction,
        limit: q.page_size + 1,
        ...(after === undefined ? {} : { after }),
        ...(until === undefined ? {} : { until }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const fill of page.items) {
        if (skip !== undefined) {
          if (Date.parse(fill.at) === skip.at) {
            if (activityId(fill) === skip.id) skip = undefined;
            continue;
          }
          skip = undefined;
        }
        out.push(fill);
      }
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return out.slice(0, q.page_size).map(fillActivityWire);
  }

  router.get(
    '/account/activities',
    route(async (req, res) => {
      res.json(await activities(res, req.query));
    }),
  );

  router.get(
    '/account/activities/:activityType',
    route(async (req, res) => {
      res.json(await activities(res, req.query, String(req.params.activityType)));
    }),
  );

  // ─── positions ────────────────────────────────────────────────────────────────────────────

  router.get(
    '/positions',
    route(async (_req, res) => {
      const { principal, accountId } = await settled(res);
      const positions = await trading.positions(principal, accountId);
      res.json(positions.map((p) => positionWire(p, market.asset(p.symbol))));
    }),
  );

  router.get(
    '/positions/:symbol',
    route(async (req, res) => {
      const { principal, accountId } = await settled(res);
      const positions = await trading.positions(principal, accountId);
      const symbol = symbolParam(req.params.symbol, positions);
      const position = positions.find((p) => p.symbol === symbol);
      if (position === undefined) throw positionNotFound();
      res.json(positionWire(position, market.asset(position.symbol)));
    }),
  );

  /**
   * Closes (part of) a position with a market order: all of it, `qty` shares, or `percentage`
   * of it. Answers the closing order.
   */
  async function closePosition(
    req: Parameters<Parameters<typeof route>[0]>[0],
    res: Response,
    position: PositionView,
    amount: { readonly qty?: string; readonly percentage?: string },
  ): Promise<Json> {
    const { principal, accountId } = {
      principal: principalOf(res),
      accountId: await accountOf(trading, res),
    };
    const held = new Dec(position.qty).abs();
    let qty = held;
    if (amount.qty !== undefined) qty = new Dec(amount.qty);
    if (amount.percentage !== undefined) {
      // Options trade whole contracts.
      const places = position.instrument.kind === 'option' ? 0 : 9;
      qty = held.times(amount.percentage).dividedBy(100).toDecimalPlaces(places, Dec.ROUND_DOWN);
    }
    if (qty.gt(held)) {
      throw new AlpacaError(
        403,
        'insufficient_position',
        `insufficient qty available for order (requested: ${fmt(qty)}, available: ${fmt(held)})`,
      );
    }
    if (qty.lte(0)) {
      throw new AlpacaError(422, 'validation_failed', 'qty must be > 0', {
        errors: [
          {
            field: amount.percentage === undefined ? 'qty' : 'percentage',
            message: 'must close more than zero shares',
          },
        ],
      });
    }
    const placed = await trading.placeOrder(
      principal,
      accountId,
      {
        instrument: position.instrument,
        side: position.side === 'long' ? 'sell' : 'buy',
        type: 'market',
        timeInForce: 'day',
        qty: fmt(qty),
      },
      {},
      alpacaContext(req, res),
    );
    marks.note(accountId, placed.position);
    return placedOrder(placed);
  }

  router.delete(
    '/positions/:symbol',
    route(async (req, res) => {
      const q = parseInput(closeQuery, req.query);
      if (q.qty !== undefined && q.percentage !== undefined) {
        throw new AlpacaError(422, 'validation_failed', 'give qty or percentage, not both', {
          errors: [{ field: 'percentage', message: 'cannot be given with qty' }],
        });
      }
      const { principal, accountId } = await settled(res);
      const positions = await trading.positions(principal, accountId);
      const symbol = symbolParam(req.params.symbol, positions);
      const position = positions.find((p) => p.symbol === symbol);
      if (position === undefined) throw positionNotFound();
      res.json(await closePosition(req, res, position, q));
    }),
  );

  /**
   * Exercises a long option position now (American style): every contract not promised to an
   * open sell order, as Alpaca exercises "all available held shares". The position is named by
   * compact or padded OCC symbol or by contract id. Not held: 404; short, expired, or a put
   * without the shares in a cash account: 422; the strike cannot be paid: 403.
   */
  router.post(
    '/positions/:symbol/exercise',
    route(async (req, res) => {
      const { principal, accountId } = await settled(res);
      const positions = await trading.positions(principal, accountId);
      const symbol = symbolParam(req.params.symbol, positions);
      const position = positions.find((p) => p.symbol === symbol && p.assetClass === 'us_option');
      if (position === undefined) throw positionNotFound();
      try {
        const written = await trading.exerciseOption(
          principal,
          accountId,
          position.symbol,
          undefined,
          alpacaContext(req, res),
        );
        marks.note(accountId, written.position);
        const event = written.events.find((e) => e.type === 'OptionExercised');
        res.json({
          symbol: wireSymbol(position.symbol),
          contract_id: optionContractId(position.symbol),
          status: 'exercised',
          ...(event?.type === 'OptionExercised' ? { exercise: event.data } : {}),
        });
      } catch (error) {
        const failed = toAlpacaError(error, req, res);
        // Alpaca answers a shortfall of funds as a permission problem (403), like buying power.
        if (failed.reason === 'insufficient_funds') {
          throw new AlpacaError(403, failed.reason, failed.message, failed.extra);
        }
        throw failed;
      }
    }),
  );

  /** A do-not-exercise instruction: not modelled (in-the-money contracts exercise at expiry). */
  router.post(
    '/positions/:symbol/do-not-exercise',
    route(() => {
      return Promise.reject(
        new AlpacaError(
          422,
          'not_supported',
          'do-not-exercise instructions are not supported: contracts in the money by $0.01 or more at the expiration close are exercised; close the position before then instead',
        ),
      );
    }),
  );

  /** Closes every position (after canceling open orders with `cancel_orders=true`): 207. */
  router.delete(
    '/positions',
    route(async (req, res) => {
      const q = parseInput(
        z.object({ cancel_orders: booleanParam.optional() }).strict(),
        req.query,
      );
      const { principal, accountId } = await settled(res);
      if (q.cancel_orders === true) {
        const written = await trading.cancelAll(principal, accountId, alpacaContext(req, res));
        marks.note(accountId, written.position);
      }
      const positions = await trading.positions(principal, accountId);
      const results: Json[] = [];
      for (const position of positions) {
        try {
          results.push({
            symbol: position.symbol,
            status: 200,
            body: await closePosition(req, res, position, {}),
          });
        } catch (error) {
          const failed = toAlpacaError(error, req, res);
          results.push({
            symbol: position.symbol,
            status: failed.status,
            body: {
              code: alpacaCode(failed.status),
              message: failed.message,
              reason: failed.reason,
            },
          });
        }
      }
      res.status(207).json(results);
    }),
  );
}
