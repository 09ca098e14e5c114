import { expect } from 'chai';
import { withTenant } from '../../src/projections/tenancy.ts';
import type { ReadAccess } from '../../src/projections/tenancy.ts';
import { tradingScenario, type Scenario } from './trading-scenario.ts';
import { TARGETS, tradingFixture, type TradingFixture } from './trading-support.ts';

const TABLES = ['accounts', 'orders', 'positions', 'fills', 'account_balances'] as const;

for (const [target, openDatabase] of TARGETS) {
  describe(`row-level security of the trading read models on ${target}`, function () {
    this.timeout(60_000);
    let fx: TradingFixture;
    let s: Scenario;

    before(async function () {
      fx = await tradingFixture(await openDatabase(this));
      s = await tradingScenario(fx.service, fx.market, fx.clock);
      await fx.catchUp();
    });
    after(async () => {
      await fx.dispose();
    });

    const owners = (access: ReadAccess, table: (typeof TABLES)[number]) =>
      withTenant(fx.db, access, async (trx) =>
        (await trx.selectFrom(table).select('owner_id').execute()).map((r) => r.owner_id),
      );

    it('a tenant sees only its own rows in every table, even when it asks for others', async () => {
      for (const table of TABLES) {
        const bob = await owners({ tenant: 'bob' }, table);
        expect(bob.length, table).to.be.greaterThan(0);
        expect(new Set(bob), table).to.deep.equal(new Set(['bob']));
        const asked = await withTenant(fx.db, { tenant: 'bob' }, (trx) =>
          trx.selectFrom(table).select('owner_id').where('owner_id', '=', 'alice').execute(),
        );
        expect(asked, table).to.have.length(0);
      }
    });

    it('no tenant context sees zero rows; auditors see every row', async () => {
      for (const table of TABLES) {
        expect(await owners({ none: true }, table), table).to.have.length(0);
        expect(new Set(await owners({ reader: 'auditor' }, table)), table).to.deep.equal(
          new Set(['alice', 'bob']),
        );
      }
    });

    it("the queries answer nothing of another tenant's account", async () => {
      const bob: ReadAccess = { tenant: 'bob' };
      const q = fx.queries;
      expect(await q.getAccount(bob, s.alice)).to.equal(undefined);
      expect((await q.listAccounts(bob)).items.map((a) => a.id)).to.deep.equal([s.bob]);
      expect((await q.listOrders(bob, s.alice, { status: 'all' })).items).to.have.length(0);
      expect(await q.getOrder(bob, s.alice, s.partialId)).to.equal(undefined);
      expect(await q.getOrderByClientOrderId(bob, s.alice, 'msft-ladder-1')).to.equal(undefined);
      expect(await q.listPositions(bob, s.alice)).to.have.length(0);
      expect(await q.getPosition(bob, s.alice, 'AAPL')).to.equal(undefined);
      expect((await q.listFills(bob, s.alice)).items).to.have.length(0);
      expect(await q.portfolioHistory(bob, s.alice)).to.equal(undefined);
      expect((await q.listAccounts({ none: true })).items).to.have.length(0);
      expect(await q.getAccount({ reader: 'admin' }, s.alice)).to.not.equal(undefined);
    });

    it('the application role can neither read the projection state nor write read models', async () => {
      let error: unknown;
      try {
        await withTenant(fx.db, { tenant: 'alice' }, (trx) =>
          trx.selectFrom('account_folds').selectAll().execute(),
        );
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/permission denied/);
      for (const table of TABLES) {
        let failed = false;
        try {
          await withTenant(fx.db, { tenant: 'alice' }, (trx) =>
            trx.deleteFrom(table).where('owner_id', '=', 'alice').execute(),
          );
        } catch {
          failed = true;
        }
        expect(failed, table).to.equal(true);
      }
    });
  });
}
