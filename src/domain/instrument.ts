/**
 * What an order trades. Stocks now; options are already modelled so the decider can treat
 * every instrument alike: positions are keyed by {@link instrumentKey} and all cash math
 * multiplies by {@link multiplierOf} (1 for shares, 100 for standard equity options).
 */
export type Instrument = EquityInstrument | OptionInstrument;

export interface EquityInstrument {
  readonly kind: 'equity';
  /** US equity ticker, e.g. `AAPL`, `BRK.B`. */
  readonly symbol: string;
}

export interface OptionInstrument {
  readonly kind: 'option';
  /** OCC symbol, root padded to six characters: `AAPL  250117C00150000`. */
  readonly occSymbol: string;
  readonly underlying: string;
  /** Shares per contract; 100 for standard contracts, carried so adjusted contracts fit. */
  readonly multiplier: number;
}

const EQUITY_SYMBOL = /^[A-Z]{1,5}(?:\.[A-Z]{1,2})?$/;
const OCC_SYMBOL = /^([A-Z][A-Z0-9.]{0,5}) *(\d{2})(\d{2})(\d{2})([CP])(\d{8})$/;

/** Builds an equity instrument (no validation; see {@link isValidEquitySymbol}). */
export function equity(symbol: string): EquityInstrument {
  return { kind: 'equity', symbol };
}

/** US listed equity tickers: 1–5 letters with an optional share-class suffix (`BRK.B`). */
export function isValidEquitySymbol(symbol: string): boolean {
  return EQUITY_SYMBOL.test(symbol);
}

/** Uppercases and trims user input before validation (the domain itself is strict). */
export function normalizeSymbol(input: string): string {
  return input.trim().toUpperCase();
}

/** The parts of an OCC option symbol. */
export interface OccParts {
  readonly root: string;
  /** Expiration date `YYYY-MM-DD`. */
  readonly expiration: string;
  readonly right: 'call' | 'put';
  /** Strike as a decimal string (`"150"`, `"12.5"`). */
  readonly strike: string;
}

/** Parses an OCC symbol (padded or compact); `undefined` when it is not one. */
export function parseOccSymbol(symbol: string): OccParts | undefined {
  const m = OCC_SYMBOL.exec(symbol);
  if (!m) return undefined;
  const [, root = '', yy = '', mm = '', dd = '', cp = '', strike8 = ''] = m;
  const month = Number(mm);
  const day = Number(dd);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const thousandths = Number(strike8);
  const whole = Math.trunc(thousandths / 1000);
  const frac = (thousandths % 1000).toString().padStart(3, '0').replace(/0+$/, '');
  return {
    root,
    expiration: `20${yy}-${mm}-${dd}`,
    right: cp === 'C' ? 'call' : 'put',
    strike: frac === '' ? String(whole) : `${whole}.${frac}`,
  };
}

/** The key a position and an order's symbol field use: the ticker or the OCC symbol. */
export function instrumentKey(instrument: Instrument): string {
  return instrument.kind === 'equity' ? instrument.symbol : instrument.occSymbol;
}

/** Units of the underlying per unit traded; every notional is qty × price × multiplier. */
export function multiplierOf(instrument: Instrument): number {
  return instrument.kind === 'equity' ? 1 : instrument.multiplier;
}

/** The symbol whose quote and trading status govern the instrument. */
export function quoteSymbolOf(instrument: Instrument): string {
  return instrumentKey(instrument);
}

/** Validates the shape of an instrument; returns a short problem description or undefined. */
export function instrumentProblem(instrument: Instrument): string | undefined {
  if (instrument.kind === 'equity') {
    return isValidEquitySymbol(instrument.symbol)
      ? undefined
      : `"${instrument.symbol}" is not a valid US equity symbol`;
  }
  const parts = parseOccSymbol(instrument.occSymbol);
  if (!parts) return `"${instrument.occSymbol}" is not a valid OCC option symbol`;
  if (parts.root !== instrument.underlying && !instrument.underlying.startsWith(parts.root)) {
    return `option root ${parts.root} does not match underlying ${instrument.underlying}`;
  }
  if (!Number.isInteger(instrument.multiplier) || instrument.multiplier <= 0) {
    return 'option multiplier must be a positive integer';
  }
  return undefined;
}
