import { expect } from 'chai';
import { CommandHandler } from '../../src/commands/handler.ts';
import { accountDecider } from '../../src/domain/account/index.ts';
import { accountStream } from '../../src/domain/ids.ts';
import { resultJson, runBacktest } from '../../src/backtest/run.ts';
import { runBacktestWithLedger } from './ledger-access.ts';
import { dailySeries, request, scripted, weekdays } from './support.ts';

const days = weekdays('2024-03-04', 6);
const series = dailySeries('AAA', [
  [days[0] ?? '', 100, 101, 99, 100],
  [days[1] ?? '', 102, 103, 101, 102.5],
  [days[2] ?? '', 103, 104, 95, 96],
  [days[3] ?? '', 90, 92, 89, 91],
  [days[4] ?? '', 91, 94, 90, 93],
  [days[5] ?? '', 93, 95, 92, 94],
]);
const range = { from: days[0] ?? '', to: days[5] ?? '' };

describe('backtest: the replay engine', () => {
  it('fills a market order placed on a bar at the next bar’s open, through the decider', async () => {
    const buyFirst = scripted((ctx, n) => {
      if (n === 0) expect(ctx.buy('AAA', 10).status).to.equal('placed');
    });
    const result = await runBacktest(request(range), buyFirst, { series: [series], source: 'csv' });
    expect(result.trades[0]).to.deep.include({ entry_price: 102, qty: 10, open: true });
    expect(result.final.positions).to.deep.equal([{ symbol: 'AAA', qty: '10', costBasis: '1020' }]);
    expect(result.final.cash).to.equal('98980');
    // Marked at the last close, 94: 98980 + 940.
    expect(result.metrics.final_equity).to.equal(99920);
    expect(result.orders).to.deep.include({ placed: 1, filled: 1, rejected: 0 });
  });

  it('with fill_at close fills market orders at the same bar’s close', async () => {
    const buyFirst = scripted((ctx, n) => {
      if (n === 0) expect(ctx.buy('AAA', 10).status).to.equal('filled');
    });
    const result = await runBacktest(request({ ...range, fill_at: 'close' }), buyFirst, {
      series: [series],
      source: 'csv',
    });
    expect(result.final.cash).to.equal('99000');
  });

  it('keeps every decision in its own memory event store, and the stream folds to the same account', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0) ctx.buy('AAA', 10);
      if (n === 2) ctx.sell('AAA', 10);
    });
    const { result, ledger } = await runBacktestWithLedger(request(range), trader, series);
    const handler = new CommandHandler(ledger.store, accountDecider, { streamId: accountStream });
    const loaded = await handler.load(ledger.accountId);
    expect(loaded.state.cash).to.equal(result.final.cash);
    expect(loaded.state.positions).to.deep.equal(ledger.state.positions);
    const events = await ledger.store.readStream(ledger.stream);
    expect(events.map((e) => e.type)).to.deep.equal([
      'AccountOpened',
      'CashDeposited',
      'OrderPlaced',
      'OrderFilled',
      'OrderPlaced',
      'OrderFilled',
    ]);
    // Bought at the open of bar 2 (102), sold at the open of bar 4 (90): realized −120, and the
    // sell paid the trading core's SEC fee and TAF.
    const sale = events[5]?.data as {
      price: string;
      realizedPnl: string;
      secFee: string;
      taf: string;
    };
    expect(sale).to.deep.include({ price: '90', realizedPnl: '-120', secFee: '0.03', taf: '0.01' });
    expect(events[3]?.metadata.simTime).to.equal(
      new Date(Date.parse(`${days[1] ?? ''}T14:30:00Z`)).toISOString(),
    );
  });

  it('triggers a resting stop when the bar’s path crosses it and fills at the first quote past it (a gap fills at the open)', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0) ctx.buy('AAA', 10);
      if (n === 1) ctx.sell('AAA', 10, { type: 'stop', stopPrice: 97, timeInForce: 'gtc' });
    });
    const result = await runBacktest(request(range), trader, { series: [series], source: 'csv' });
    // Bar 3 opens at 103, falls to 95 (down bar: open → high → low → close): the stop at 97 is
    // hit on the way down, at 97 (a quote at the stop level).
    expect(result.trades[0]).to.deep.include({ exit_price: 97, open: false });
    const gap = scripted((ctx, n) => {
      if (n === 0) ctx.buy('AAA', 10);
      if (n === 2) ctx.sell('AAA', 10, { type: 'stop', stopPrice: 94, timeInForce: 'gtc' });
    });
    const gapped = await runBacktest(request(range), gap, { series: [series], source: 'csv' });
    // Bar 4 gaps down to open at 90 below the 94 stop: the open quote triggers and fills it.
    expect(gapped.trades[0]).to.deep.include({ exit_price: 90 });
  });

  it('works a limit order over several bars and expires an unfilled day order at the next close', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0) ctx.buy('AAA', 5, { type: 'limit', limitPrice: 96.5, timeInForce: 'gtc' });
      if (n === 0) ctx.buy('AAA', 5, { type: 'limit', limitPrice: 80, timeInForce: 'day' });
    });
    const result = await runBacktest(request(range), trader, { series: [series], source: 'csv' });
    // The gtc limit rests through bar 2 and fills on bar 3, whose path reaches 95 ≤ 96.5.
    expect(result.trades[0]).to.deep.include({ entry_price: 96.5, qty: 5 });
    expect(result.orders).to.deep.include({ placed: 2, filled: 1, expired: 1 });
  });

  it('reports a rejection with the decider’s reason and writes no fill', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0)
        expect(ctx.buy('AAA', 5000)).to.deep.include({
          status: 'rejected',
          reason: 'insufficient_buying_power',
        });
    });
    const result = await runBacktest(request(range), trader, { series: [series], source: 'csv' });
    expect(result.orders).to.deep.include({
      rejected: 1,
      rejections: { insufficient_buying_power: 1 },
    });
    expect(result.final.cash).to.equal('100000');
  });

  it('charges the commission model and applies slippage against the trader', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0) ctx.buy('AAA', 100);
    });
    const result = await runBacktest(
      request({ ...range, commission: '0.01/share', slippage_bps: 10 }),
      trader,
      { series: [series], source: 'csv' },
    );
    // 102 + 10 bps = 102.102 → 102.11 (rounded against the buyer); commission 1.00.
    expect(result.final.positions[0]?.costBasis).to.equal('10211');
    expect(result.final.cash).to.equal(String(100000 - 10211 - 1));
  });

  it('targetPercent sizes an order the buying-power check accepts', async () => {
    const trader = scripted((ctx, n) => {
      if (n === 0) expect(ctx.targetPercent('AAA', 1)?.status).to.equal('placed');
    });
    const result = await runBacktest(request(range), trader, { series: [series], source: 'csv' });
    // Reserve: ask 100 × (1 + 2 % buffer) = 102 per share → 980 shares.
    expect(result.final.positions[0]?.qty).to.equal('980');
  });

  it('gives byte-identical JSON for the same inputs', async () => {
    const trader = scripted((ctx, n) => {
      if (n % 2 === 0) ctx.targetPercent('AAA', 0.5);
      else ctx.targetPercent('AAA', 0);
    });
    const a = resultJson(
      await runBacktest(request(range), trader, { series: [series], source: 'csv' }),
    );
    const b = resultJson(
      await runBacktest(request(range), trader, { series: [series], source: 'csv' }),
    );
    expect(a).to.equal(b);
    expect(JSON.parse(a)).to.have.property('metrics');
  });
});
