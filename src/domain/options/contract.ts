/**
 * Option contracts: the OCC symbol (Options Clearing Corporation, "OSI" format) and the value
 * type the venue trades. An OCC symbol is the root padded with spaces to six characters, the
 * expiration as `yymmdd`, `C` or `P`, and the strike × 1000 in eight digits:
 * `AAPL  250117C00150000` is the AAPL call expiring 2025-01-17 with strike 150. The compact form
 * without padding (`AAPL250117C00150000`) is accepted on input; the padded form is canonical.
 */
import { Dec } from '../decimal.ts';
import type { OptionInstrument } from '../instrument.ts';
import { fmt, type DecimalString } from '../money.ts';

/** Call or put. */
export type OptionRight = 'call' | 'put';

/** Shares delivered per standard equity option contract. */
export const STANDARD_MULTIPLIER = 100;

/** Width of the padded OCC root. */
export const OCC_ROOT_WIDTH = 6;

/** The largest strike an OCC symbol can carry: eight digits of thousandths. */
export const MAX_STRIKE = '99999.999';

/** A listed equity option contract (American style, physically settled). */
export interface OptionContract {
  /** Canonical (padded) OCC symbol. */
  readonly symbol: string;
  /** The OCC root; equal to the underlying for standard contracts. */
  readonly root: string;
  /** Ticker of the deliverable stock. */
  readonly underlying: string;
  /** Last trading day, `YYYY-MM-DD` (New York date); the contract expires at that day's close. */
  readonly expiration: string;
  readonly right: OptionRight;
  /** Strike price per share, canonical decimal. */
  readonly strike: DecimalString;
  /** Shares per contract (100 for standard contracts). */
  readonly multiplier: number;
  /** Equity options are American: the holder may exercise on any trading day up to expiry. */
  readonly style: 'american';
}

/** Why an OCC symbol or contract specification is not valid. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly code = 'invalid_contract';
  constructor(
    message: string,
    /** The input field at fault, when one can be named. */
    readonly field?: string,
  ) {
    super(message);
  }
}

const PADDED = /^([A-Z][A-Z0-9.]{0,5}) *(\d{6})([CP])(\d{8})$/;
const ROOT = /^[A-Z][A-Z0-9.]{0,5}$/;

/** True for a real calendar date `YYYY-MM-DD` (leap years included). */
export function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const [, y = '', mo = '', d = ''] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

/**
 * Parses an OCC symbol, padded (root + spaces = exactly six characters) or compact (no
 * spaces). Anything else — a misaligned padding, an impossible date, a zero strike — is
 * `undefined`. The expiration century is 20xx.
 */
export function parseOcc(symbol: string): OptionContract | undefined {
  // Decisions and valuations parse the same few symbols over and over; a parsed contract is
  // immutable, so one can be shared (the bound only costs re-parses, never a wrong value).
  const known = parsed.get(symbol);
  if (known !== undefined || parsed.has(symbol)) return known;
  const contract = parseOccUncached(symbol);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(symbol, contract);
  return contract;
}

const parsed = new Map<string, OptionContract | undefined>();
const PARSED_MAX = 20_000;

function parseOccUncached(symbol: string): OptionContract | undefined {
  const m = PADDED.exec(symbol);
  if (!m) return undefined;
  const [, root = '', yymmdd = '', cp = '', strike8 = ''] = m;
  const spaces = symbol.length - root.length - 15;
  // Padded means root + spaces is exactly six characters; compact means no spaces at all.
  if (spaces !== 0 && root.length + spaces !== OCC_ROOT_WIDTH) return undefined;
  const expiration = `20${yymmdd.slice(0, 2)}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
  if (!isCalendarDate(expiration)) return undefined;
  const thousandths = Number(strike8);
  if (thousandths <= 0) return undefined;
  const strike = fmt(new Dec(thousandths).dividedBy(1000));
  return {
    symbol: formatOcc({ root, expiration, right: cp === 'C' ? 'call' : 'put', strike }),
    root,
    underlying: root,
    expiration,
    right: cp === 'C' ? 'call' : 'put',
    strike,
    multiplier: STANDARD_MULTIPLIER,
    style: 'american',
  };
}

/** True when `symbol` is an OCC option symbol (padded or compact). */
export function isOccSymbol(symbol: string): boolean {
  return parseOcc(symbol) !== undefined;
}

/**
 * Normalizes user input to the canonical padded OCC symbol: trims, upper-cases and accepts
 * the compact form or any run of spaces between root and date. `undefined` when it is not one.
 */
export function canonicalOcc(input: string): string | undefined {
  const text = input.trim().toUpperCase();
  const m = /^([A-Z][A-Z0-9.]{0,5})\s*(\d{6}[CP]\d{8})$/.exec(text);
  if (!m) return undefined;
  return parseOcc(`${m[1] ?? ''}${m[2] ?? ''}`)?.symbol;
}

/** The parts an OCC symbol is made of. */
export interface OccSpec {
  readonly root: string;
  readonly expiration: string;
  readonly right: OptionRight;
  readonly strike: DecimalString;
}

/**
 * Formats an OCC symbol: padded (default) or compact. Throws {@link ContractError} for a
 * root, date or strike the format cannot carry exactly.
 */
export function formatOcc(spec: OccSpec, form: 'padded' | 'compact' = 'padded'): string {
  if (!ROOT.test(spec.root)) throw new ContractError(`"${spec.root}" is not an OCC root`, 'root');
  if (!isCalendarDate(spec.expiration) || !spec.expiration.startsWith('20')) {
    throw new ContractError(
      `expiration must be a date from 2000 to 2099 (YYYY-MM-DD), got "${spec.expiration}"`,
      'expiration',
    );
  }
  let strike: Dec;
  try {
    strike = new Dec(spec.strike);
  } catch {
    throw new ContractError(`strike must be a number, got "${spec.strike}"`, 'strike');
  }
  const thousandths = strike.times(1000);
  if (!strike.isFinite() || strike.lte(0) || !thousandths.isInteger() || strike.gt(MAX_STRIKE)) {
    throw new ContractError(
      `strike must be positive, at most ${MAX_STRIKE}, with at most three decimals (got "${spec.strike}")`,
      'strike',
    );
  }
  const root = form === 'padded' ? spec.root.padEnd(OCC_ROOT_WIDTH, ' ') : spec.root;
  const date = spec.expiration.slice(2).replaceAll('-', '');
  return `${root}${date}${spec.right === 'call' ? 'C' : 'P'}${thousandths.toFixed(0).padStart(8, '0')}`;
}

/** Builds a standard contract from its parts (validated; see {@link formatOcc}). */
export function optionContract(spec: OccSpec & { readonly underlying?: string }): OptionContract {
  const symbol = formatOcc(spec);
  const parsed = parseOcc(symbol);
  if (parsed === undefined) throw new ContractError(`cannot build ${symbol}`);
  return { ...parsed, underlying: spec.underlying ?? spec.root };
}

/** The instrument an order on this contract trades. */
export function optionInstrument(contract: OptionContract): OptionInstrument {
  return {
    kind: 'option',
    occSymbol: contract.symbol,
    underlying: contract.underlying,
    multiplier: contract.multiplier,
  };
}

/** The contract an option instrument refers to (`undefined` for a malformed symbol). */
export function contractOf(instrument: OptionInstrument): OptionContract | undefined {
  const parsed = parseOcc(instrument.occSymbol);
  if (parsed === undefined) return undefined;
  return { ...parsed, underlying: instrument.underlying, multiplier: instrument.multiplier };
}

/** Intrinsic value per share at an underlying price (never negative). */
export function intrinsicValue(contract: OptionContract, underlyingPrice: Dec): Dec {
  const strike = new Dec(contract.strike);
  const value =
    contract.right === 'call' ? underlyingPrice.minus(strike) : strike.minus(underlyingPrice);
  return value.isNegative() ? new Dec(0) : value;
}

/** `AAPL 2025-01-17 150 call`: how people say a contract. */
export function describeContract(contract: OptionContract): string {
  return `${contract.underlying} ${contract.expiration} ${contract.strike} ${contract.right}`;
}

const NEW_YORK_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

let lastInstant = '';
let lastDate = '';

/** The New York civil date (`YYYY-MM-DD`) of an ISO-8601 instant. */
export function newYorkDateOf(iso: string): string {
  // One decision asks about the same instant for every leg.
  if (iso !== lastInstant) {
    lastDate = NEW_YORK_DATE.format(new Date(iso));
    lastInstant = iso;
  }
  return lastDate;
}

/**
 * True once a contract can no longer trade: after its expiration date (New York), or on that
 * date from `sessionClose` (the day's close, when known) on.
 */
export function isExpiredAt(contract: OptionContract, now: string, sessionClose?: string): boolean {
  const today = newYorkDateOf(now);
  if (today > contract.expiration) return true;
  return (
    today === contract.expiration &&
    sessionClose !== undefined &&
    Date.parse(now) >= Date.parse(sessionClose)
  );
}
