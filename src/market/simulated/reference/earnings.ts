/**
 * Simulated quarterly earnings: a report date three to six weeks after each calendar quarter
 * ends (before the open or after the close), an EPS and revenue consensus scaled from the
 * stock's price, and the actual figures once the report is out. ETFs report nothing.
 */
import type { EarningsCalendar, EarningsEvent } from '../../reference.ts';
import { addDays } from '../../time-zone.ts';
import type { SimulatedMarket } from '../feed.ts';
import { Random } from '../random.ts';

/** Billions of revenue per quarter by tier (a scale, not a company's figure). */
const REVENUE_SCALE = { mega: 60, large: 12, mid: 1.2, penny: 0.01, etf: 0 };

export class SimulatedEarnings implements EarningsCalendar {
  constructor(
    private readonly market: SimulatedMarket,
    private readonly seed: number,
  ) {}

  earnings(symbol: string, from: string, to: string, at: Date): EarningsEvent[] {
    const instrument = this.market.instrument(symbol);
    if (instrument === undefined || instrument.sector === 'ETF') return [];
    const out: EarningsEvent[] = [];
    const firstYear = Number(from.slice(0, 4));
    const lastYear = Number(to.slice(0, 4));
    const shape = Random.for(this.seed, instrument.symbol, 'earnings-shape', 0);
    const pe = 14 + 30 * shape.next();
    const lag = 21 + shape.int(21);
    const when = shape.next() < 0.6 ? 'after_close' : 'before_open';
    // A fourth quarter is reported in the new year.
    for (let year = firstYear - 1; year <= lastYear; year++) {
      for (let q = 0; q < 4; q++) {
        const quarterEnd =
          [`${year}-03-31`, `${year}-06-30`, `${year}-09-30`, `${year}-12-31`][q] ?? '';
        const rng = Random.for(this.seed, instrument.symbol, 'earnings', year * 4 + q);
        const date = this.market.calendar.sessionOnOrAfter(
          addDays(quarterEnd, lag + rng.int(7)),
        ).date;
        if (date < from || date > to) continue;
        const session = this.market.calendar.session(date);
        const releasedAt = when === 'before_open' ? session?.preOpen : session?.close;
        const released = releasedAt !== undefined && releasedAt.getTime() <= at.getTime();
        const price = instrument.referencePrice;
        const estimate = Math.max(0.01, price / pe / 4) * (1 + 0.1 * rng.normal());
        const actual = estimate * (1 + 0.03 + 0.07 * rng.normal());
        const revenue = REVENUE_SCALE[instrument.tier] * (0.5 + rng.next()) * 1e9;
        const revenueActual = revenue * (1 + 0.01 + 0.03 * rng.normal());
        out.push({
          symbol: instrument.symbol,
          date,
          time: when,
          fiscalQuarter: `${String(year)}Q${String(q + 1)}`,
          epsEstimate: estimate.toFixed(2),
          epsActual: released ? actual.toFixed(2) : null,
          revenueEstimate: Math.round(revenue).toString(),
          revenueActual: released ? Math.round(revenueActual).toString() : null,
          simulated: true,
        });
      }
    }
    return out.sort((a, b) => a.date.localeCompare(b.date));
  }
}
