/**
 * `/api/v1/accounts…` except orders: open and list accounts, move cash, read positions,
 * fills, portfolio history and the raw event stream. Reads come from the projections (and
 * honour `X-Min-Position`); writes answer from the write side with `X-Event-Position`.
 */
import { Router } from 'express';
import { buyingPower, type AccountState } from '../../domain/account/index.ts';
import { fmt } from '../../domain/money.ts';
import { normalizeSymbol } from '../../domain/instrument.ts';
import {
  InvalidCursor,
  type AccountView,
  type HistoryTimeframe,
} from '../../projections/trading-views.ts';
import { principalOf, route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { exactBody } from './decimal-json.ts';
import { minPosition, setEventPosition } from './consistency.ts';
import { accountIdOf, tradingContext, type TradingRouteDeps } from './deps.ts';
import {
  accountExample,
  eventExample,
  fillExample,
  historyExample,
  positionExample,
} from './examples.ts';
import { parseInput } from './input.ts';
import {
  AccountPage,
  AccountParams,
  AccountSchema,
  CashMovementBody,
  CashMovementResult,
  EventPage,
  FillPage,
  ListEventsQuery,
  ListFillsQuery,
  OpenAccountBody,
  PortfolioHistoryQuery,
  PortfolioHistorySchema,
  PositionList,
  PositionParams,
  PositionSchema,
} from './schemas.ts';
import { accountBody, eventBody, fillBody, historyBody, positionBody } from './serialize.ts';
import { z } from 'zod';

const p = (path: string): string => `${API_PREFIX}/accounts${path}`;
const TAGS = ['Accounts'];
const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .strict();

/** A just-opened account as the write side knows it (no positions yet). */
function openedAccountView(state: AccountState): AccountView {
  const at = state.openedAt ?? new Date(0).toISOString();
  return {
    id: state.accountId ?? '',
    ownerId: state.ownerId ?? '',
    name: state.name,
    status: 'active',
    currency: 'USD',
    accountType: state.settings.accountType,
    cash: state.cash,
    buyingPower: fmt(buyingPower(state)),
    equity: state.cash,
    lastEquity: state.cash,
    dayPl: '0',
    longMarketValue: '0',
    shortMarketValue: '0',
    realizedPl: state.realizedPnl,
    feesPaid: state.feesPaid,
    totalDeposits: state.totalDeposits,
    totalWithdrawals: state.totalWithdrawals,
    openOrders: 0,
    settings: state.settings,
    createdAt: at,
    updatedAt: state.updatedAt ?? at,
  };
}

/** `period` (`1D`, `2W`, `3M`, `1A`) before `end`. */
export function periodStart(period: string, end: Date): Date {
  const match = /^(\d+)([DWMA])$/.exec(period);
  const n = Number(match?.[1] ?? 1);
  const start = new Date(end);
  switch (match?.[2]) {
    case 'W':
      start.setUTCDate(start.getUTCDate() - 7 * n);
      break;
    case 'M':
      start.setUTCMonth(start.getUTCMonth() - n);
      break;
    case 'A':
      start.setUTCFullYear(start.getUTCFullYear() - n);
      break;
    default:
      start.setUTCDate(start.getUTCDate() - n);
  }
  return start;
}

/** Accounts, cash, positions, fills, portfolio history and events. */
export function mountAccountRoutes(router: Router, deps: TradingRouteDeps): void {
  const read = minPosition(deps.waiter, deps.readWaitMs);

  router.get(
    '/',
    read,
    route(async (req, res) => {
      const q = parseInput(pageQuery, req.query);
      const page = await deps.trading.listAccounts(principalOf(res), q);
      res.json({ items: page.items.map(accountBody), next_cursor: page.nextCursor });
    }),
  );
  documentOperation({
    method: 'get',
    path: p(''),
    tags: TAGS,
    summary: 'List accounts',
    description:
      "The caller's accounts (auditors and admins: every account), oldest first, paged with `cursor`.",
    consistency: 'read',
    request: { query: pageQuery },
    responses: {
      200: {
        description: 'A page of accounts',
        schema: AccountPage,
        example: { items: [accountExample], next_cursor: null },
      },
    },
    errors: { 400: ['invalid_cursor'], 403: ['forbidden'], 422: ['validation_failed'] },
  });

  router.post(
    '/',
    route(async (req, res) => {
      const body = parseInput(OpenAccountBody, exactBody(req));
      const written = await deps.trading.openAccount(
        principalOf(res),
        {
          name: body.name,
          initialCash: body.initial_cash,
          ...(body.account_type === undefined
            ? {}
            : { settings: { accountType: body.account_type } }),
        },
        tradingContext(req, res),
      );
      setEventPosition(res, written.position);
      res
        .status(201)
        .location(p(`/${written.accountId}`))
        .json(accountBody(openedAccountView(written.state)));
    }),
  );
  documentOperation({
    method: 'post',
    path: p(''),
    tags: TAGS,
    summary: 'Open an account',
    description:
      'Opens a paper account owned by the caller, funded with `initial_cash` (whole cents). Needs the trader role (and the `trade` scope for API keys).',
    consistency: 'write',
    request: {
      body: { schema: OpenAccountBody, example: { name: 'Main', initial_cash: '100000' } },
    },
    responses: {
      201: {
        description: 'The new account (`Location` names it)',
        schema: AccountSchema,
        example: accountExample,
        headers: { Location: { description: 'The account URL' } },
      },
    },
    errors: { 403: ['forbidden'], 422: ['validation_failed', 'invalid_amount'] },
  });

  router.get(
    '/:id',
    read,
    route(async (req, res) => {
      const view = await deps.trading.account(principalOf(res), accountIdOf(req));
      res.json(accountBody(view));
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}'),
    tags: TAGS,
    summary: 'Get an account',
    description:
      'Cash, buying power (after reservations of open orders), equity valued at the latest quotes, and the day P&L. Another tenant’s account is 404.',
    consistency: 'read',
    request: { params: AccountParams },
    responses: {
      200: { description: 'The account', schema: AccountSchema, example: accountExample },
    },
    errors: { 403: ['forbidden'], 404: ['account_not_found'] },
  });

  for (const [kind, path] of [
    ['deposit', '/:id/deposits'],
    ['withdrawal', '/:id/withdrawals'],
  ] as const) {
    router.post(
      path,
      route(async (req, res) => {
        const accountId = accountIdOf(req);
        const body = parseInput(CashMovementBody, exactBody(req));
        const input = {
          amount: body.amount,
          ...(body.reference === undefined ? {} : { reference: body.reference }),
        };
        const principal = principalOf(res);
        const context = tradingContext(req, res);
        const written =
          kind === 'deposit'
            ? await deps.trading.deposit(principal, accountId, input, context)
            : await deps.trading.withdraw(principal, accountId, input, context);
        setEventPosition(res, written.position);
        res.status(201).json({
          account_id: accountId,
          cash: written.state.cash,
          total_deposits: written.state.totalDeposits,
          total_withdrawals: written.state.totalWithdrawals,
        });
      }),
    );
    documentOperation({
      method: 'post',
      path: p(kind === 'deposit' ? '/{id}/deposits' : '/{id}/withdrawals'),
      tags: TAGS,
      summary: kind === 'deposit' ? 'Deposit cash' : 'Withdraw cash',
      description:
        kind === 'deposit'
          ? 'Adds cash (whole cents) to the account; answers the new balance.'
          : 'Takes cash (whole cents) out of the account, at most what is withdrawable (cash not reserved by open orders); answers the new balance.',
      consistency: 'write',
      request: {
        params: AccountParams,
        body: { schema: CashMovementBody, example: { amount: '2500', reference: 'wire 42' } },
      },
      responses: {
        201: {
          description: 'The new balance',
          schema: CashMovementResult,
          example: {
            account_id: accountExample.id,
            cash: '102500',
            total_deposits: '102500',
            total_withdrawals: '0',
          },
        },
      },
      errors: {
        403: ['forbidden'],
        404: ['account_not_found'],
        422: [
          'validation_failed',
          'invalid_amount',
          ...(kind === 'deposit' ? [] : ['insufficient_funds']),
        ],
      },
    });
  }

  router.get(
    '/:id/positions',
    read,
    route(async (req, res) => {
      const positions = await deps.trading.positions(principalOf(res), accountIdOf(req));
      res.json({
        items: positions.map((pos) =>
          positionBody(pos, deps.market.asset(pos.symbol)?.exchange ?? ''),
        ),
        next_cursor: null,
      });
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}/positions'),
    tags: ['Positions'],
    summary: 'List open positions',
    description:
      'Every open position with quantity, average entry price and cost basis, valued at the latest quote (market value, unrealized P&L). Not paged: `next_cursor` is always null.',
    consistency: 'read',
    request: { params: AccountParams },
    responses: {
      200: {
        description: 'The open positions',
        schema: PositionList,
        example: { items: [positionExample], next_cursor: null },
      },
    },
    errors: { 403: ['forbidden'], 404: ['account_not_found'] },
  });

  router.get(
    '/:id/positions/:symbol',
    read,
    route(async (req, res) => {
      const symbol = normalizeSymbol(String(req.params.symbol));
      const position = await deps.trading.position(principalOf(res), accountIdOf(req), symbol);
      res.json(positionBody(position, deps.market.asset(position.symbol)?.exchange ?? ''));
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}/positions/{symbol}'),
    tags: ['Positions'],
    summary: 'Get a position',
    description: 'The open position in one symbol; 404 `position_not_found` when there is none.',
    consistency: 'read',
    request: { params: PositionParams },
    responses: {
      200: { description: 'The position', schema: PositionSchema, example: positionExample },
    },
    errors: { 403: ['forbidden'], 404: ['account_not_found', 'position_not_found'] },
  });

  router.get(
    '/:id/fills',
    read,
    route(async (req, res) => {
      const q = parseInput(ListFillsQuery, req.query);
      const page = await deps.trading.fills(principalOf(res), accountIdOf(req), {
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.order_id === undefined ? {} : { orderId: q.order_id }),
        ...(q.symbol === undefined ? {} : { symbol: normalizeSymbol(q.symbol) }),
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.until === undefined ? {} : { until: q.until }),
        direction: q.direction,
      });
      res.json({ items: page.items.map(fillBody), next_cursor: page.nextCursor });
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}/fills'),
    tags: ['Fills'],
    summary: 'List fills',
    description:
      'Executions, newest first by default: quantity, price, commission and fees, and the NBBO quote that priced each one with the fill model that applied, so a fill can be explained and re-derived.',
    consistency: 'read',
    request: { params: AccountParams, query: ListFillsQuery },
    responses: {
      200: {
        description: 'A page of fills',
        schema: FillPage,
        example: { items: [fillExample], next_cursor: null },
      },
    },
    errors: {
      400: ['invalid_cursor'],
      403: ['forbidden'],
      404: ['account_not_found'],
      422: ['validation_failed'],
    },
  });

  router.get(
    '/:id/portfolio/history',
    read,
    route(async (req, res) => {
      const q = parseInput(PortfolioHistoryQuery, req.query);
      const end =
        q.end ?? (q.period === undefined ? undefined : deps.market.clock.now().toISOString());
      const start =
        q.start ??
        (q.period === undefined || end === undefined
          ? undefined
          : periodStart(q.period, new Date(end)).toISOString());
      const timeframe: HistoryTimeframe | undefined = q.timeframe;
      const history = await deps.trading.portfolioHistory(principalOf(res), accountIdOf(req), {
        ...(timeframe === undefined ? {} : { timeframe }),
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
      });
      res.json(historyBody(history));
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}/portfolio/history'),
    tags: ['Accounts'],
    summary: 'Portfolio history',
    description:
      "Equity over time in Alpaca's shape (`timestamp` in Unix seconds, `equity`, `profit_loss`, `profit_loss_pct`, `base_value` as numbers for charts) plus `exact`, the same series as exact decimal strings. `period` (`1D`, `1W`, `1M`, `1A`) counts back from `end` (default now on the market clock); `timeframe` is `1Min`, `5Min`, `15Min`, `1H` or `1D`.",
    consistency: 'read',
    request: { params: AccountParams, query: PortfolioHistoryQuery },
    responses: {
      200: { description: 'The series', schema: PortfolioHistorySchema, example: historyExample },
    },
    errors: { 403: ['forbidden'], 404: ['account_not_found'], 422: ['validation_failed'] },
  });

  router.get(
    '/:id/events',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const q = parseInput(ListEventsQuery, req.query);
      let fromRevision = q.from_revision;
      if (q.cursor !== undefined) {
        if (!/^\d{1,15}$/.test(q.cursor)) {
          throw new InvalidCursor();
        }
        fromRevision = Number(q.cursor);
      }
      const page = await deps.events.read(principalOf(res), accountId, {
        ...(fromRevision === undefined ? {} : { fromRevision }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        direction: q.direction,
      });
      res.json({
        items: page.items.map(eventBody),
        next_cursor: page.nextRevision === null ? null : String(page.nextRevision),
      });
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{id}/events'),
    tags: ['Audit'],
    summary: 'Account event stream',
    description:
      'The raw `account-{id}` stream, paged by revision: every event with its data, metadata (actor, source, correlation id, simulation time, hash chain), revision and global position. For the owner, auditors and admins; read straight from the event store, so it is always current (no `X-Min-Position` needed).',
    request: { params: AccountParams, query: ListEventsQuery },
    responses: {
      200: {
        description: 'A page of events',
        schema: EventPage,
        example: { items: [eventExample], next_cursor: '2' },
      },
    },
    errors: {
      400: ['invalid_cursor'],
      403: ['forbidden'],
      404: ['account_not_found'],
      422: ['validation_failed'],
    },
  });
}
