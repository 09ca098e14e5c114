import { expect } from 'chai';
import { isDomainError, type DomainErrorCode } from '../../../src/domain/errors.ts';
import { equity } from '../../../src/domain/instrument.ts';
import type { Asset, MarketContext, Quote } from '../../../src/domain/market.ts';
import type { RejectionReason } from '../../../src/domain/rejections.ts';
import {
  decide,
  fold,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type OrderRequest,
  type PlaceOrder,
  type SettingsPatch,
} from '../../../src/domain/account/index.ts';

/** Monday 2025-03-03, 10:00 New York: the regular session. */
export const NOW = '2025-03-03T15:00:00.000Z';
export const OPEN = '2025-03-03T14:30:00.000Z';
export const CLOSE = '2025-03-03T21:00:00.000Z';
export const POST_CLOSE = '2025-03-04T01:00:00.000Z';

/** A quote; defaults to AAPL 99.99 × 100.01, last 100, 500 shares each side. */
export function quote(overrides: Partial<Quote> = {}): Quote {
  return {
    symbol: 'AAPL',
    bid: '99.99',
    ask: '100.01',
    bidSize: 500,
    askSize: 500,
    last: '100',
    time: overrides.time ?? NOW,
    seq: 1,
    source: 'test',
    ...overrides,
  };
}

/** A listed, tradable, shortable, easy-to-borrow, fractionable asset. */
export function asset(symbol = 'AAPL', overrides: Partial<Asset> = {}): Asset {
  return {
    symbol,
    name: `${symbol} Inc.`,
    exchange: 'NASDAQ',
    sector: 'Technology',
    class: 'us_equity',
    tradable: true,
    shortable: true,
    easyToBorrow: true,
    fractionable: true,
    simulated: true,
    ...overrides,
  };
}

/** The regular session with an AAPL quote, unless overridden. `quote: undefined` removes it. */
export function market(overrides: Partial<MarketContext> = {}): MarketContext {
  const base: MarketContext = {
    now: NOW,
    phase: 'regular',
    halted: false,
    sessionOpen: OPEN,
    sessionClose: CLOSE,
    extendedClose: POST_CLOSE,
    quote: quote(),
    asset: asset(overrides.quote?.symbol ?? 'AAPL'),
  };
  return { ...base, ...overrides };
}

/** `AccountOpened` (+ the initial `CashDeposited`) for account `acc-1`. */
export function opened(cash = '100000', settings?: SettingsPatch): AccountEvent[] {
  return decide(
    {
      type: 'OpenAccount',
      data: {
        accountId: 'acc-1',
        ownerId: 'owner-1',
        name: 'Test',
        initialCash: cash,
        settings,
        at: '2025-03-01T00:00:00.000Z',
      },
    },
    fold([]),
  );
}

export interface PlaceOptions {
  readonly orderId?: string;
  readonly fillId?: string | null;
  readonly legOrderIds?: readonly string[];
  readonly market?: MarketContext;
  readonly queueWhenClosed?: boolean;
}

/** A `PlaceOrder`: by default buy 10 AAPL at market, day, order `o1`, fill `f1`, in session. */
export function place(request: Partial<OrderRequest> = {}, options: PlaceOptions = {}): PlaceOrder {
  const fillId = options.fillId === undefined ? 'f1' : options.fillId;
  return {
    type: 'PlaceOrder',
    data: {
      orderId: options.orderId ?? 'o1',
      ...(fillId === null ? {} : { fillId }),
      ...(options.legOrderIds === undefined ? {} : { legOrderIds: options.legOrderIds }),
      ...(options.queueWhenClosed === undefined
        ? {}
        : { queueWhenClosed: options.queueWhenClosed }),
      request: {
        instrument: equity('AAPL'),
        side: 'buy',
        type: 'market',
        timeInForce: 'day',
        qty: '10',
        ...request,
      },
      market: options.market ?? market(),
    },
  };
}

/** Recursively keeps only the keys `shape` names, so partial expectations compare with good diffs. */
function project(actual: unknown, shape: unknown): unknown {
  if (Array.isArray(shape) && Array.isArray(actual)) {
    return actual.map((a: unknown, i) => (i < shape.length ? project(a, shape[i]) : a));
  }
  if (
    shape !== null &&
    typeof shape === 'object' &&
    actual !== null &&
    typeof actual === 'object' &&
    !Array.isArray(shape)
  ) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) {
      out[key] = project(
        (actual as Record<string, unknown>)[key],
        (shape as Record<string, unknown>)[key],
      );
    }
    return out;
  }
  return actual;
}

/** A deep-partial view of a value, for `thenMatches`. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly DeepPartial<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export interface Outcome {
  /** Exactly these events. */
  then(expected: readonly AccountEvent[]): void;
  /** These events, each compared only on the fields given. */
  thenMatches(expected: readonly DeepPartial<AccountEvent>[]): void;
  /** Events of these types, in order. */
  thenTypes(types: readonly AccountEvent['type'][]): void;
  /** No events at all (idempotent repeat or no-op). */
  thenNothing(): void;
  /** A single `OrderRejected` with this reason. */
  thenRejects(reason: RejectionReason): void;
  /** A `DomainError` with this code. */
  thenThrows(code: DomainErrorCode): void;
  /** The events produced (for custom assertions). */
  readonly events: AccountEvent[];
  /** The state after the produced events. */
  readonly state: AccountState;
}

export interface Given {
  /** Appends the events `command` produces to the history (a shortcut for long histories). */
  and(command: AccountCommand): Given;
  when(command: AccountCommand): Outcome;
  readonly events: readonly AccountEvent[];
}

/** Emmett-style specification: `given(events).when(command).then(events)`. */
export function given(...history: readonly (AccountEvent | readonly AccountEvent[])[]): Given {
  const events: AccountEvent[] = history.flat();
  const self: Given = {
    events,
    and(command) {
      return given(events, decide(command, fold(events)));
    },
    when(command) {
      const before = fold(events);
      const run = (): AccountEvent[] => decide(command, before);
      return {
        then(expected) {
          expect(run()).to.deep.equal(expected);
        },
        thenMatches(expected) {
          const actual = run();
          expect(actual.map((e) => e.type)).to.deep.equal(expected.map((e) => e.type));
          expect(project(actual, expected)).to.deep.equal(expected);
        },
        thenTypes(types) {
          expect(run().map((e) => e.type)).to.deep.equal(types);
        },
        thenNothing() {
          expect(run()).to.deep.equal([]);
        },
        thenRejects(reason) {
          const actual = run();
          expect(actual.map((e) => e.type)).to.deep.equal(['OrderRejected']);
          const [event] = actual;
          expect(event?.type === 'OrderRejected' ? event.data.reason : undefined).to.equal(reason);
        },
        thenThrows(code) {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(
            isDomainError(thrown),
            `expected a DomainError ${code}, got ${String(thrown)}`,
          ).to.equal(true);
          expect(isDomainError(thrown) ? thrown.code : undefined).to.equal(code);
        },
        get events() {
          return run();
        },
        get state() {
          return fold(run(), before);
        },
      };
    },
  };
  return self;
}

/** Folds a history to its state. */
export function stateOf(
  ...history: readonly (AccountEvent | readonly AccountEvent[])[]
): AccountState {
  return fold(history.flat());
}
