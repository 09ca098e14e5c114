/**
 * Options-chain analysis: put/call volume and open-interest ratios (the whole chain and per
 * expiration), max pain per expiration, IV rank and IV percentile of the underlying's
 * at-the-money implied volatility against its own history, and the move the market prices to
 * each expiration (the at-the-money straddle, and spot × IV × √T).
 *
 * - Put/call ratio = put contracts ÷ call contracts (volume traded today, or open interest at
 *   the start of the day); null when there are no calls to divide by.
 * - Max pain of an expiration: the settlement price, among its listed strikes, at which the
 *   options of that expiration would pay their holders the least at expiry:
 *   pain(S) = Σ_calls OI × max(0, S − K) × multiplier + Σ_puts OI × max(0, K − S) × multiplier;
 *   the lowest strike wins a tie. Null when the expiration has no open interest.
 * - IV rank = (IV now − lowest) ÷ (highest − lowest) × 100 over the history (50 when flat);
 *   IV percentile = the share of the history's sessions whose IV was below IV now, in percent.
 * - Expected move: the at-the-money straddle (call mid + put mid at the strike nearest the
 *   spot, lower on a tie) — the market's price of the move to expiry — and the one-standard-
 *   deviation move spot × σ × √T with σ the mean implied volatility of that call and put.
 *
 * Prices come in as the quotes' decimal strings and the straddle stays exact; ratios, the IV
 * figures and the σ√T move are analytics (floats). Pure: no I/O, no clock.
 */
import { Dec } from '../domain/decimal.ts';
import { fmt, type DecimalString } from '../domain/money.ts';

/** One contract of a chain as the analysis needs it. */
export interface ChainRow {
  readonly expiration: string;
  readonly right: 'call' | 'put';
  readonly strike: number;
  /** Contracts traded today. */
  readonly volume: number;
  /** Open contracts at the start of the day. */
  readonly openInterest: number;
  /** Shares per contract. */
  readonly multiplier: number;
  /** Quote, dollars per share (decimal strings). */
  readonly bid: DecimalString;
  readonly ask: DecimalString;
  readonly impliedVolatility: number;
  /** Years to the expiration's close. */
  readonly years: number;
}

/** Put/call volume and open interest of a set of contracts. */
export interface PutCallRatios {
  readonly callVolume: number;
  readonly putVolume: number;
  /** Put volume ÷ call volume; null without call volume (before the open). */
  readonly volumeRatio: number | null;
  readonly callOpenInterest: number;
  readonly putOpenInterest: number;
  /** Put open interest ÷ call open interest; null without call open interest. */
  readonly openInterestRatio: number | null;
}

/** The strike where an expiration's holders would be paid the least. */
export interface MaxPain {
  readonly strike: number;
  /** What every contract of the expiration would pay its holders at that settlement, dollars. */
  readonly payout: number;
}

/** The market's expected move to one expiration. */
export interface ExpectedMove {
  /** The strike nearest the spot (lower on a tie) with both a call and a put. */
  readonly atmStrike: number;
  /** Call mid + put mid at that strike, dollars per share. */
  readonly straddle: DecimalString;
  /** The straddle in percent of the spot. */
  readonly straddlePercent: number;
  /** Mean implied volatility of the at-the-money call and put. */
  readonly atmImpliedVolatility: number;
  readonly years: number;
  /** spot × σ × √T: one standard deviation of the price at expiry, dollars per share. */
  readonly oneSigmaMove: number;
  readonly oneSigmaPercent: number;
}

/** Where IV now sits in its own history. */
export interface IvStanding {
  readonly current: number;
  readonly low: number;
  readonly high: number;
  /** 0–100. */
  readonly rank: number;
  /** 0–100. */
  readonly percentile: number;
  /** Sessions in the history. */
  readonly sessions: number;
}

/** One expiration's figures. */
export interface ExpirationAnalysis extends PutCallRatios {
  readonly expiration: string;
  readonly years: number;
  readonly maxPain: MaxPain | null;
  /** Null when no strike lists both a call and a put with a two-sided quote. */
  readonly expectedMove: ExpectedMove | null;
}

/** The put/call ratios of `rows`. */
export function putCallRatios(rows: readonly ChainRow[]): PutCallRatios {
  let callVolume = 0;
  let putVolume = 0;
  let callOpenInterest = 0;
  let putOpenInterest = 0;
  for (const r of rows) {
    if (r.right === 'call') {
      callVolume += r.volume;
      callOpenInterest += r.openInterest;
    } else {
      putVolume += r.volume;
      putOpenInterest += r.openInterest;
    }
  }
  return {
    callVolume,
    putVolume,
    volumeRatio: callVolume > 0 ? putVolume / callVolume : null,
    callOpenInterest,
    putOpenInterest,
    openInterestRatio: callOpenInterest > 0 ? putOpenInterest / callOpenInterest : null,
  };
}

/** Max pain of the contracts of one expiration (see the module comment). */
export function maxPain(rows: readonly ChainRow[]): MaxPain | null {
  if (!rows.some((r) => r.openInterest > 0)) return null;
  const strikes = [...new Set(rows.map((r) => r.strike))].sort((a, b) => a - b);
  let best: MaxPain | null = null;
  for (const settlement of strikes) {
    let payout = 0;
    for (const r of rows) {
      const intrinsic = r.right === 'call' ? settlement - r.strike : r.strike - settlement;
      if (intrinsic > 0) payout += r.openInterest * intrinsic * r.multiplier;
    }
    if (best === null || payout < best.payout) best = { strike: settlement, payout };
  }
  return best;
}

function midOf(row: ChainRow): Dec | undefined {
  const bid = new Dec(row.bid);
  const ask = new Dec(row.ask);
  if (bid.lte(0) || ask.lte(0)) return undefined;
  return bid.plus(ask).dividedBy(2);
}

/** The expected move to the expiration of `rows` (one expiration) with the underlying at `spot`. */
export function expectedMove(rows: readonly ChainRow[], spot: number): ExpectedMove | null {
  const calls = new Map<number, ChainRow>();
  const puts = new Map<number, ChainRow>();
  for (const r of rows) (r.right === 'call' ? calls : puts).set(r.strike, r);
  let atm: { strike: number; call: ChainRow; put: ChainRow; straddle: Dec } | undefined;
  for (const [strike, call] of calls) {
    const put = puts.get(strike);
    if (put === undefined) continue;
    const callMid = midOf(call);
    const putMid = midOf(put);
    if (callMid === undefined || putMid === undefined) continue;
    const distance = Math.abs(strike - spot);
    const known = atm === undefined ? Infinity : Math.abs(atm.strike - spot);
    if (distance < known || (distance === known && atm !== undefined && strike < atm.strike)) {
      atm = { strike, call, put, straddle: callMid.plus(putMid) };
    }
  }
  if (atm === undefined || spot <= 0) return null;
  const iv = (atm.call.impliedVolatility + atm.put.impliedVolatility) / 2;
  const years = atm.call.years;
  const oneSigma = spot * iv * Math.sqrt(years);
  return {
    atmStrike: atm.strike,
    straddle: fmt(atm.straddle.toDecimalPlaces(4)),
    straddlePercent: (atm.straddle.toNumber() / spot) * 100,
    atmImpliedVolatility: iv,
    years,
    oneSigmaMove: oneSigma,
    oneSigmaPercent: (oneSigma / spot) * 100,
  };
}

/** IV rank and percentile of `current` against `history` (null for an empty history). */
export function ivStanding(current: number, history: readonly number[]): IvStanding | null {
  if (history.length === 0) return null;
  let low = Infinity;
  let high = -Infinity;
  let below = 0;
  for (const iv of history) {
    if (iv < low) low = iv;
    if (iv > high) high = iv;
    if (iv < current) below++;
  }
  const span = high - low;
  const rank = span > 0 ? ((current - low) / span) * 100 : 50;
  return {
    current,
    low,
    high,
    rank: rank < 0 ? 0 : rank > 100 ? 100 : rank,
    percentile: (below / history.length) * 100,
    sessions: history.length,
  };
}

/** Every expiration's figures, in the order the expirations first appear in `rows`. */
export function analyzeExpirations(rows: readonly ChainRow[], spot: number): ExpirationAnalysis[] {
  const byExpiration = new Map<string, ChainRow[]>();
  for (const r of rows) {
    const list = byExpiration.get(r.expiration);
    if (list === undefined) byExpiration.set(r.expiration, [r]);
    else list.push(r);
  }
  return [...byExpiration].map(([expiration, list]) => ({
    expiration,
    years: list[0]?.years ?? 0,
    ...putCallRatios(list),
    maxPain: maxPain(list),
    expectedMove: expectedMove(list, spot),
  }));
}
