/**
 * The simulated corporate-action calendar: cash dividends and stock splits for every symbol
 * of the universe, a pure function of (seed, symbol, year). Dividend payers and their yields
 * follow the real companies roughly (a table below; unknown symbols draw one); schedules,
 * amounts and splits are drawn. The simulated prices follow the splits (`PriceModel` divides
 * by the ratio from the ex-date), so a split changes share counts, not values.
 */
import type { MarketCalendar } from '../../calendar.ts';
import type {
  CashDividend,
  CorporateAction,
  CorporateActionCalendar,
  CorporateActionQuery,
  StockSplit,
} from '../../reference.ts';
import { addDays, dayNumber } from '../../time-zone.ts';
import { Random } from '../random.ts';
import type { SimulatedInstrument } from '../universe.ts';

/** Approximate annual dividend yields (percent) of the default universe; absent = none. */
const YIELDS: Readonly<Record<string, number>> = {
  AAPL: 0.4,
  MSFT: 0.7,
  GOOGL: 0.3,
  META: 0.3,
  NVDA: 0.02,
  JPM: 2,
  V: 0.7,
  MA: 0.5,
  UNH: 2.5,
  XOM: 3.4,
  JNJ: 3,
  PG: 2.6,
  HD: 2.4,
  KO: 2.9,
  PEP: 3.6,
  COST: 0.5,
  WMT: 1,
  DIS: 0.9,
  CRM: 0.6,
  ORCL: 0.9,
  BAC: 2.1,
  WFC: 2,
  GS: 1.8,
  MS: 2.6,
  CVX: 4.4,
  PFE: 6.8,
  MRK: 3.6,
  ABBV: 3,
  LLY: 0.7,
  T: 4,
  VZ: 6.5,
  CSCO: 2.4,
  QCOM: 2.2,
  TXN: 3,
  AVGO: 0.7,
  NKE: 2.4,
  MCD: 2.3,
  SBUX: 2.7,
  CAT: 1.1,
  GE: 0.5,
  F: 5,
  GM: 0.9,
  IBM: 2.3,
  AMGN: 3.2,
  HON: 2.1,
  CMCSA: 4.5,
  SPY: 1.2,
  QQQ: 0.6,
  IWM: 1.1,
  DIA: 1.6,
  VTI: 1.3,
  TLT: 4.3,
  XLF: 1.4,
  XLE: 3.3,
  XLK: 0.6,
};
/** Funds that pay monthly. */
const MONTHLY = new Set(['TLT']);
/** Symbols of the default universe known to pay nothing (growth names, gold, fictional). */
const NON_PAYERS = new Set([
  'AMZN',
  'TSLA',
  'NFLX',
  'AMD',
  'INTC',
  'ADBE',
  'BA',
  'UBER',
  'PYPL',
  'SHOP',
  'PLTR',
  'COIN',
  'SOFI',
  'RIVN',
  'SNAP',
  'GLD',
  'ARKK',
  'PNYX',
  'SUBD',
]);

/** Yearly probability that an eligible stock splits. */
export const SPLIT_PROBABILITY = 0.03;
/** Stocks priced at least this at their reference price may split. */
const SPLIT_MIN_PRICE = 150;

export interface SimulatedCorporateActionsOptions {
  readonly seed: number;
  readonly calendar: MarketCalendar;
  readonly universe: readonly SimulatedInstrument[];
  /** Year of the reference prices (dividend amounts grow from it). */
  readonly anchorYear: number;
  /** Probability of a split per eligible stock and year (default {@link SPLIT_PROBABILITY}). */
  readonly splitProbability?: number;
}

/** The corporate actions of a simulated universe. */
export class SimulatedCorporateActions implements CorporateActionCalendar {
  readonly #options: SimulatedCorporateActionsOptions;
  readonly #instruments: ReadonlyMap<string, SimulatedInstrument>;
  readonly #years = new Map<string, readonly CorporateAction[]>();
  readonly #splits = new Map<string, number>();

  constructor(options: SimulatedCorporateActionsOptions) {
    this.#options = options;
    this.#instruments = new Map(options.universe.map((i) => [i.symbol, i]));
  }

  actions(query: CorporateActionQuery): CorporateAction[] {
    const by = query.by ?? 'ex';
    const symbols =
      query.symbol === undefined
        ? [...this.#instruments.keys()]
        : this.#instruments.has(query.symbol)
          ? [query.symbol]
          : [];
    const firstYear = Number(query.from.slice(0, 4)) - (by === 'pay' ? 1 : 0);
    const lastYear = Number(query.to.slice(0, 4));
    const out: CorporateAction[] = [];
    for (const symbol of symbols) {
      for (let year = firstYear; year <= lastYear; year++) {
        for (const action of this.#year(symbol, year)) {
          const date =
            by === 'pay' && action.kind === 'cash_dividend' ? action.payDate : action.exDate;
          if (by === 'pay' && action.kind !== 'cash_dividend') continue;
          if (date >= query.from && date <= query.to) out.push(action);
        }
      }
    }
    const key = (a: CorporateAction): string =>
      by === 'pay' && a.kind === 'cash_dividend' ? a.payDate : a.exDate;
    return out.sort((a, b) => key(a).localeCompare(key(b)) || a.symbol.localeCompare(b.symbol));
  }

  /** New shares per old share of a split effective on `date`, else 1 (the price model's view). */
  splitRatioOn(symbol: string, date: string): number {
    this.#year(symbol, Number(date.slice(0, 4)));
    return this.#splits.get(`${symbol}|${date}`) ?? 1;
  }

  #year(symbol: string, year: number): readonly CorporateAction[] {
    const key = `${symbol}|${year}`;
    let actions = this.#years.get(key);
    if (actions === undefined) {
      const instrument = this.#instruments.get(symbol);
      actions = instrument === undefined ? [] : this.#generate(instrument, year);
      this.#years.set(key, actions);
      for (const a of actions) {
        if (a.kind === 'split')
          this.#splits.set(`${symbol}|${a.exDate}`, a.newShares / a.oldShares);
      }
    }
    return actions;
  }

  #generate(instrument: SimulatedInstrument, year: number): CorporateAction[] {
    return [...this.#dividends(instrument, year), ...this.#split(instrument, year)];
  }

  #yield(instrument: SimulatedInstrument): number {
    const known = YIELDS[instrument.symbol];
    if (known !== undefined) return known / 100;
    if (NON_PAYERS.has(instrument.symbol) || instrument.tier === 'penny') return 0;
    // A symbol outside the default universe: half pay, 0.5–3 %.
    const rng = Random.for(this.#options.seed, instrument.symbol, 'dividend-yield', 0);
    return rng.next() < 0.5 ? 0 : (0.5 + 2.5 * rng.next()) / 100;
  }

  #dividends(instrument: SimulatedInstrument, year: number): CashDividend[] {
    const annualYield = this.#yield(instrument);
    if (annualYield <= 0) return [];
    const { seed, calendar, anchorYear } = this.#options;
    const monthly = MONTHLY.has(instrument.symbol);
    const perYear = monthly ? 12 : 4;
    const shape = Random.for(seed, instrument.symbol, 'dividend-schedule', 0);
    const phase = shape.int(monthly ? 1 : 3);
    const growth = 1 + 0.08 * shape.next();
    const base = (instrument.referencePrice * annualYield) / perYear;
    const amount = Math.max(0.01, Math.round(base * growth ** (year - anchorYear) * 100) / 100);
    const out: CashDividend[] = [];
    for (let k = 0; k < perYear; k++) {
      const month = phase + k * (12 / perYear);
      const rng = Random.for(seed, instrument.symbol, 'dividend', year * 12 + month);
      const day = 3 + rng.int(20);
      const nominal = `${String(year)}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
      const exDate = calendar.sessionOnOrAfter(nominal).date;
      const payDate = calendar.sessionOnOrAfter(addDays(exDate, 7 + rng.int(24))).date;
      out.push({
        kind: 'cash_dividend',
        id: `div-${instrument.symbol}-${exDate}`,
        symbol: instrument.symbol,
        declaredDate: addDays(exDate, -(14 + rng.int(21))),
        exDate,
        recordDate: exDate,
        payDate,
        amountPerShare: amount.toFixed(2).replace(/\.?0+$/, ''),
        frequency: monthly ? 'monthly' : 'quarterly',
        simulated: true,
      });
    }
    return out;
  }

  #split(instrument: SimulatedInstrument, year: number): StockSplit[] {
    if (
      instrument.sector === 'ETF' ||
      instrument.tier === 'penny' ||
      instrument.referencePrice < SPLIT_MIN_PRICE
    ) {
      return [];
    }
    const { seed, calendar } = this.#options;
    const rng = Random.for(seed, instrument.symbol, 'split', year);
    if (rng.next() >= (this.#options.splitProbability ?? SPLIT_PROBABILITY)) return [];
    const pick = rng.next();
    const newShares = pick < 0.55 ? 2 : pick < 0.8 ? 3 : 4;
    const start = dayNumber(`${String(year)}-01-15`);
    const nominal = new Date((start + rng.int(330)) * 86_400_000).toISOString().slice(0, 10);
    const exDate = calendar.sessionOnOrAfter(nominal).date;
    return [
      {
        kind: 'split',
        id: `split-${instrument.symbol}-${exDate}`,
        symbol: instrument.symbol,
        declaredDate: addDays(exDate, -(21 + rng.int(30))),
        exDate,
        newShares,
        oldShares: 1,
        simulated: true,
      },
    ];
  }
}

/** A fixed list of actions (tests, or data imported from elsewhere). */
export class StaticCorporateActions implements CorporateActionCalendar {
  constructor(private readonly list: readonly CorporateAction[]) {}

  actions(query: CorporateActionQuery): CorporateAction[] {
    const by = query.by ?? 'ex';
    const dateOf = (a: CorporateAction): string | undefined =>
      by === 'pay' ? (a.kind === 'cash_dividend' ? a.payDate : undefined) : a.exDate;
    return this.list
      .filter((a) => {
        const date = dateOf(a);
        return (
          date !== undefined &&
          date >= query.from &&
          date <= query.to &&
          (query.symbol === undefined || a.symbol === query.symbol)
        );
      })
      .sort(
        (a, b) =>
          (dateOf(a) ?? '').localeCompare(dateOf(b) ?? '') || a.symbol.localeCompare(b.symbol),
      );
  }
}
