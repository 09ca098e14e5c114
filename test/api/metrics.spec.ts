import { expect } from 'chai';
import { equity } from '../../src/domain/instrument.ts';
import { createEngineMetrics, ExecutionEngine, MemoryEngineStore } from '../../src/engine/index.ts';
import { WrongExpectedVersion } from '../../src/eventstore/port.ts';
import { call } from '../auth/harness.ts';
import { SseClient, startLiveHarness, TEST_CONTEXT, type LiveHarness } from './stream-harness.ts';

/** The value of one sample line `name{labels} value` (labels matched as a subset), or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('api: GET /metrics after traffic', () => {
  let h: LiveHarness;
  let engine: ExecutionEngine;
  let text: string;
  let second: string;

  before(async function () {
    // The first suite to touch the shared PGlite pays for starting it.
    this.timeout(120_000);
    h = await startLiveHarness();
    engine = new ExecutionEngine({
      service: h.accounts,
      events: h.store,
      state: new MemoryEngineStore(),
      metrics: createEngineMetrics(h.metrics, () => engine),
    });
    await engine.start();
    await engine.whenActive();

    const user = await h.user();
    const stream = await SseClient.open(`${h.url}/stream`, user.access);
    await stream.take(1);
    // Writes: an account and a market order (appends through the instrumented store)…
    const { accountId } = await h.accounts.openAccount(
      { ownerId: user.userId, name: 'M', initialCash: '10000' },
      TEST_CONTEXT,
    );
    await h.accounts.placeOrder(
      accountId,
      { instrument: equity('AAPL'), side: 'buy', type: 'market', timeInForce: 'day', qty: '1' },
      {},
      TEST_CONTEXT,
    );
    // …and one refused by its expected revision.
    const conflict = await h.store
      .append(`account-${accountId}`, [{ type: 'Noise', data: {} }], { expectedRevision: 0 })
      .catch((error: unknown) => error);
    expect(conflict).to.be.instanceOf(WrongExpectedVersion);
    await stream.take(6);
    stream.close();
    // Reads: successes and problems.
    const get = (path: string) => call(`${h.url}${path}`, 'GET', undefined, user.access);
    expect((await get('/market/clock')).status).to.equal(200);
    expect((await get('/market/clock')).status).to.equal(200);
    expect((await get('/market/quotes/NOPE')).status).to.equal(404);
    expect((await get('/market/bars/AAPL?limit=0')).status).to.equal(422);
    expect((await call(`${h.url}/market/clock`, 'GET')).status).to.equal(401);
    expect((await get('/no/such/route')).status).to.equal(404);

    const res = await fetch(`${h.origin}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    text = await res.text();
    second = await (await fetch(`${h.origin}/metrics`)).text();
  });

  after(async () => {
    await engine.stop();
    await h.close();
  });

  it('counts requests and their latency by route pattern and status', () => {
    const clock = { method: 'GET', route: '/api/v1/market/clock', status_code: '200' };
    expect(sample(text, 'http_request_duration_seconds_count', clock)).to.equal(2);
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...clock, le: '+Inf' })).to.equal(
      2,
    );
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        route: '/api/v1/market/quotes/:symbol',
        status_code: '404',
      }),
    ).to.equal(1);
    expect(text).to.match(/^# TYPE http_requests_in_flight gauge$/m);
  });

  it('counts errors by route, status and problem code', () => {
    expect(
      sample(text, 'http_errors_total', {
        route: '/api/v1/market/quotes/:symbol',
        status_code: '404',
        code: 'unknown_symbol',
      }),
    ).to.equal(1);
    expect(
      sample(text, 'http_errors_total', {
        route: '/api/v1/market/bars/:symbol',
        status_code: '422',
        code: 'validation_failed',
      }),
    ).to.equal(1);
    // Refused before any route matched: labelled `unmatched`, still with its code.
    expect(
      sample(text, 'http_errors_total', { route: 'unmatched', code: 'unauthenticated' }),
    ).to.equal(1);
    expect(sample(text, 'http_errors_total', { route: 'unmatched', code: 'not_found' })).to.equal(
      1,
    );
    expect(sample(text, 'http_errors_total', { status_code: '200' })).to.equal(undefined);
  });

  it('measures event-store appends by outcome', () => {
    const ok = sample(text, 'eventstore_append_duration_seconds_count', {
      adapter: 'pglite',
      outcome: 'ok',
    });
    expect(ok).to.be.at.least(2);
    expect(
      sample(text, 'eventstore_append_duration_seconds_count', {
        adapter: 'pglite',
        outcome: 'conflict',
      }),
    ).to.equal(1);
    expect(sample(text, 'eventstore_appended_events_total', { adapter: 'pglite' })).to.be.at.least(
      4,
    );
  });

  it('reports projection lag from the first scrape on', () => {
    for (const name of [
      'projection_lag_events',
      'projection_lag_seconds',
      'projection_checkpoint',
      'projection_failures_total',
    ]) {
      expect([name, sample(text, name, { projection: 'users' })]).to.satisfy(
        ([, v]: [string, number | undefined]) => typeof v === 'number' && v >= 0,
      );
    }
    // Nothing ran the projections here: every stored event is lag.
    expect(sample(text, 'projection_lag_events', { projection: 'accounts' })).to.be.greaterThan(0);
  });

  it('reports engine lag', () => {
    // src/engine/metrics.ts sets its gauges from `engine_active`'s collect, which prom-client
    // runs concurrently with the others' reads: they show the previous scrape's values.
    expect(sample(second, 'engine_lag_events')).to.be.a('number').and.at.least(0);
    expect(sample(second, 'engine_active')).to.equal(1);
    expect(sample(second, 'engine_open_orders')).to.equal(0);
  });

  it('reports live streams and the messages they carried', () => {
    expect(sample(text, 'live_streams_open')).to.equal(0);
    expect(sample(text, 'live_messages_total', { event: 'fill' })).to.equal(1);
    expect(sample(text, 'live_messages_total', { event: 'order' })).to.equal(2);
  });
});
