/**
 * What the engine settles at the close of an expiration day: every option position of a
 * followed account whose expiration session has closed, with the underlying's closing price
 * of that day (its daily bar close — the same for the simulated feed and a replay, and still
 * there after a restart that slept through the close).
 */
import type { AccountState } from '../domain/account/index.ts';
import { contractOf, type OptionContract } from '../domain/options/contract.ts';
import type { MarketCalendar, Session } from '../market/calendar.ts';
import type { MarketData } from '../market/port.ts';

/** An option position due for settlement. */
export interface DueSettlement {
  readonly accountId: string;
  readonly symbol: string;
  readonly contract: OptionContract;
  /** The expiration day's session (the last session on or before the expiration date). */
  readonly session: Session;
}

/** Option positions of `accounts` whose expiration session closed at or before `now`. */
export function dueSettlements(
  accounts: Iterable<readonly [string, AccountState]>,
  calendar: MarketCalendar,
  now: Date,
): DueSettlement[] {
  const due: DueSettlement[] = [];
  const sessions = new Map<string, Session>();
  for (const [accountId, state] of accounts) {
    for (const position of Object.values(state.positions)) {
      if (position.instrument.kind !== 'option') continue;
      const contract = contractOf(position.instrument);
      if (contract === undefined) continue;
      let session = sessions.get(contract.expiration);
      if (session === undefined) {
        session = calendar.sessionOnOrBefore(contract.expiration);
        sessions.set(contract.expiration, session);
      }
      if (session.close.getTime() <= now.getTime()) {
        due.push({ accountId, symbol: position.symbol, contract, session });
      }
    }
  }
  return due;
}

const MS_PER_HOUR = 3_600_000;

/** The underlying's regular-session closing price on `session`, from its daily bar. */
export async function closingPrice(
  market: MarketData,
  symbol: string,
  session: Session,
): Promise<string | undefined> {
  const bars = await market.bars(symbol, {
    timeframe: '1Day',
    // Daily bars start at New York midnight, four hours before the pre-open.
    start: new Date(session.preOpen.getTime() - 6 * MS_PER_HOUR),
    end: session.postClose,
    limit: 5,
  });
  // A daily bar is stamped at New York midnight of its session's date.
  const bar = bars.find((b) => b.time.slice(0, 10) === session.date);
  return bar?.close;
}
