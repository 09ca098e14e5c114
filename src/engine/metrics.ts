import { Counter, Gauge, type Registry } from 'prom-client';

/** What the engine counts; `createEngineMetrics` backs it with prom-client. */
export interface EngineMetrics {
  /** Commands that succeeded, by action (`fill`, `trigger`, `expire`, `update_water_mark`). */
  readonly commands: { inc(labels: { action: string }): void };
  /** Evaluations the decider refused as stale (dropped, not parked). */
  readonly dropped: { inc(labels: { action: string }): void };
  readonly retries: { inc(): void };
  readonly parked: { inc(): void };
}

/** Live numbers the gauges read at scrape time. */
export interface EngineStatusSource {
  status(): Promise<{ active: boolean; lagEvents: number; openOrders: number; inFlight: number }>;
}

/**
 * Registers `engine_commands_total{action}` (fills, triggers, expiries, water marks),
 * `engine_dropped_total{action}`, `engine_retries_total`, `engine_parked_total`, and the
 * gauges `engine_active`, `engine_lag_events`, `engine_open_orders`, `engine_commands_in_flight`
 * (read from `source` at scrape time).
 */
export function createEngineMetrics(
  registry: Registry,
  source?: () => EngineStatusSource | undefined,
): EngineMetrics {
  const commands = new Counter({
    name: 'engine_commands_total',
    help: 'Commands the execution engine applied, by action (fill, trigger, expire, update_water_mark)',
    labelNames: ['action'],
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'engine_dropped_total',
    help: 'Stale engine evaluations the decider refused (dropped, not parked)',
    labelNames: ['action'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'engine_retries_total',
    help: 'Engine command attempts retried after a failure',
    registers: [registry],
  });
  const parked = new Counter({
    name: 'engine_parked_total',
    help: 'Engine commands parked after exhausting their retries',
    registers: [registry],
  });
  const gauge = (name: string, help: string, collect?: () => Promise<void>) =>
    new Gauge({ name, help, registers: [registry], ...(collect ? { collect } : {}) });
  const active = gauge('engine_active', '1 when this process holds the engine lease', async () => {
    const status = await source?.()?.status();
    active.set(status?.active ? 1 : 0);
    lag.set(status?.lagEvents ?? 0);
    open.set(status?.openOrders ?? 0);
    inFlight.set(status?.inFlight ?? 0);
  });
  const lag = gauge('engine_lag_events', 'Account events stored but not yet seen by the engine');
  const open = gauge('engine_open_orders', 'Live orders in the engine index');
  const inFlight = gauge('engine_commands_in_flight', 'Engine commands being applied');
  return { commands, dropped, retries, parked };
}

/** Metrics that count nothing (tests, tools). */
export const NO_METRICS: EngineMetrics = {
  commands: { inc: () => undefined },
  dropped: { inc: () => undefined },
  retries: { inc: () => undefined },
  parked: { inc: () => undefined },
};
