import { expect } from 'chai';
import { AccountService, type CallContext } from '../../src/commands/accounts.ts';
import { avgEntryPrice, openOrders } from '../../src/domain/account/index.ts';
import { equity } from '../../src/domain/instrument.ts';
import { ExecutionEngine, MemoryEngineStore } from '../../src/engine/index.ts';
import { CorporateActionsProcess } from '../../src/engine/corporate-actions.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import type { CorporateAction } from '../../src/market/reference.ts';
import { StaticCorporateActions } from '../../src/market/simulated/reference/corporate-actions.ts';
import { scriptedMarket } from './support.ts';

const user: CallContext = { actor: 'user:u1', source: 'test' };
/** Monday 2025-03-03 10:00 New York. */
const MONDAY_10 = new Date('2025-03-03T15:00:00.000Z');
/** Pre-open (04:00 New York) of Tuesday, Wednesday, Friday. */
const TUESDAY_PRE = new Date('2025-03-04T09:00:00.000Z');
const WEDNESDAY_PRE = new Date('2025-03-05T09:00:00.000Z');
const FRIDAY_PRE = new Date('2025-03-07T09:00:00.000Z');

const ACTIONS: CorporateAction[] = [
  {
    kind: 'split',
    id: 'split-AAPL-2025-03-04',
    symbol: 'AAPL',
    declaredDate: '2025-02-01',
    exDate: '2025-03-04',
    newShares: 2,
    oldShares: 1,
    simulated: true,
  },
  {
    kind: 'cash_dividend',
    id: 'div-AAPL-2025-03-05',
    symbol: 'AAPL',
    declaredDate: '2025-02-15',
    exDate: '2025-03-05',
    recordDate: '2025-03-05',
    payDate: '2025-03-07',
    amountPerShare: '0.1',
    frequency: 'quarterly',
    simulated: true,
  },
];

async function setup() {
  const { market, clock } = scriptedMarket(MONDAY_10);
  market.push('AAPL', { bid: '100', ask: '100', last: '100' });
  const store = new MemoryEventStore();
  const service = new AccountService({ store, market });
  const open = async (cash: string): Promise<string> =>
    (await service.openAccount({ ownerId: 'u1', name: 'A', initialCash: cash }, user)).accountId;
  const holder = await open('100000');
  const bystander = await open('5000');
  await service.placeOrder(
    holder,
    { instrument: equity('AAPL'), side: 'buy', type: 'market', timeInForce: 'day', qty: '10' },
    {},
    user,
  );
  await service.placeOrder(
    holder,
    {
      instrument: equity('AAPL'),
      side: 'buy',
      type: 'limit',
      timeInForce: 'gtc',
      qty: '5',
      limitPrice: '90.01',
    },
    {},
    user,
  );
  return { market, clock, store, service, holder, bystander };
}

describe('engine: corporate actions on their dates', () => {
  it('splits at the ex-date pre-open, accrues and pays dividends, and leaves others alone', async () => {
    const { clock, store, service, holder, bystander } = await setup();
    const engine = new ExecutionEngine({
      service,
      events: store,
      state: new MemoryEngineStore(),
      corporateActions: new StaticCorporateActions(ACTIONS),
      leasePollMs: 5,
    });
    await engine.start();
    await engine.whenActive();
    await engine.corporateActionsIdle();
    // Monday: nothing is effective yet.
    expect((await service.load(holder)).state.positions['AAPL']?.qty).to.equal('10');

    clock.advanceTo(TUESDAY_PRE);
    await engine.corporateActionsIdle();
    const split = (await service.load(holder)).state;
    const position = split.positions['AAPL'];
    expect(position).to.deep.include({ qty: '20', costBasis: '1000' });
    expect(position && avgEntryPrice(position)).to.equal('50');
    const [limit] = openOrders(split);
    expect(limit).to.deep.include({ qty: '10', limitPrice: '45', reservePrice: '45' });

    clock.advanceTo(WEDNESDAY_PRE);
    await engine.corporateActionsIdle();
    expect((await service.load(holder)).state.corporateActions?.['div-AAPL-2025-03-05']).to.include(
      { status: 'accrued', qty: '20', amount: '2' },
    );
    const cashBefore = (await service.load(holder)).state.cash;

    clock.advanceTo(FRIDAY_PRE);
    await engine.corporateActionsIdle();
    const paid = (await service.load(holder)).state;
    expect(Number(paid.cash) - Number(cashBefore)).to.be.closeTo(2, 1e-9);
    expect(paid.dividends).to.equal('2');

    const events = await store.readStream(`account-${holder}`);
    expect(events.map((e) => e.type).slice(-3)).to.deep.equal([
      'StockSplitApplied',
      'DividendAccrued',
      'DividendPaid',
    ]);
    expect(events.at(-1)?.metadata.causationId).to.equal(
      'corporate-action:div-AAPL-2025-03-05:pay',
    );
    const others = await store.readStream(`account-${bystander}`);
    expect(others.map((e) => e.type)).to.deep.equal(['AccountOpened', 'CashDeposited']);
    await engine.stop();
  });

  it('catches up after downtime and applies each action once however often it runs', async () => {
    const { clock, service, holder } = await setup();
    const process = new CorporateActionsProcess({
      service,
      calendar: new StaticCorporateActions(ACTIONS),
    });
    // The engine slept through Tuesday and Wednesday pre-opens.
    clock.advanceTo(new Date('2025-03-05T15:00:00.000Z'));
    const first = await process.run();
    expect(first).to.deep.equal({ date: '2025-03-05', applied: 2, refused: 0, failed: 0 });
    const again = new CorporateActionsProcess({
      service,
      calendar: new StaticCorporateActions(ACTIONS),
    });
    expect(await again.run()).to.deep.include({ applied: 0, refused: 0 });
    const state = (await service.load(holder)).state;
    expect(state.positions['AAPL']?.qty).to.equal('20');
    expect(state.corporateActions?.['div-AAPL-2025-03-05']).to.include({ qty: '20' });
  });

  it('refuses, and logs, an action whose ex-date holdings the account no longer knows', async () => {
    const { clock, service, holder } = await setup();
    // Trading resumed on Thursday before any split was applied.
    clock.advanceTo(new Date('2025-03-06T15:00:00.000Z'));
    await service.deposit(holder, { amount: '1' }, user);
    const warnings: object[] = [];
    const process = new CorporateActionsProcess({
      service,
      calendar: new StaticCorporateActions(ACTIONS),
      logger: {
        info: () => undefined,
        error: () => undefined,
        warn: (o) => warnings.push(o),
      },
    });
    const run = await process.run();
    expect(run).to.deep.include({ applied: 0, refused: 2 });
    expect(warnings[0]).to.include({ code: 'corporate_action_not_applicable' });
  });
});
