/** The simulated reference data of a simulated market, all derived from its seed. */
import type { MarketData } from '../../port.ts';
import type { ReferenceData } from '../../reference.ts';
import type { SimulatedMarket } from '../feed.ts';
import { normalizeSeed } from '../random.ts';
import { SimulatedDepth } from './depth.ts';
import { SimulatedEarnings } from './earnings.ts';
import { SimulatedNews } from './news.ts';
import { SimulatedRatings } from './ratings.ts';

export { SimulatedCorporateActions, StaticCorporateActions } from './corporate-actions.ts';
export { MAX_DEPTH_LEVELS } from './depth.ts';

/**
 * Corporate actions, ratings, earnings, depth of book and news for `market`. The depth ladder
 * is built on the NBBO of `quotes` (default: the market itself), for markets that wrap it.
 */
export function simulatedReferenceData(
  market: SimulatedMarket,
  quotes: MarketData = market,
): ReferenceData {
  const seed = normalizeSeed(market.seed);
  return {
    corporateActions: market.corporateActions,
    ratings: new SimulatedRatings(market, seed),
    earnings: new SimulatedEarnings(market, seed),
    depth: new SimulatedDepth(quotes, seed),
    news: new SimulatedNews(market, market.corporateActions, seed),
  };
}
