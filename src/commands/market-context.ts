import type { OrderRequest } from '../domain/account/index.ts';
import { quoteSymbolOf } from '../domain/instrument.ts';
import type { AuctionPrint, MarketContext, Quote } from '../domain/market.ts';
import type { MarketData } from '../market/port.ts';
import type { Session } from '../market/calendar.ts';

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
    ...(session ? sessionBounds(session) : {}),
    ...(extra.auction ? { auction: extra.auction } : {}),
  };
}

type SessionBounds = Required<
  Pick<MarketContext, 'sessionOpen' | 'sessionClose' | 'extendedClose'>
>;

/** A session's boundaries as ISO strings, worked out once per session object (calendars cache them). */
const boundsBySession = new WeakMap<Session, SessionBounds>();
function sessionBounds(session: Session): SessionBounds {
  let bounds = boundsBySession.get(session);
  if (bounds === undefined) {
    bounds = {
      sessionOpen: session.open.toISOString(),
      sessionClose: session.close.toISOString(),
      extendedClose: session.postClose.toISOString(),
    };
    boundsBySession.set(session, bounds);
  }
  return bounds;
}

/**
 * The market an order is decided against: for a stock its own context; for a single option
 * the contract's (its quote, and the underlying's as `underlyingQuote`); for a multi-leg order
 * the underlying's with every leg's latest quote in `optionQuotes`.
 */
export function orderMarketContext(market: MarketData, request: OrderRequest): MarketContext {
  if (request.orderClass === 'mleg') {
    return withLegQuotes(
      market,
      marketContext(market, request.legs?.[0]?.instrument.underlying ?? ''),
      (request.legs ?? []).map((leg) => leg.instrument.occSymbol),
    );
  }
  return marketContext(market, quoteSymbolOf(request.instrument));
}

/** `context` with the latest quotes of `symbols` (option legs) and the quote as the underlying's. */
export function withLegQuotes(
  market: MarketData,
  context: MarketContext,
  symbols: readonly string[],
): MarketContext {
  const optionQuotes: Record<string, Quote> = {};
  for (const symbol of symbols) {
    const quote = market.latestQuote(symbol);
    if (quote !== undefined) optionQuotes[symbol] = quote;
  }
  return {
    ...context,
    optionQuotes,
    ...(context.quote === undefined ? {} : { underlyingQuote: context.quote }),
  };
}
