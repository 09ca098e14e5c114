/**
 * Daily history as analysis and risk read it: closes by New York date, from the port's daily
 * bars. Thin helpers over `MarketData.bars`, so every adapter answers the same way.
 */
import type { MarketCalendar, Session } from './calendar.ts';
import type { Bar, MarketData } from './port.ts';
import { UnknownSymbolError } from './port.ts';
import { addDays, newYorkDate } from './time-zone.ts';

/** The last session before the New York date of `now` ("yesterday's close" is its close). */
export function previousSession(calendar: MarketCalendar, now: Date): Session {
  return calendar.sessionOnOrBefore(addDays(newYorkDate(now), -1));
}

/** The `count` most recent session dates up to and including the one of `now`, oldest first. */
export function recentSessionDates(calendar: MarketCalendar, now: Date, count: number): string[] {
  const dates: string[] = [];
  let session = calendar.sessionOnOrBefore(newYorkDate(now));
  while (dates.length < count) {
    dates.unshift(session.date);
    session = calendar.sessionOnOrBefore(addDays(session.date, -1));
  }
  return dates;
}

/**
 * Completed daily bars of the last `sessions` sessions before `now` (at most), oldest first;
 * an empty list for an unknown symbol. Bars are at most 10,000 per port call, so longer
 * histories are read in pages.
 */
export async function dailyBars(
  market: MarketData,
  symbol: string,
  now: Date,
  sessions: number,
): Promise<Bar[]> {
  const dates = recentSessionDates(market.calendar, now, sessions + 1);
  const first = market.calendar.session(dates[0] ?? newYorkDate(now));
  const out: Bar[] = [];
  // Daily bars start at New York midnight, before the session's pre-open.
  let start = new Date((first?.preOpen.getTime() ?? now.getTime()) - 6 * 3_600_000);
  try {
    for (;;) {
      const page = await market.bars(symbol, { timeframe: '1Day', start, end: now, limit: 10_000 });
      out.push(...page);
      const last = page.at(-1);
      if (page.length < 10_000 || last === undefined) break;
      start = new Date(Date.parse(last.time) + 1);
    }
  } catch (error) {
    if (error instanceof UnknownSymbolError) return [];
    throw error;
  }
  return out.slice(-sessions);
}

/** The daily close of the session before the New York date of `now`, when the feed has it. */
export async function previousClose(
  market: MarketData,
  symbol: string,
  now: Date,
): Promise<string | undefined> {
  const session = previousSession(market.calendar, now);
  try {
    const bars = await market.bars(symbol, {
      timeframe: '1Day',
      start: new Date(session.preOpen.getTime() - 6 * 3_600_000),
      end: session.postClose,
      limit: 2,
    });
    return bars.at(-1)?.close;
  } catch (error) {
    if (error instanceof UnknownSymbolError) return undefined;
    throw error;
  }
}
