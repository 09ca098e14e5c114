/**
 * Scaled out (`serve --role engine` + `serve --role api` on one PostgreSQL): the API replica
 * runs no projections, yet a read with `X-Min-Position` sees the write it follows, because the
 * wait polls the checkpoints the engine process stores.
 */
import { expect } from 'chai';
import { freshPostgresDatabase, startApiServer, type ApiServer } from '../support/api.ts';
import { call, eventPosition, newUser, openAccount } from '../support/api-client.ts';

describe('trading API scaled out: an api replica beside an engine process (PostgreSQL)', function () {
  this.timeout(120_000);
  let engine: ApiServer | undefined;
  let api: ApiServer | undefined;
  let drop: (() => Promise<void>) | undefined;

  before(async function () {
    const db = await freshPostgresDatabase(this);
    drop = () => db.drop();
    engine = await startApiServer({ role: 'engine', databaseUrl: db.url });
    // Across processes the read models trail by the engine's subscription and the replica's
    // checkpoint polling (hundreds of ms on a loaded machine): a generous bound.
    api = await startApiServer({
      role: 'api',
      databaseUrl: db.url,
      env: { READ_WAIT_MS: '15000' },
    });
  });

  after(async () => {
    await api?.close();
    await engine?.close();
    await drop?.();
  });

  it('reads its own writes through the replica', async () => {
    if (!api) throw new Error('not started');
    const server = api;
    const user = await newUser(server, ['trader'], 'scaled');
    const account = await openAccount(server, user);
    const seen = await call(server, 'GET', `/accounts/${account.id}`, {
      token: user.token,
      headers: { 'X-Min-Position': String(account.position) },
    });
    expect(seen.status, JSON.stringify(seen.body)).to.equal(200);
    expect(seen.body.cash).to.equal('100000');

    const pairs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const placed = await call(server, 'POST', `/accounts/${account.id}/orders`, {
          token: user.token,
          body: { symbol: 'SPY', qty: '1', side: 'buy', type: 'market', client_order_id: `s${i}` },
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        return call(server, 'GET', `/accounts/${account.id}/orders/${String(placed.body.id)}`, {
          token: user.token,
          headers: { 'X-Min-Position': String(eventPosition(placed)) },
        });
      }),
    );
    for (const read of pairs) {
      expect(read.status, JSON.stringify(read.body)).to.equal(200);
      expect(read.body.status).to.equal('filled');
    }
    const routes = await call(server, 'GET', '/health');
    expect(routes.status).to.equal(200);
  });

  it('the engine process serves health but not the API routes', async () => {
    if (!engine) throw new Error('not started');
    expect((await call(engine, 'GET', '/health')).status).to.equal(200);
    expect((await call(engine, 'GET', '/accounts')).status).to.equal(404);
  });
});
