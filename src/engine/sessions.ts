import type { MarketCalendar, Session } from '../market/calendar.ts';
import { addDays, newYorkDate } from '../market/time-zone.ts';

/** A session boundary the engine acts on. */
export type BoundaryKind = 'open' | 'close' | 'post_close';

function boundaries(session: Session): { kind: BoundaryKind; at: Date }[] {
  return [
    { kind: 'open', at: session.open },
    { kind: 'close', at: session.close },
    { kind: 'post_close', at: session.postClose },
  ];
}

/** The first open, close (early closes included) or post-market end strictly after `now`. */
export function nextBoundary(
  calendar: MarketCalendar,
  now: Date,
): { kind: BoundaryKind; at: Date } {
  let session = calendar.sessionOnOrAfter(newYorkDate(now));
  for (;;) {
    const next = boundaries(session).find((b) => b.at.getTime() > now.getTime());
    if (next) return next;
    session = calendar.sessionOnOrAfter(addDays(session.date, 1));
  }
}

/**
 * The latest open, close and post-market end at or before `now`. A sweep passes these as the
 * session boundaries, so an order created before a close the engine slept through still
 * expires (the decider compares the order's creation with the boundary it is given).
 */
export function lastBoundaries(
  calendar: MarketCalendar,
  now: Date,
): { sessionOpen?: string; sessionClose?: string; extendedClose?: string } {
  const today = calendar.sessionOnOrBefore(newYorkDate(now));
  const before = calendar.sessionOnOrBefore(addDays(today.date, -1));
  const latest = (pick: (s: Session) => Date): string | undefined => {
    for (const s of [today, before]) {
      const at = pick(s);
      if (at.getTime() <= now.getTime()) return at.toISOString();
    }
    return undefined;
  };
  const sessionOpen = latest((s) => s.open);
  const sessionClose = latest((s) => s.close);
  const extendedClose = latest((s) => s.postClose);
  return {
    ...(sessionOpen ? { sessionOpen } : {}),
    ...(sessionClose ? { sessionClose } : {}),
    ...(extendedClose ? { extendedClose } : {}),
  };
}
