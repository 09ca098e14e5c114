/**
 * The market as every tool answer states it: the (simulated) time, the session phase and
 * whether prices are simulated — in `structuredContent.market` and in one sentence of the text.
 */
import * as z from 'zod';
import type { MarketData, MarketPhase } from '../market/port.ts';
import { newYorkOffsetMinutes } from '../market/time-zone.ts';

export const marketOut = z
  .object({
    time: z.string().describe('Market clock time, ISO-8601 UTC'),
    time_new_york: z
      .string()
      .describe('The same instant in New York, e.g. "Mon 2025-03-03 10:00:12 ET"'),
    phase: z
      .enum(['pre', 'regular', 'post', 'closed'])
      .describe('pre-market, regular session, post-market or closed'),
    is_open: z.boolean().describe('True during the regular session'),
    next_open: z.string().describe('Next regular-session open, ISO-8601 UTC'),
    next_close: z.string().describe('Next regular-session close, ISO-8601 UTC'),
    clock: z
      .enum(['simulated', 'real'])
      .describe('simulated: the venue runs its own clock; real: wall-clock time'),
    prices_simulated: z
      .boolean()
      .describe('True when prices come from the simulated feed, not from a real exchange'),
  })
  .describe('The market when the answer was produced');

export type MarketOut = z.infer<typeof marketOut>;

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** `Mon 2025-03-03 10:00:12 ET`. */
export function newYorkTime(instant: Date | string, withSeconds = true): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  const wall = new Date(ms + newYorkOffsetMinutes(ms) * 60_000);
  const iso = wall.toISOString();
  const time = withSeconds ? iso.slice(11, 19) : iso.slice(11, 16);
  return `${WEEKDAYS[wall.getUTCDay()] ?? ''} ${iso.slice(0, 10)} ${time} ET`;
}

/** `10:00 ET`. */
function clockTime(instant: Date | string): string {
  return newYorkTime(instant, false).slice(15);
}

export function marketSnapshot(market: MarketData, clock: 'simulated' | 'real'): MarketOut {
  const now = market.clock.now();
  const phase: MarketPhase = market.calendar.phaseAt(now);
  const firstAsset = market.assets()[0];
  return {
    time: now.toISOString(),
    time_new_york: newYorkTime(now),
    phase,
    is_open: phase === 'regular',
    next_open: market.calendar.nextOpen(now).toISOString(),
    next_close: market.calendar.nextClose(now).toISOString(),
    clock,
    prices_simulated: firstAsset?.simulated ?? true,
  };
}

const PHASE_WORDS: Readonly<Record<MarketPhase, string>> = {
  pre: 'pre-market',
  regular: 'regular session open',
  post: 'post-market',
  closed: 'closed',
};

/** One sentence: time, phase, the next boundary, and whether prices are simulated. */
export function marketSentence(m: MarketOut): string {
  const when = `${m.clock === 'simulated' ? 'simulated ' : ''}market time ${m.time_new_york}`;
  let next: string;
  switch (m.phase) {
    case 'regular':
      next = `closes ${clockTime(m.next_close)}`;
      break;
    case 'pre':
      next = `regular session opens ${clockTime(m.next_open)}`;
      break;
    default:
      next = `next open ${newYorkTime(m.next_open, false)}`;
  }
  const prices = m.prices_simulated ? 'prices are simulated' : 'prices are replayed history';
  return `Market: ${PHASE_WORDS[m.phase]} (${next}); ${when}; ${prices}.`;
}
