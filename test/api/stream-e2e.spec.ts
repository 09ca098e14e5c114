import { expect } from 'chai';
import { startApiServer, type ApiServer } from '../support/api.ts';
import { call, newUser, openAccount } from '../support/api-client.ts';
import { SseClient } from './stream-harness.ts';

describe('api: live updates, market routes and metrics in the composed server', () => {
  let server: ApiServer;
  before(async function () {
    this.timeout(120_000);
    server = await startApiServer();
  });
  after(async () => {
    await server.close();
  });

  it('streams what REST writes, with the REST order resource, and measures the appends', async () => {
    const user = await newUser(server);
    const other = await newUser(server);
    const account = await openAccount(server, user);
    const theirs = await openAccount(server, other);
    const stream = await SseClient.open(`${server.api}/stream`, user.token);
    try {
      await stream.take(1);
      const quote = await call(server, 'GET', '/market/quotes/AAPL', { token: user.token });
      expect(quote.status).to.equal(200);
      await call(server, 'POST', `/accounts/${theirs.id}/orders`, {
        token: other.token,
        body: { symbol: 'MSFT', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' },
      });
      const placed = await call(server, 'POST', `/accounts/${account.id}/orders`, {
        token: user.token,
        body: { symbol: 'AAPL', qty: '3', side: 'buy', type: 'market', time_in_force: 'day' },
      });
      expect(placed.status).to.equal(201);
      const position = placed.headers.get('x-event-position');
      await stream.until((events) => events.some((e) => e.id === position));
      const updates = stream.events.slice(1);
      expect(updates.every((e) => e.data.account_id === account.id)).to.equal(true);
      expect(updates.map((e) => e.event)).to.deep.equal([
        'order',
        'fill',
        'order',
        'position',
        'account',
      ]);
      const read = await call(
        server,
        'GET',
        `/accounts/${account.id}/orders/${String(placed.body.id)}`,
        {
          token: user.token,
          headers: { 'x-min-position': String(position) },
        },
      );
      expect(read.status).to.equal(200);
      expect(updates[2]?.data.order).to.deep.equal(read.body);
      expect(updates[2]?.data.order).to.deep.equal(placed.body);
    } finally {
      stream.close();
    }
    const metrics = await (await fetch(`${server.origin}/metrics`)).text();
    expect(metrics).to.match(
      /^eventstore_append_duration_seconds_count\{adapter="pglite",outcome="ok"\} \d+/m,
    );
    expect(metrics).to.match(/^live_messages_total\{event="fill"\} 1$/m);
    expect(metrics).to.match(/^engine_lag_events \d+/m);
    // Embedded PGlite's autovacuum (its rounds are counted in test/eventstore/vacuum.spec.ts).
    expect(metrics).to.match(/^pglite_autovacuum_rounds_total \d+$/m);
    expect(metrics).to.match(/^pglite_autovacuum_failures_total 0$/m);
  });

  // Last: it shuts the server down.
  it('ends open streams when the server shuts down, instead of holding it for the grace period', async function () {
    // The server's grace period is 10 s: a stream that held the shutdown would time this out.
    this.timeout(8_000);
    const user = await newUser(server);
    const stream = await SseClient.open(`${server.api}/stream`, user.token);
    await stream.take(1);
    await server.close();
    await stream.closedByServer(2_000);
  });
});
