import { expect } from 'chai';
import { MemoryCache } from '../../src/cache/memory.ts';
import {
  AccountSnapshots,
  SnapshotVersions,
  type AccountSnapshot,
} from '../../src/projections/account-snapshots.ts';
import { fmt } from '../../src/domain/money.ts';
import { markPrice } from '../../src/projections/valuation.ts';
import { order } from '../commands/support.ts';
import { CONTEXT, TARGETS, tradingFixture, type TradingFixture } from './trading-support.ts';

for (const [name, open] of TARGETS) {
  describe(`account snapshots in the cache (${name})`, function () {
    this.timeout(60_000);
    let fx: TradingFixture;
    let alice: string;
    let bob: string;
    const asAlice = { tenant: 'alice' } as const;

    before(async function () {
      fx = await tradingFixture(await open(this), { ids: `snap${name}`, cache: new MemoryCache() });
      ({ accountId: alice } = await fx.service.openAccount(
        { ownerId: 'alice', name: 'Main', initialCash: '100000' },
        CONTEXT,
      ));
      ({ accountId: bob } = await fx.service.openAccount(
        { ownerId: 'bob', name: 'Main', initialCash: '5000' },
        CONTEXT,
      ));
      await fx.catchUp();
    });
    after(async () => {
      await fx.dispose();
    });

    /** Changes the stored row behind the projections' back: only a database read shows it. */
    const tamper = (account: string, cash: string) =>
      fx.db.updateTable('accounts').set({ cash }).where('account_id', '=', account).execute();

    it('serves a read from the snapshot until the projections change the account', async () => {
      expect((await fx.queries.getAccount(asAlice, alice))?.cash).to.equal('100000');
      await tamper(alice, '1');
      // Cached: the tampered row is not read.
      expect((await fx.queries.getAccount(asAlice, alice))?.cash).to.equal('100000');
      await fx.service.deposit(alice, { amount: '25' }, CONTEXT);
      await fx.catchUp();
      // The deposit was projected: the snapshot is gone and the projected row is read.
      expect((await fx.queries.getAccount(asAlice, alice))?.cash).to.equal('100025');
    });

    it('positions come from the snapshot and change with the fill that changed them', async () => {
      expect(await fx.queries.listPositions(asAlice, alice)).to.deep.equal([]);
      await fx.service.placeOrder(alice, order({ symbol: 'KO', qty: '3' }), {}, CONTEXT);
      await fx.catchUp();
      const [position] = await fx.queries.listPositions(asAlice, alice);
      expect(position?.qty).to.equal('3');
      expect((await fx.queries.getPosition(asAlice, alice, 'ko'))?.qty).to.equal('3');
      expect(await fx.queries.accountOwner(asAlice, alice)).to.equal('alice');
    });

    it('values snapshot positions at the quote of the moment: the same within a tick, new after it', async () => {
      const [held] = await fx.queries.listPositions(asAlice, alice);
      expect(held?.symbol).to.equal('KO');
      const again = await fx.queries.listPositions(asAlice, alice);
      expect(again).to.deep.equal([held]);
      // Walk the clock tick by tick until the mark moves; every read follows the quote.
      let moved = false;
      for (let i = 0; i < 120 && !moved; i++) {
        fx.clock.advance(1_000);
        const mark = markPrice(fx.market.latestQuote('KO'));
        const [now] = await fx.queries.listPositions(asAlice, alice);
        expect(now?.currentPrice).to.equal(mark === undefined ? null : fmt(mark));
        expect(now?.marketValue).to.equal(mark === undefined ? null : fmt(mark.times(3)));
        moved = now?.currentPrice !== held?.currentPrice;
      }
      expect(moved, 'the mark never moved in two minutes of ticks').to.equal(true);
    });

    it('never answers another tenant, even for an account another tenant has cached', async () => {
      expect(await fx.queries.getAccount(asAlice, alice)).to.not.equal(undefined);
      expect(await fx.queries.getAccount({ tenant: 'bob' }, alice)).to.equal(undefined);
      expect(await fx.queries.accountOwner({ tenant: 'bob' }, alice)).to.equal(undefined);
      expect(await fx.queries.listPositions({ tenant: 'bob' }, alice)).to.deep.equal([]);
      expect(await fx.queries.getAccount(asAlice, bob)).to.equal(undefined);
      // Readers see every account through their own entries.
      expect((await fx.queries.getAccount({ reader: 'auditor' }, bob))?.ownerId).to.equal('bob');
      expect(await fx.queries.getAccount({ none: true }, alice)).to.equal(undefined);
    });

    it('a rebuild retires every snapshot', async () => {
      const before = (await fx.queries.getAccount(asAlice, alice))?.cash;
      await tamper(alice, '7');
      await fx.runner.rebuild('accounts');
      // The rebuild rewrote the row from the events and the snapshot was retired.
      expect((await fx.queries.getAccount(asAlice, alice))?.cash).to.equal(before);
    });
  });
}

describe('account snapshots: invalidation races', () => {
  const close = new Date('2025-03-03T21:00:00Z');
  const snapshot = (name: string): AccountSnapshot => ({
    account: undefined,
    positions: [],
    previous: undefined,
    previousClose: close.toISOString(),
    ...{ marker: name },
  });

  function harness() {
    const cache = new MemoryCache();
    const versions = new SnapshotVersions(cache);
    let applied = 5;
    let loads = 0;
    let release: (() => void) | undefined;
    let current = 'v1';
    const snapshots = new AccountSnapshots({
      versions,
      appliedPosition: () => Promise.resolve(applied),
      load: async () => {
        loads += 1;
        const seen = current;
        if (release === undefined) {
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return snapshot(seen);
      },
    });
    return {
      versions,
      snapshots,
      get loads() {
        return loads;
      },
      commit(position: number, next: string) {
        applied = position;
        current = next;
      },
      release() {
        release?.();
        release ??= () => undefined;
      },
    };
  }

  const marker = (s: AccountSnapshot) => (s as AccountSnapshot & { marker: string }).marker;

  it('a load that started before a change committed is never served after it', async () => {
    const h = harness();
    const early = h.snapshots.get({ tenant: 'alice' }, 'a1', close);
    while (h.loads === 0) await new Promise((resolve) => setImmediate(resolve));
    // The load has read the old rows. The projection raises the version inside its transaction, then commits.
    await h.versions.changed(['a1'], 9);
    h.commit(9, 'v2');
    h.release();
    expect(marker(await early)).to.equal('v1');
    expect(marker(await h.snapshots.get({ tenant: 'alice' }, 'a1', close))).to.equal('v2');
    expect(h.loads).to.equal(2);
    // Now current: served from the cache.
    expect(marker(await h.snapshots.get({ tenant: 'alice' }, 'a1', close))).to.equal('v2');
    expect(h.loads).to.equal(2);
  });

  it('concurrent misses of one key load once', async () => {
    const h = harness();
    const reads = Array.from({ length: 10 }, () =>
      h.snapshots.get({ tenant: 'alice' }, 'a1', close),
    );
    h.release();
    await Promise.all(reads);
    expect(h.loads).to.equal(1);
  });

  it('an epoch bump retires every snapshot at once', async () => {
    const h = harness();
    h.release();
    await h.snapshots.get({ tenant: 'alice' }, 'a1', close);
    await h.snapshots.get({ tenant: 'bob' }, 'a2', close);
    await h.versions.changedAll();
    await h.snapshots.get({ tenant: 'alice' }, 'a1', close);
    await h.snapshots.get({ tenant: 'bob' }, 'a2', close);
    expect(h.loads).to.equal(4);
  });
});
