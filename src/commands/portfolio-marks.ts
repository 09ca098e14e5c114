/**
 * What a risk decision needs to know about the whole portfolio, gathered for the command:
 * the mark (mid of the latest quote) and the previous session's close of every holding and
 * of the order's symbol, and the first date of the pattern-day-trader rule's five-session
 * window from the real calendar. The decider stays pure: these arrive on `MarketContext`.
 */
import type { AccountState, AccountSettings } from '../domain/account/index.ts';
import { PATTERN_DAY_TRADER_WINDOW } from '../domain/account/risk-limits.ts';
import type { Mark, MarketContext } from '../domain/market.ts';
import { dec, fmt } from '../domain/money.ts';
import { previousClose, previousSession, recentSessionDates } from '../market/history.ts';
import type { MarketData } from '../market/port.ts';

/** Whether the account's limits need the portfolio at market. */
export function limitsNeedMarks(settings: AccountSettings): boolean {
  const l = settings.limits;
  return (
    l.maxPositionPercent !== null ||
    l.maxNetExposure !== null ||
    l.maxDailyLoss !== null ||
    (l.patternDayTraderRule && settings.accountType === 'margin')
  );
}

const CACHE_LIMIT = 5_000;

/** Marks of holdings, with the previous closes cached per symbol and session. */
export class PortfolioMarks {
  readonly #closes = new Map<string, Promise<string | undefined>>();

  constructor(private readonly market: MarketData) {}

  /** `MarketContext.marks` and `dayTradeWindowStart` for `state` and the order's `symbol`. */
  async context(
    state: AccountState,
    symbol: string,
  ): Promise<Pick<MarketContext, 'marks' | 'dayTradeWindowStart'>> {
    const now = this.market.clock.now();
    const symbols = new Set([
      symbol,
      ...Object.keys(state.positions),
      ...Object.keys(state.day?.startPositions ?? {}),
    ]);
    const marks: Record<string, Mark> = {};
    await Promise.all(
      [...symbols].map(async (s) => {
        const quote = this.market.latestQuote(s);
        const close = await this.#previousClose(s, now);
        const price = quote === undefined ? close : mid(quote.bid, quote.ask, quote.last);
        if (price === undefined) return;
        marks[s] = close === undefined ? { price } : { price, previousClose: close };
      }),
    );
    const [windowStart] = recentSessionDates(this.market.calendar, now, PATTERN_DAY_TRADER_WINDOW);
    return { marks, ...(windowStart === undefined ? {} : { dayTradeWindowStart: windowStart }) };
  }

  #previousClose(symbol: string, now: Date): Promise<string | undefined> {
    const key = `${symbol}|${previousSession(this.market.calendar, now).date}`;
    let close = this.#closes.get(key);
    if (close === undefined) {
      if (this.#closes.size >= CACHE_LIMIT) this.#closes.clear();
      close = previousClose(this.market, symbol, now).catch(() => undefined);
      this.#closes.set(key, close);
    }
    return close;
  }
}

/** The mid of a two-sided quote, else its last trade (exact decimals). */
function mid(bid: string, ask: string, last: string): string | undefined {
  const b = dec(bid);
  const a = dec(ask);
  if (b.gt(0) && a.gt(0)) return fmt(b.plus(a).dividedBy(2));
  return dec(last).gt(0) ? last : undefined;
}
