import { Counter, Histogram, type Registry } from 'prom-client';
import { WrongExpectedVersion, type EventStore } from './port.ts';

const APPEND_DURATION = 'eventstore_append_duration_seconds';
const APPENDED_EVENTS = 'eventstore_appended_events_total';

/** Append latencies are milliseconds on a healthy store; the buckets resolve 0.5 ms to 5 s. */
const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A metric already on `registry` under `name`, or a new one from `create`. */
function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** What an append ended as: stored, refused by its expected revision, or failed. */
export type AppendOutcome = 'ok' | 'conflict' | 'error';

/**
 * Decorates an event store so every `append` is measured in
 * `eventstore_append_duration_seconds{adapter,outcome}` (outcome `ok`, `conflict` for a
 * `WrongExpectedVersion`, `error` otherwise) and counted in
 * `eventstore_appended_events_total{adapter}`. Everything else passes through untouched, and
 * so do optional adapter extras such as `streamHeads` (used by `ledger verify`).
 *
 * Apply it outermost, over the hash-chained store, so the latency is the one command handlers
 * wait for. Registering twice on one registry reuses the metrics.
 */
export function instrumentEventStore(store: EventStore, registry: Registry): EventStore {
  const duration = reuse(
    registry,
    APPEND_DURATION,
    () =>
      new Histogram({
        name: APPEND_DURATION,
        help: 'Event-store append latency in seconds by adapter and outcome (ok, conflict, error)',
        labelNames: ['adapter', 'outcome'],
        buckets: APPEND_BUCKETS,
        registers: [registry],
      }),
  );
  const appended = reuse(
    registry,
    APPENDED_EVENTS,
    () =>
      new Counter({
        name: APPENDED_EVENTS,
        help: 'Events appended to the event store by adapter',
        labelNames: ['adapter'],
        registers: [registry],
      }),
  );
  const extras = store as EventStore & { streamHeads?: () => Promise<unknown> };
  const { streamHeads } = extras;
  const instrumented: EventStore & { streamHeads?: () => Promise<unknown> } = {
    get kind() {
      return store.kind;
    },
    async append(streamId, events, options) {
      const end = duration.startTimer({ adapter: store.kind });
      try {
        const result = await store.append(streamId, events, options);
        end({ outcome: 'ok' });
        appended.inc({ adapter: store.kind }, events.length);
        return result;
      } catch (error) {
        end({ outcome: error instanceof WrongExpectedVersion ? 'conflict' : 'error' });
        throw error;
      }
    },
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    wake: () => {
      store.wake?.();
    },
    close: () => store.close(),
    ...(typeof streamHeads === 'function' ? { streamHeads: () => streamHeads.call(store) } : {}),
  };
  return instrumented;
}
