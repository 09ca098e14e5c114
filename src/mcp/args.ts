/**
 * Tool arguments as models send them. Each field schema is lenient where a model is sloppy but
 * the meaning is still clear — numbers as strings (`"10"`), a leading `$` on prices, a trailing
 * `%` on percentages, lower-case or padded tickers (`" aapl "`), `null` or `""` for an omitted
 * optional argument, camelCase spellings of our names (`limitPrice`) — and strict where it is
 * not: thousands separators (`"1,000"` is `1000` in New York and `1` in Berlin), unknown
 * arguments, zero or negative quantities. Every refusal names the argument and says how to fix
 * it (`ToolInputError`), so the model can correct itself in one step.
 *
 * The schemas are zod; the tool layer (`tool.ts`) advertises their JSON Schema and validates
 * with them itself, so a bad argument is always a readable tool error, never a protocol error.
 */
import * as z from 'zod';
import type { TimeInForce } from '../domain/account/index.ts';
import { isValidClientOrderId, isValidId } from '../domain/ids.ts';
import { isValidEquitySymbol, normalizeSymbol } from '../domain/instrument.ts';
import { fmt, parseDecimal, type DecimalString } from '../domain/money.ts';
import { canonicalOcc } from '../domain/options/contract.ts';

/** What each argument is, with an example: used in tool descriptions and in error fixes. */
export const ARGUMENT_HINTS: Readonly<Record<string, string>> = {
  symbol: 'a US stock ticker such as "AAPL" or "BRK.B" (case and surrounding spaces do not matter)',
  symbols: 'one ticker or several separated by commas, e.g. "AAPL" or "AAPL,MSFT,SPY"',
  quantity:
    'a positive number of shares, e.g. 10 or "10" (fractional shares such as 0.5 only for market day orders)',
  limit_price:
    'the limit price in dollars, e.g. 185.5 or "185.50" (whole cents at or above $1, up to 4 decimals below $1)',
  stop_price: 'the stop (trigger) price in dollars, e.g. 170 or "170.00"',
  trail_percent: 'the trailing distance in percent, e.g. 2.5 for 2.5 % (0 < value < 100)',
  trail_amount: 'the trailing distance in dollars, e.g. 3 or "3.00"',
  time_in_force:
    "one of day (default: until today's close), gtc (until canceled), ioc, fok, opg (opening auction), cls (closing auction)",
  extended_hours: 'true to let a limit day order also work in pre- and post-market; default false',
  account_id:
    'the account to use; omit it to use your default account (account_info lists your accounts)',
  client_order_id:
    'your own id for this order, 1-128 printable characters; sending the same id again returns the original order instead of placing a second one, so retries are safe',
  order_id: 'the order id returned when the order was placed (stock_orders lists them)',
  side: 'buy or sell',
  type: 'market, limit, stop, stop_limit or trailing_stop',
  status: 'open, closed or all',
  limit: 'how many items to return, 1-500',
  cursor: 'the next_cursor of the previous page',
  timeframe: '1Min, 5Min, 15Min, 1H or 1D',
  start: 'an ISO-8601 date or date-time, e.g. "2025-03-03" or "2025-03-03T14:30:00Z"',
  end: 'an ISO-8601 date or date-time, e.g. "2025-03-07"',
  date: 'a New York calendar date, e.g. "2025-12-24"; omit it for today',
  trail:
    'the new trailing distance: trail_percent for an order trailing by percent, trail_amount for one trailing by dollars',
  // Analysis and risk tools.
  indicators:
    'indicator specs such as "rsi:14,macd:12:26:9" or ["sma:50", "bbands:20:2"]; names: sma, ema, wma, rsi, macd, bbands, atr, stoch, adx, obv, vwap',
  levels: 'how many price levels per side, 1-50 (default 10)',
  lookback_days: 'sessions of daily price history, 20-1260 (default 504, about two years)',
  days: 'how many days around now, 1-31 (default 7)',
};

/** A finite number within bounds (`"2.5"`, a trailing `%` accepted). */
export function numberArg(name: string, min: number, max: number, description: string) {
  return lenient(numberOrString(), (v): Parsed<number> => {
    const n =
      typeof v === 'number'
        ? v
        : Number(
            v
              .trim()
              .replace(/\s*%$/, '')
              .replace(/^\$\s*/, ''),
          );
    if (!Number.isFinite(n) || n < min || n > max) {
      return refuse(
        `${name} must be a number from ${String(min)} to ${String(max)} (got ${JSON.stringify(v)})`,
      );
    }
    return n;
  }).meta({ type: 'number', minimum: min, maximum: max, description });
}

/** Why a tool call was refused before anything ran: the argument and how to fix it. */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
  readonly code = 'invalid_argument';
  constructor(
    readonly field: string | undefined,
    message: string,
    readonly fix: string | undefined,
  ) {
    super(message);
  }
}

/** A lenient parser's refusal: the message names the argument and what was wrong. */
class Refusal {
  constructor(readonly error: string) {}
}

type Parsed<T> = T | Refusal;

function refuse(error: string): Refusal {
  return new Refusal(error);
}

function isFailure<T>(value: Parsed<T>): value is Refusal {
  return value instanceof Refusal;
}

/** Runs a lenient parser inside zod, turning its refusal into a custom issue. */
function lenient<In extends z.ZodType, T>(base: In, parse: (value: z.output<In>) => Parsed<T>) {
  return base.transform((value, ctx): T => {
    const parsed = parse(value);
    if (isFailure(parsed)) {
      ctx.addIssue({ code: 'custom', message: parsed.error, input: value });
      return z.NEVER;
    }
    return parsed;
  });
}

const numberOrString = (): z.ZodUnion<[z.ZodNumber, z.ZodString]> =>
  z.union([z.number(), z.string()]);

/** A positive exact decimal; `unit` governs the lenient decorations (`$`, `%`). */
function positiveDecimal(
  name: string,
  raw: number | string,
  unit: 'shares' | 'dollars' | 'percent',
): Parsed<DecimalString> {
  let text = typeof raw === 'number' ? raw : raw.trim();
  if (typeof text === 'string') {
    if (unit === 'dollars') text = text.replace(/^\$\s*/, '');
    if (unit === 'percent') text = text.replace(/\s*%$/, '');
    if (unit === 'shares') text = text.replace(/\s*shares?$/i, '');
    if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text) || text.includes(',')) {
      return refuse(
        `${name} must be written without thousands separators or decimal commas (got "${raw}"); write 1000 or 1.5`,
      );
    }
  }
  let value;
  try {
    value = parseDecimal(text, name);
  } catch {
    return refuse(`${name} must be a number (got ${JSON.stringify(raw)})`);
  }
  if (!value.greaterThan(0)) {
    return refuse(`${name} must be greater than zero (got ${JSON.stringify(raw)})`);
  }
  if (value.greaterThanOrEqualTo('1e12')) {
    return refuse(`${name} is too large (got ${JSON.stringify(raw)})`);
  }
  return fmt(value);
}

/** A quantity of shares: a positive decimal (numbers or strings). */
export const quantityArg = lenient(numberOrString(), (v) =>
  positiveDecimal('quantity', v, 'shares'),
).meta({ description: `Shares: ${ARGUMENT_HINTS.quantity ?? ''}.`, examples: [10, '2.5'] });

/** A price in dollars: a positive decimal; a leading `$` is accepted. */
export function priceArg(name: 'limit_price' | 'stop_price' | 'trail_amount', description: string) {
  return lenient(numberOrString(), (v) => positiveDecimal(name, v, 'dollars')).meta({
    description,
    examples: [185.5, '185.50'],
  });
}

/** A percentage (`2.5` = 2.5 %); a trailing `%` is accepted. */
export const trailPercentArg = lenient(numberOrString(), (v) => {
  const parsed = positiveDecimal('trail_percent', v, 'percent');
  if (isFailure(parsed)) return parsed;
  if (Number(parsed) >= 100) return refuse(`trail_percent must be below 100 (got ${parsed})`);
  return parsed;
}).meta({ description: `Trailing distance in percent: ${ARGUMENT_HINTS.trail_percent ?? ''}.` });

/** A US stock ticker, normalized (`" aapl "` → `AAPL`, `$TSLA` → `TSLA`). */
export const symbolArg = lenient(z.string(), (v) => {
  const symbol = normalizeSymbol(v).replace(/^\$/, '');
  if (!isValidEquitySymbol(symbol)) {
    return refuse(
      `symbol must be a US stock ticker such as "AAPL" or "BRK.B" (got ${JSON.stringify(v)})`,
    );
  }
  return symbol;
}).meta({ description: `The stock: ${ARGUMENT_HINTS.symbol ?? ''}.`, examples: ['AAPL'] });

/** A stock ticker or an OCC option symbol (padded or compact), normalized. */
export const stockOrOptionSymbolArg = lenient(z.string(), (v) => {
  const occ = canonicalOcc(v.trim().toUpperCase());
  if (occ !== undefined) return occ;
  const symbol = normalizeSymbol(v).replace(/^\$/, '');
  if (!isValidEquitySymbol(symbol)) {
    return refuse(
      `symbol must be a US stock ticker such as "AAPL" or an OCC option symbol such as "AAPL  260116C00280000" (got ${JSON.stringify(v)})`,
    );
  }
  return symbol;
}).meta({
  description: `The stock (${ARGUMENT_HINTS.symbol ?? ''}) or an option contract by OCC symbol.`,
  examples: ['AAPL', 'AAPL  260116C00280000'],
});

/** One ticker or a comma-separated list of up to 25, normalized and de-duplicated. */
export const symbolsArg = lenient(z.union([z.string(), z.array(z.string())]), (v) => {
  const parts = (Array.isArray(v) ? v : v.split(','))
    .map((s) => normalizeSymbol(s).replace(/^\$/, ''))
    .filter((s) => s.length > 0);
  if (parts.length === 0) return refuse('symbol must name at least one ticker');
  if (parts.length > 25) return refuse(`at most 25 symbols per call (got ${parts.length})`);
  const bad = parts.find((s) => !isValidEquitySymbol(s));
  if (bad !== undefined) {
    return refuse(`"${bad}" is not a US stock ticker such as "AAPL" or "BRK.B"`);
  }
  return [...new Set(parts)];
}).meta({ description: `The stock(s): ${ARGUMENT_HINTS.symbols ?? ''}.`, examples: ['AAPL'] });

const TIME_IN_FORCE = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'] as const;

/** Time in force, case-insensitive (`"GTC"`, `"Day"`). */
export const timeInForceArg = lenient(z.string(), (v): Parsed<TimeInForce> => {
  const tif = v.trim().toLowerCase();
  const found = TIME_IN_FORCE.find((t) => t === tif);
  return found ?? refuse(`time_in_force must be one of ${TIME_IN_FORCE.join(', ')} (got "${v}")`);
}).meta({
  type: 'string',
  enum: [...TIME_IN_FORCE],
  description: `How long the order works: ${ARGUMENT_HINTS.time_in_force ?? ''}.`,
});

/** A boolean; `"true"`/`"false"` (any case) are accepted. */
export function booleanArg(name: string, description: string) {
  return lenient(z.union([z.boolean(), z.string()]), (v): Parsed<boolean> => {
    if (typeof v === 'boolean') return v;
    const text = v.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    return refuse(`${name} must be true or false (got "${v}")`);
  }).meta({ description });
}

/** An id of ours (account or order): printable, no spaces. */
export function idArg(name: 'account_id' | 'order_id', description: string) {
  return lenient(z.string(), (v): Parsed<string> => {
    const id = v.trim();
    return isValidId(id) ? id : refuse(`${name} is not a valid id (got ${JSON.stringify(v)})`);
  }).meta({ description });
}

/** The client's own order id: 1-128 printable ASCII characters, no spaces. */
export const clientOrderIdArg = lenient(z.string(), (v): Parsed<string> => {
  const id = v.trim();
  return isValidClientOrderId(id)
    ? id
    : refuse(
        `client_order_id must be 1-128 printable characters without spaces (got ${JSON.stringify(v)})`,
      );
}).meta({ description: `Optional: ${ARGUMENT_HINTS.client_order_id ?? ''}.` });

/** A choice among a few lower-case words, case-insensitive. */
export function choiceArg<const T extends string>(
  name: string,
  choices: readonly T[],
  description: string,
) {
  return lenient(z.string(), (v): Parsed<T> => {
    const text = v.trim().toLowerCase();
    const found = choices.find((c) => c.toLowerCase() === text);
    return found ?? refuse(`${name} must be one of ${choices.join(', ')} (got "${v}")`);
  }).meta({ type: 'string', enum: [...choices], description });
}

/** A whole number within bounds (`"20"` accepted). */
export function integerArg(name: string, min: number, max: number, description: string) {
  return lenient(numberOrString(), (v): Parsed<number> => {
    const n = typeof v === 'number' ? v : Number(v.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      return refuse(
        `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`,
      );
    }
    return n;
  }).meta({ type: 'integer', minimum: min, maximum: max, description });
}

/** An ISO-8601 date (`2025-03-03`) or date-time with offset; returned as an ISO string. */
export function instantArg(name: string, description: string) {
  return lenient(z.string(), (v): Parsed<string> => {
    const text = v.trim();
    const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text);
    const ms = Date.parse(text);
    if (!ok || Number.isNaN(ms)) {
      return refuse(
        `${name} must be an ISO-8601 date or date-time such as "2025-03-03" or "2025-03-03T14:30:00Z" (got ${JSON.stringify(v)})`,
      );
    }
    return new Date(ms).toISOString();
  }).meta({ type: 'string', description });
}

/** A New York civil date `YYYY-MM-DD`. */
export const civilDateArg = lenient(z.string(), (v): Parsed<string> => {
  const text = v.trim();
  const ms = Date.parse(`${text}T12:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(ms)) {
    return refuse(`date must be a calendar date such as "2025-12-24" (got ${JSON.stringify(v)})`);
  }
  return text;
}).meta({ type: 'string', description: `Optional: ${ARGUMENT_HINTS.date ?? ''}.` });

/** The optional `account_id` every account-scoped tool takes. */
export const accountIdArg = idArg(
  'account_id',
  `Optional: ${ARGUMENT_HINTS.account_id ?? ''}.`,
).optional();

/** camelCase and Alpaca spellings models use for our argument names. */
const ALIASES: Readonly<Record<string, string>> = {
  qty: 'quantity',
  shares: 'quantity',
  ticker: 'symbol',
  limitPrice: 'limit_price',
  stopPrice: 'stop_price',
  trailPercent: 'trail_percent',
  trailAmount: 'trail_amount',
  trail_price: 'trail_amount',
  trailPrice: 'trail_amount',
  timeInForce: 'time_in_force',
  tif: 'time_in_force',
  extendedHours: 'extended_hours',
  accountId: 'account_id',
  clientOrderId: 'client_order_id',
  orderId: 'order_id',
  id: 'order_id',
};

/** True for values that mean "not given": `undefined`, `null`, `""` or only spaces. */
function absent(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
  );
}

/**
 * Validates raw tool arguments against a tool's schema, leniently: aliases are renamed, absent
 * values dropped, unknown names refused with the list of known ones. Throws `ToolInputError`
 * for the first problem found, its fix taken from `hints` (what each argument of the tool is).
 */
export function parseArguments<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  hints: Readonly<Record<string, string>> = ARGUMENT_HINTS,
): z.output<S> {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new ToolInputError(undefined, 'The arguments must be a JSON object', undefined);
  }
  const known = Object.keys(schema.shape);
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    const name = known.includes(key) ? key : (ALIASES[key] ?? key);
    if (!known.includes(name)) {
      throw new ToolInputError(
        key,
        `Unknown argument "${key}"`,
        known.length === 0
          ? 'This tool takes no arguments: call it with {}.'
          : `Use only these arguments: ${known.join(', ')}.`,
      );
    }
    if (absent(value)) continue;
    if (name in input && JSON.stringify(input[name]) !== JSON.stringify(value)) {
      throw new ToolInputError(
        name,
        `"${key}" and "${name}" are the same argument with different values`,
        `Pass only ${name}.`,
      );
    }
    input[name] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const field = issue?.path[0] === undefined ? undefined : String(issue.path[0]);
  const hint = field === undefined ? undefined : hints[field];
  if (field !== undefined && !(field in input)) {
    throw new ToolInputError(
      field,
      `Missing required argument "${field}"`,
      hint === undefined ? undefined : `Pass ${field}: ${hint}.`,
    );
  }
  const message =
    issue?.code === 'custom'
      ? issue.message
      : `${field ?? 'The arguments'} has the wrong type (got ${JSON.stringify(field === undefined ? raw : input[field])})`;
  throw new ToolInputError(
    field,
    message,
    hint === undefined ? undefined : `Pass ${field}: ${hint}.`,
  );
}

/**
 * The JSON Schema a tool advertises for its arguments: the input side of each field's zod
 * schema (so `"10"` and `10` both show as allowed), required fields, no other properties.
 */
export function advertisedShape(schema: z.ZodObject): {
  shape: Record<string, z.ZodType>;
  required: string[];
} {
  const shape: Record<string, z.ZodType> = {};
  const required: string[] = [];
  const fields: Readonly<Record<string, z.ZodType>> = schema.shape;
  for (const [name, field] of Object.entries(fields)) {
    const json = z.toJSONSchema(field, { io: 'input', target: 'draft-7', unrepresentable: 'any' });
    const { $schema: _ignored, ...property } = json as Record<string, unknown>;
    // Validation happens in `parseArguments`; the SDK must let every value through to it.
    shape[name] = z.unknown().optional().meta(property);
    if (!field.safeParse(undefined).success) required.push(name);
  }
  return { shape, required };
}
