/**
 * `/v2/options/contracts[/{symbol_or_id}]`: the listed option contracts of the options market
 * in Alpaca's `OptionContract` shape, filtered and paged with Alpaca's query parameters. A
 * read of the market only (no account): the same listing `/api/v1/options/chains` serves.
 */
import type { Router } from 'express';
import { z } from 'zod';
import { Dec } from '../../domain/decimal.ts';
import { isCalendarDate } from '../../domain/options/contract.ts';
import type { OptionsMarket, PricedOption } from '../../market/options/index.ts';
import { addDays, newYorkDate } from '../../market/time-zone.ts';
import { route } from '../authenticate.ts';
import { decimal } from '../v1/decimal-json.ts';
import { parseInput } from '../v1/input.ts';
import type { AlpacaDeps } from './context.ts';
import { AlpacaError } from './errors.ts';
import { occOf, occOfContractId, optionContractId, wireSymbol } from './option-ids.ts';
import { booleanParam, takeList } from './query.ts';
import { assetId } from './wire.ts';

type Json = Record<string, unknown>;

const dateParam = z
  .string()
  .refine(isCalendarDate, { message: 'must be a date YYYY-MM-DD' })
  .meta({ description: 'YYYY-MM-DD' });

const strikeParam = decimal({ maxDecimals: 3, max: '99999.999', sign: 'non_negative' });

const contractsQuery = z
  .object({
    status: z.enum(['active', 'inactive']).default('active'),
    expiration_date: dateParam.optional(),
    expiration_date_gte: dateParam.optional(),
    expiration_date_lte: dateParam.optional(),
    root_symbol: z.string().trim().min(1).max(6).optional(),
    type: z.enum(['call', 'put']).optional(),
    style: z.enum(['american', 'european']).optional(),
    strike_price_gte: strikeParam.optional(),
    strike_price_lte: strikeParam.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
    page_token: z.string().max(200).optional(),
    show_deliverables: booleanParam.optional(),
    // The penny-program indicator: every contract here is on the penny tick schedule.
    ppind: booleanParam.optional(),
  })
  .strict();

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Alpaca's contract name: `AAPL Jan 17 2025 150 Call`. */
function contractName(p: PricedOption): string {
  const [y = '', m = '', d = ''] = p.contract.expiration.split('-');
  const month = MONTHS[Number(m) - 1] ?? m;
  const right = p.contract.right === 'call' ? 'Call' : 'Put';
  return `${p.contract.root} ${month} ${d} ${y} ${p.contract.strike} ${right}`;
}

/**
 * A contract in Alpaca's `OptionContract` shape. `open_interest` is the simulated open
 * interest at the start of today; `close_price` is the last price of the simulated quote
 * (there is no recorded option close), both dated today.
 */
export function optionContractWire(p: PricedOption, today: string, deliverables: boolean): Json {
  const c = p.contract;
  const size = String(c.multiplier);
  return {
    id: optionContractId(c.symbol),
    symbol: wireSymbol(c.symbol),
    name: contractName(p),
    status: 'active',
    tradable: true,
    expiration_date: c.expiration,
    root_symbol: c.root,
    underlying_symbol: c.underlying,
    underlying_asset_id: assetId(c.underlying),
    type: c.right,
    style: c.style,
    strike_price: c.strike,
    multiplier: size,
    size,
    open_interest: String(p.openInterest),
    open_interest_date: today,
    close_price: p.quote.last,
    close_price_date: today,
    ...(deliverables
      ? {
          deliverables: [
            {
              type: 'equity',
              symbol: c.underlying,
              asset_id: assetId(c.underlying),
              amount: size,
              allocation_percentage: '100',
              settlement_type: 'T+1',
              settlement_method: 'CCC',
              delayed_settlement: false,
            },
          ],
        }
      : {}),
  };
}

/** The first Sunday on or after a date (`YYYY-MM-DD`). */
function comingSunday(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, (7 - day) % 7);
}

/** `page_token`: the compact symbol of the last contract of the previous page. */
function encodeToken(symbol: string): string {
  return Buffer.from(symbol, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const symbol = Buffer.from(token, 'base64url').toString('utf8');
  if (occOf(symbol) === undefined) {
    throw new AlpacaError(422, 'invalid_cursor', 'page_token is not a token of this list', {
      errors: [{ field: 'page_token', message: 'must be the next_page_token of the last page' }],
    });
  }
  return symbol;
}

function notAContract(symbol: string): AlpacaError {
  return new AlpacaError(404, 'unknown_symbol', `option contract not found for ${symbol}`);
}

/** Mounts the option-contract routes on the `/v2` router. */
export function mountOptionRoutes(router: Router, deps: AlpacaDeps): void {
  const options: OptionsMarket | undefined = deps.options;

  router.get(
    '/options/contracts',
    route((req, res) => {
      const underlyings = takeList(req.query, 'underlying_symbols', (s) => s.toUpperCase());
      const q = parseInput(contractsQuery, underlyings.rest);
      const today = newYorkDate(deps.market.clock.now());
      // Alpaca's default without any expiration filter: contracts expiring before the coming
      // weekend (the weekend after the next session).
      const lte =
        (q.expiration_date ?? q.expiration_date_gte ?? q.expiration_date_lte)
          ? q.expiration_date_lte
          : comingSunday(deps.market.calendar.sessionOnOrAfter(today).date);
      const after = q.page_token === undefined ? undefined : decodeToken(q.page_token);
      const strikeMin = q.strike_price_gte === undefined ? undefined : new Dec(q.strike_price_gte);
      const strikeMax = q.strike_price_lte === undefined ? undefined : new Dec(q.strike_price_lte);
      const root = q.root_symbol?.toUpperCase();
      const keep = (p: PricedOption): boolean => {
        const c = p.contract;
        if (q.expiration_date !== undefined && c.expiration !== q.expiration_date) return false;
        if (q.expiration_date_gte !== undefined && c.expiration < q.expiration_date_gte) {
          return false;
        }
        if (lte !== undefined && c.expiration > lte) {
          return false;
        }
        if (root !== undefined && c.root !== root) return false;
        if (q.type !== undefined && c.right !== q.type) return false;
        if (q.style !== undefined && c.style !== q.style) return false;
        if (strikeMin !== undefined && new Dec(c.strike).lt(strikeMin)) return false;
        if (strikeMax !== undefined && new Dec(c.strike).gt(strikeMax)) return false;
        return true;
      };
      // Contracts here never become inactive while listed (expired ones are delisted), and
      // every one is American: `inactive`, `european` and `ppind=false` match nothing.
      const nothing = q.status === 'inactive' || q.style === 'european' || q.ppind === false;
      const symbols = [...(underlyings.list ?? deps.market.assets().map((a) => a.symbol))].sort();
      // Underlyings wholly before the token's root were paged already (OCC order is root first).
      const afterRoot = after === undefined ? undefined : occOf(after)?.slice(0, 6).trim();
      const page: PricedOption[] = [];
      let more = false;
      if (options !== undefined && !nothing) {
        for (const underlying of symbols) {
          if (more) break;
          if (
            afterRoot !== undefined &&
            underlying < afterRoot &&
            !afterRoot.startsWith(underlying)
          ) {
            continue;
          }
          const chain = options.chain(underlying);
          if (chain === undefined) continue;
          const listed = chain.contracts
            .map((p) => ({ p, symbol: wireSymbol(p.contract.symbol) }))
            .filter((x) => (after === undefined || x.symbol > after) && keep(x.p))
            .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
          for (const x of listed) {
            if (page.length === q.limit) {
              more = true;
              break;
            }
            page.push(x.p);
          }
        }
      }
      const last = page.at(-1);
      res.json({
        option_contracts: page.map((p) =>
          optionContractWire(p, today, q.show_deliverables === true),
        ),
        next_page_token:
          more && last !== undefined ? encodeToken(wireSymbol(last.contract.symbol)) : null,
      });
      return Promise.resolve();
    }),
  );

  /** One contract by compact or padded OCC symbol, or by its id. */
  router.get(
    '/options/contracts/:symbolOrId',
    route((req, res) => {
      const raw = String(req.params.symbolOrId).trim();
      const occ = occOfContractId(raw) ?? occOf(raw);
      const priced = occ === undefined ? undefined : options?.contract(occ);
      if (priced === undefined) throw notAContract(raw);
      res.json(optionContractWire(priced, newYorkDate(deps.market.clock.now()), true));
      return Promise.resolve();
    }),
  );
}
