/**
 * Simulated analyst coverage: how many analysts follow a stock (by liquidity tier), their
 * buy/hold/sell counts, the consensus and price targets around the price at the start of the
 * month. A symbol keeps a seeded bias, revised month by month; brokers are fictional.
 * ETFs and unknown symbols have no coverage.
 */
import type { AnalystRatings, AnalystRatingsSource, RatingGrade } from '../../reference.ts';
import { addDays, newYorkDate } from '../../time-zone.ts';
import type { SimulatedMarket } from '../feed.ts';
import { Random } from '../random.ts';
import type { LiquidityTier } from '../universe.ts';

const GRADES: readonly RatingGrade[] = ['strong_buy', 'buy', 'hold', 'sell', 'strong_sell'];
const FIRMS = [
  'Harbor & Vane Securities',
  'Northgate Capital Markets',
  'Meridian Equity Research',
  'Bluewater Partners',
  'Copperfield & Co.',
  'Summit Ridge Advisors',
  'Lakeshore Analytics',
  'Granite Point Research',
] as const;
/** Analysts covering a stock by tier: at least the first number, up to the second more. */
const COVERAGE: Readonly<Record<LiquidityTier, readonly [number, number]>> = {
  mega: [35, 20],
  large: [18, 15],
  mid: [8, 10],
  penny: [0, 3],
  etf: [0, 0],
};

export class SimulatedRatings implements AnalystRatingsSource {
  constructor(
    private readonly market: SimulatedMarket,
    private readonly seed: number,
  ) {}

  ratings(symbol: string, at: Date): AnalystRatings | undefined {
    const instrument = this.market.instrument(symbol);
    if (instrument === undefined || instrument.sector === 'ETF') return undefined;
    const today = newYorkDate(at);
    const monthIndex = Number(today.slice(0, 4)) * 12 + Number(today.slice(5, 7)) - 1;
    const [base, spread] = COVERAGE[instrument.tier];
    const rng = Random.for(this.seed, instrument.symbol, 'ratings', monthIndex);
    const analysts = base + rng.int(spread + 1);
    if (analysts === 0) return undefined;
    const bias = 0.5 + 0.6 * Random.for(this.seed, instrument.symbol, 'ratings-bias', 0).normal();
    const mood = bias + 0.25 * rng.normal();
    // Grades spread around a centre index (0 strong buy … 4 strong sell).
    const centre = Math.min(4, Math.max(0, 1.8 - mood));
    const weights = GRADES.map((_, i) => Math.exp(-((i - centre) ** 2) / 1.1));
    const total = weights.reduce((a, b) => a + b, 0);
    const counts = { strong_buy: 0, buy: 0, hold: 0, sell: 0, strong_sell: 0 };
    for (let a = 0; a < analysts; a++) {
      let u = rng.next() * total;
      let g = 0;
      while (g < GRADES.length - 1 && u > (weights[g] ?? 0)) {
        u -= weights[g] ?? 0;
        g++;
      }
      counts[GRADES[g] ?? 'hold'] += 1;
    }
    const score =
      GRADES.reduce((sum, grade, i) => sum + counts[grade] * (i + 1), 0) / Math.max(1, analysts);
    const consensus = GRADES[Math.min(4, Math.max(0, Math.round(score) - 1))] ?? 'hold';
    const asOf = this.market.calendar.sessionOnOrAfter(`${today.slice(0, 7)}-01`).date;
    const reference = this.#priceBefore(instrument.symbol, asOf > today ? today : asOf, at);
    const mean = reference * (1 + 0.09 * (3 - score) + 0.04 * rng.normal());
    const low = mean * (0.8 - 0.1 * rng.next());
    const high = mean * (1.18 + 0.15 * rng.next());
    const recent = [0, 1, 2].map((k) => {
      const to =
        GRADES[Math.min(4, Math.max(0, Math.round(centre + rng.normal() * 0.7)))] ?? 'hold';
      const kind = rng.next();
      const action: AnalystRatings['recent'][number]['action'] =
        kind < 0.2 ? 'initiate' : kind < 0.45 ? 'upgrade' : kind < 0.65 ? 'downgrade' : 'reiterate';
      const from =
        action === 'initiate'
          ? null
          : action === 'reiterate'
            ? to
            : (GRADES[
                Math.min(4, Math.max(0, GRADES.indexOf(to) + (action === 'upgrade' ? 1 : -1)))
              ] ?? 'hold');
      return {
        date: addDays(asOf > today ? today : asOf, -(k * 9 + rng.int(8))),
        firm: FIRMS[rng.int(FIRMS.length)] ?? 'Lakeshore Analytics',
        action,
        from,
        to,
        priceTarget: cents(mean * (0.9 + 0.2 * rng.next())),
      };
    });
    return {
      symbol: instrument.symbol,
      asOf: asOf > today ? today : asOf,
      analysts,
      counts,
      consensus,
      score: Math.round(score * 100) / 100,
      priceTarget: { low: cents(low), mean: cents(mean), high: cents(high) },
      recent,
      simulated: true,
    };
  }

  /** The last daily close before `date`, else the latest quote. */
  #priceBefore(symbol: string, date: string, at: Date): number {
    const session = this.market.calendar.sessionOnOrBefore(addDays(date, -1));
    const bars = this.market.barsSync(symbol, {
      timeframe: '1Day',
      start: new Date(session.preOpen.getTime() - 6 * 3_600_000),
      end: new Date(Math.min(at.getTime(), session.postClose.getTime())),
      limit: 1,
    });
    const close = bars[0]?.close ?? this.market.latestQuote(symbol)?.last ?? '0';
    return Number(close);
  }
}

/** A price target on the tick grid's decimals (cents from $1, four decimals below). */
function cents(x: number): string {
  return x >= 1 ? (Math.round(x * 100) / 100).toFixed(2) : Math.max(0.0001, x).toFixed(4);
}
