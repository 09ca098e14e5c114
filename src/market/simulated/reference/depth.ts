/**
 * A simulated level-2 ladder: the top level of each side is the NBBO of the same instant
 * (price and size), deeper levels step away on the tick grid with sizes that grow with depth.
 * Drawn from (seed, symbol, quote sequence), so the same quote always shows the same book.
 */
import type { DepthLevel, DepthOfBook, DepthSource } from '../../reference.ts';
import type { MarketData } from '../../port.ts';
import { formatUnits, tickUnitsAt, UNITS_PER_DOLLAR } from '../../ticks.ts';
import { Random } from '../random.ts';

const VENUES = ['NASDAQ', 'NYSE', 'ARCA', 'CBOE BZX', 'CBOE EDGX', 'IEX', 'MEMX'] as const;

/** Largest ladder one call may ask for. */
export const MAX_DEPTH_LEVELS = 50;

export class SimulatedDepth implements DepthSource {
  constructor(
    private readonly market: MarketData,
    private readonly seed: number,
  ) {}

  depth(symbol: string, levels: number): DepthOfBook | undefined {
    const asset = this.market.asset(symbol);
    const quote = asset === undefined ? undefined : this.market.latestQuote(asset.symbol);
    if (asset === undefined || quote === undefined) return undefined;
    const n = Math.max(1, Math.min(MAX_DEPTH_LEVELS, Math.trunc(levels)));
    const rng = Random.for(this.seed, asset.symbol, 'depth', quote.seq);
    const side = (topPrice: string, topSize: number, direction: -1 | 1): DepthLevel[] => {
      const out: DepthLevel[] = [];
      let units = Math.round(Number(topPrice) * UNITS_PER_DOLLAR);
      let size = topSize;
      for (let k = 0; k < n; k++) {
        if (k > 0) {
          const tick = tickUnitsAt(direction < 0 ? units - 1 : units);
          units += direction * tick * (1 + (rng.next() < 0.3 ? rng.int(3) : 0));
          if (units <= 0) break;
          size = 100 * (1 + rng.int(Math.round(4 + 3 * k)));
        }
        const orders = Math.max(1, Math.round(size / (100 + rng.int(300))));
        const venueCount = 1 + rng.int(Math.min(3, orders));
        const first = rng.int(VENUES.length);
        const venues = Array.from(
          { length: venueCount },
          (_, i) => VENUES[(first + i) % VENUES.length] ?? 'NASDAQ',
        );
        out.push({ price: formatUnits(units), size, orders, venues });
      }
      return out;
    };
    return {
      symbol: asset.symbol,
      time: quote.time,
      sequence: quote.seq,
      bids: side(quote.bid, quote.bidSize, -1),
      asks: side(quote.ask, quote.askSize, 1),
      simulated: asset.simulated || quote.source !== 'replay',
    };
  }
}
