import { expect } from 'chai';
import { readModelProjections, type ReadModelDb } from '../../src/projections/index.ts';
import { ProjectionRunner, type Projection } from '../../src/projections/runner.ts';
import { tradingProjections } from '../../src/projections/trading.ts';
import { order } from '../commands/support.ts';
import { sharedPglite } from '../support/pglite.ts';
import { CONTEXT, tradingFixture, tradingTables, type TradingFixture } from './trading-support.ts';

const TRADING = ['accounts', 'orders', 'positions', 'fills', 'portfolio_history'];

/**
 * The trading projections keep the account folds of their last batch in memory. These tests
 * make the stored folds change behind that cache (another runner, a rolled-back batch) and
 * check the rows are still exactly those of a rebuild.
 */
describe('trading projections: the in-memory fold cache (PGlite)', function () {
  this.timeout(120_000);
  let fx: TradingFixture;
  let account: string;
  before(async () => {
    fx = await tradingFixture(await sharedPglite(), { ids: 'c' });
    ({ accountId: account } = await fx.service.openAccount(
      { ownerId: 'alice', name: 'Main', initialCash: '100000' },
      CONTEXT,
    ));
  });
  after(async () => {
    await fx.dispose();
  });

  const trade = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await fx.service.placeOrder(account, order({ symbol: 'KO', qty: '1' }), {}, CONTEXT);
      await fx.service.deposit(account, { amount: '1.01' }, CONTEXT);
      // Events of other streams advance checkpoints without touching the projections.
      await fx.store.append('user-someone', [{ type: 'Noise', data: {} }]);
    }
  };

  /** The tables as they are, and as a rebuild from 0 writes them. */
  async function rebuilt(): Promise<{ before: unknown; after: unknown }> {
    const rebuilder = new ProjectionRunner(fx.store, fx.db, readModelProjections(), {
      batchSize: 1000,
    });
    const before = await tradingTables(fx.db);
    for (const name of TRADING) await rebuilder.rebuild(name);
    const after = await tradingTables(fx.db);
    return { before, after };
  }

  it("two runners taking turns see each other's folds, not their own stale copies", async () => {
    const a = new ProjectionRunner(fx.store, fx.db, readModelProjections(), { batchSize: 3 });
    const b = new ProjectionRunner(fx.store, fx.db, readModelProjections(), { batchSize: 3 });
    for (let round = 0; round < 4; round++) {
      await trade(2);
      await (round % 2 ? b : a).catchUp(TRADING);
    }
    const { before, after } = await rebuilt();
    expect(before).to.deep.equal(after);
    const view = await fx.queries.getAccount({ tenant: 'alice' }, account);
    expect(view?.cash).to.equal((await fx.service.load(account)).state.cash);
  });

  it('a batch rolled back after a projection applied it is applied again from the stored folds', async () => {
    let failuresLeft = 0;
    // Applies after the trading projections in the same transaction, and fails once.
    const failing: Projection<ReadModelDb> = {
      name: 'fails_once',
      apply() {
        if (failuresLeft-- > 0) return Promise.reject(new Error('boom'));
        return Promise.resolve();
      },
      reset: () => Promise.resolve(),
    };
    const runner = new ProjectionRunner(
      fx.store,
      fx.db,
      [...tradingProjections<ReadModelDb>(), failing],
      { batchSize: 4 },
    );
    await runner.prepare();
    await runner.catchUp();
    await trade(3);
    failuresLeft = 1;
    let error: unknown;
    try {
      await runner.catchUp();
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.contain('boom');
    await runner.catchUp();
    const { before, after } = await rebuilt();
    expect(before).to.deep.equal(after);
    const view = await fx.queries.getAccount({ tenant: 'alice' }, account);
    expect(view?.cash).to.equal((await fx.service.load(account)).state.cash);
  });
});
