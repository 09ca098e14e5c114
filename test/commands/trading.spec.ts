/**
 * TradingCommands on a real embedded store and real read models: authorization is decided in
 * the command layer (the same answer for REST, MCP and /v2), another tenant's account is
 * refused exactly like a missing one, refusals reach the audit trail, and a preview writes
 * nothing.
 */
import { expect } from 'chai';
import { AccountService } from '../../src/commands/accounts.ts';
import { AuditTrail } from '../../src/commands/audit-trail.ts';
import { PolicyError, type Principal } from '../../src/commands/policy.ts';
import { TradingCommands, accessOf } from '../../src/commands/trading.ts';
import { openPgliteDatabase, type SqlDatabase } from '../../src/eventstore/database.ts';
import { withHashChain } from '../../src/eventstore/hash-chain.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import { createReadSide } from '../../src/projections/index.ts';
import { SqlTradingQueries } from '../../src/projections/trading-queries.ts';
import { frozenMarket, order } from './support.ts';

const alice: Principal = { userId: 'alice', roles: ['trader'], via: 'access_token' };
const bob: Principal = { userId: 'bob', roles: ['trader'], via: 'access_token' };
const viewer: Principal = { userId: 'alice', roles: ['viewer'], via: 'access_token' };
const auditor: Principal = { userId: 'carol', roles: ['auditor'], via: 'access_token' };
const readKey: Principal = {
  userId: 'alice',
  roles: ['trader'],
  via: 'api_key',
  keyId: 'k1',
  scopes: ['read'],
};
const ctx = { source: 'test' as const, correlationId: 'c-1' };

async function refusal(work: Promise<unknown>): Promise<PolicyError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

describe('TradingCommands', function () {
  this.timeout(60_000);
  let database: SqlDatabase;
  let store: EventStore;
  let trading: TradingCommands;
  let accounts: AccountService;
  let stopProjections: () => Promise<void>;
  let caughtUp: (position: number | undefined) => Promise<void>;
  let accountId: string;
  const { market } = frozenMarket();

  before(async () => {
    database = await openPgliteDatabase('memory://');
    store = withHashChain(await openPgliteEventStore({ database }));
    const { projections, readModels } = createReadSide({ eventStore: store, database });
    await projections.prepare();
    await projections.start();
    stopProjections = () => projections.stop();
    caughtUp = (position) => projections.waitForPosition(position ?? 0, 10_000);
    accounts = new AccountService({ store, market });
    trading = new TradingCommands({
      accounts,
      market,
      audit: new AuditTrail(store),
      queries: new SqlTradingQueries(readModels, market),
    });
    const opened = await trading.openAccount(alice, { name: 'Main', initialCash: '100000' }, ctx);
    accountId = opened.accountId;
    await projections.waitForPosition(opened.position ?? 0, 10_000);
  });
  after(async () => {
    await stopProjections();
    market.close();
    await store.close();
    await database.close();
  });

  it('maps principals to read access: readers see every row, others their own', () => {
    expect(accessOf(alice)).to.deep.equal({ tenant: 'alice' });
    expect(accessOf(auditor)).to.deep.equal({ reader: 'auditor' });
    expect(accessOf({ ...bob, roles: ['admin'] })).to.deep.equal({ reader: 'admin' });
  });

  it("refuses another tenant's account exactly like a missing one, for trades and previews", async () => {
    const other = await refusal(trading.placeOrder(bob, accountId, order(), {}, ctx));
    const missing = await refusal(trading.placeOrder(bob, 'no-such-account', order(), {}, ctx));
    const preview = await refusal(trading.previewOrder(bob, accountId, order()));
    const read = await refusal(trading.account(bob, accountId));
    for (const error of [other, missing, preview, read]) {
      expect(error.kind).to.equal('not_found');
      expect(error.code).to.equal('account_not_found');
      expect(error.message).to.equal(missing.message);
    }
    const { state } = await accounts.load(accountId);
    expect(Object.keys(state.orders)).to.have.length(0);
  });

  it('lets viewers, auditors and read-only keys read but not trade', async () => {
    for (const principal of [auditor, readKey]) {
      expect((await trading.account(principal, accountId)).id).to.equal(accountId);
    }
    expect((await refusal(trading.placeOrder(viewer, accountId, order(), {}, ctx))).kind).to.equal(
      'forbidden',
    );
    expect((await refusal(trading.placeOrder(auditor, accountId, order(), {}, ctx))).kind).to.equal(
      'forbidden',
    );
    expect((await refusal(trading.cancelAll(readKey, accountId, ctx))).kind).to.equal('forbidden');
  });

  it('records refusals in the audit trail with the command and target', async () => {
    await refusal(trading.cancelAll(bob, accountId, ctx));
    const all = await store.readAll({ fromPosition: 0, maxCount: 10_000 });
    const refused = all.filter((e) => e.type === 'CommandRefused');
    const last = refused.at(-1)?.data as Record<string, unknown> | undefined;
    expect(last).to.include({
      command: 'CancelAllOrders',
      target: `account-${accountId}`,
      code: 'account_not_found',
      actor: 'user:bob',
    });
  });

  it('previews an order without writing, with buying power before and after', async () => {
    const before = await store.readStream(`account-${accountId}`);
    const preview = await trading.previewOrder(alice, accountId, order({ qty: '10' }));
    expect(preview.accepted).to.equal(true);
    expect(preview.status).to.equal('filled');
    expect(preview.events.map((e) => e.type)).to.deep.equal(['OrderPlaced', 'OrderFilled']);
    expect(Number(preview.buyingPowerAfter)).to.be.lessThan(Number(preview.buyingPowerBefore));
    expect(preview.cashBefore).to.equal('100000');
    const tooBig = await trading.previewOrder(alice, accountId, order({ qty: '100000' }));
    expect(tooBig.accepted).to.equal(false);
    expect(tooBig.rejection?.reason).to.equal('insufficient_buying_power');
    expect(tooBig.findings.map((f) => f.severity)).to.include('rejection');
    expect(await store.readStream(`account-${accountId}`)).to.have.length(before.length);
  });

  it('trades the own account and reads it back through the projections', async () => {
    const placed = await trading.placeOrder(alice, accountId, order({ qty: '3' }), {}, ctx);
    expect(placed.order?.status).to.equal('filled');
    const canceled = await trading.cancelAll(alice, accountId, ctx);
    expect(canceled.accountId).to.equal(accountId);
    await caughtUp(placed.position);
    const position = await trading.position(alice, accountId, 'AAPL');
    expect(position.qty).to.equal('3');
    const missing = await refusal(trading.position(alice, accountId, 'MSFT'));
    expect(missing.code).to.equal('position_not_found');
    const orderMissing = await refusal(trading.order(alice, accountId, 'nope'));
    expect(orderMissing.code).to.equal('order_not_found');
  });
});
