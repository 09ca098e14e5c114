import type { AuctionPrint, MarketContext } from '../domain/market.ts';
import type { MarketData } from '../market/port.ts';

/**
 * The market as a command should see it for `symbol` now: the feed's context plus the session
 * boundaries the decider needs for time in force (`sessionOpen` for opg, `extendedClose` for
 * extended-hours day orders), and an auction print when the command is priced by one. An
 * unknown symbol has no `asset`, which the decider rejects as `unknown_symbol`.
 */
export function marketContext(
  market: MarketData,
  symbol: string,
  extra: { readonly auction?: AuctionPrint } = {},
): MarketContext {
  const base = market.context(symbol);
  const session = market.calendar.session(new Date(base.now));
  return {
    ...base,
    ...(session
      ? {
          sessionOpen: session.open.toISOString(),
          sessionClose: session.close.toISOString(),
          extendedClose: session.postClose.toISOString(),
        }
      : {}),
    ...(extra.auction ? { auction: extra.auction } : {}),
  };
}
