/**
 * The option tools through the MCP SDK client (in-memory transport) against a real PGlite
 * venue: read a chain, trade single contracts and spreads, see positions with greeks and risk,
 * cancel, exercise, and watch expiry settle positions at the close.
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { optionsChainAnalysisWire } from '../../src/api/v1/option-analysis-schemas.ts';
import { analyzeOptionsChain } from '../../src/commands/options-analysis.ts';
import { call, connect, startVenue, trader, type Venue } from './harness.ts';

interface Row {
  symbol: string;
  strike: string;
  option_type: 'call' | 'put';
  bid: string;
  ask: string;
}

describe('MCP option tools', function () {
  this.timeout(120_000);
  let venue: Venue;
  let alice: Client;
  let expirations: string[];
  let spot: number;

  before(async () => {
    venue = await startVenue();
    await venue.openAccount(trader('alice'), '1000000');
    alice = await connect(venue, trader('alice'));
    const chain = await call(alice, 'options_chain', { underlying: 'aapl' });
    expirations = chain.data.expirations as string[];
    spot = chain.data.underlying_price as number;
  });

  after(async () => {
    await alice.close();
    await venue.close();
  });

  /** Rows of an expiration around the money. */
  async function rows(expiration: string, type: 'call' | 'put'): Promise<Row[]> {
    const chain = await call(alice, 'options_chain', {
      underlying: 'AAPL',
      expiration,
      option_type: type,
      max_contracts: 60,
    });
    expect(chain.isError, chain.text).to.equal(false);
    return chain.data.contracts as Row[];
  }

  const near = (list: Row[], target: number): Row =>
    list.reduce((a, b) =>
      Math.abs(Number(b.strike) - target) < Math.abs(Number(a.strike) - target) ? b : a,
    );

  it('lists the option tools by group and reads a chain and one contract', async () => {
    const listed = await call(alice, 'list_tools', {});
    const tools = listed.data.tools as { name: string; group: string }[];
    expect(tools.filter((t) => t.group === 'options').map((t) => t.name)).to.deep.equal([
      'options_chain',
      'option_greeks',
      'option_historicals',
      'aggregate_option_positions',
      'all_option_positions',
      'open_option_positions',
      'exercise_option',
    ]);
    expect(listed.text).to.match(/options: options_chain/);
    const chain = await call(alice, 'options_chain', {
      underlying: 'AAPL',
      expiration: expirations[2],
    });
    expect(chain.text).to.match(/^AAPL at \d+\.\d\d \(simulated\): options expiring/);
    expect(chain.text).to.match(/IV \d+\.\d %, delta -?\d\.\d\d/);
    const row = (chain.data.contracts as Row[])[0];
    if (row === undefined) throw new Error('empty chain');
    const greeks = await call(alice, 'option_greeks', {
      underlying: 'aapl',
      expiration: expirations[2],
      option_type: row.option_type,
      strike: row.strike,
    });
    expect(greeks.isError, greeks.text).to.equal(false);
    expect((greeks.data.contract as { symbol: string }).symbol).to.equal(row.symbol);
    expect(greeks.text).to.match(
      /theta -?[\d.]+\/year \(-?[\d.]+\/day\), vega [\d.]+ per vol point/,
    );
    const history = await call(alice, 'option_historicals', {
      symbol: row.symbol,
      start: '2025-02-18',
    });
    expect(history.isError, history.text).to.equal(false);
    expect((history.data.points as unknown[]).length).to.be.greaterThan(5);

    const unknown = await call(alice, 'options_chain', { underlying: 'PNYX' });
    expect(unknown.isError).to.equal(true);
    expect(unknown.text).to.match(/Error \(unknown_symbol\) in argument "underlying"/);
    const badExpiry = await call(alice, 'options_chain', {
      underlying: 'AAPL',
      expiration: '2025-03-04',
    });
    expect(badExpiry.text).to.match(
      /Error \(unknown_expiration\).*Use one of the listed expirations/,
    );
  });

  it('analyses a chain for a model: ratios, max pain, IV rank, expected move, readable errors', async () => {
    const answer = await call(alice, 'options_chain_analysis', { underlying: 'aapl' });
    expect(answer.isError, answer.text).to.equal(false);
    const { market: _market, ...data } = answer.data;
    const desk = venue.deps.options;
    if (desk === undefined) throw new Error('no options desk');
    // The same figures REST serves, nearest eight expirations by default.
    expect(data).to.deep.equal(
      optionsChainAnalysisWire(analyzeOptionsChain(desk.market, 'AAPL', { maxExpirations: 8 })),
    );
    const expirations = data.expirations as { expiration: string; max_pain: unknown }[];
    expect(expirations).to.have.length(8);
    expect(expirations.every((e) => e.max_pain !== null)).to.equal(true);
    expect(answer.text).to.match(/^AAPL at [\d.]+ — options analysis \(simulated\): put\/call/);
    expect(answer.text).to.match(/IV rank \d+, IV percentile \d+/);
    expect(answer.text).to.contain(`• ${expirations[0]?.expiration ?? '?'} (`);
    const one = await call(alice, 'options_chain_analysis', {
      underlying: 'AAPL',
      expiration: expirations[2]?.expiration,
    });
    expect(
      (one.data.expirations as { expiration: string }[]).map((e) => e.expiration),
    ).to.deep.equal([expirations[2]?.expiration]);
    const unknown = await call(alice, 'options_chain_analysis', { underlying: 'PNYX' });
    expect(unknown.isError).to.equal(true);
    expect(unknown.text).to.match(/PNYX has no listed options/);
    const badExpiry = await call(alice, 'options_chain_analysis', {
      underlying: 'AAPL',
      expiration: '2020-01-17',
    });
    expect(badExpiry.isError).to.equal(true);
    expect(badExpiry.text).to.contain('Use one of the listed expirations');
    const badCount = await call(alice, 'options_chain_analysis', {
      underlying: 'AAPL',
      max_expirations: 0,
    });
    expect(badCount.isError).to.equal(true);
    expect(badCount.text).to.contain('max_expirations');
  });

  it('previews an option order with its max loss: a short put is bounded, a naked call is not', async () => {
    const expiration = expirations[1] ?? '';
    const put = near(await rows(expiration, 'put'), spot * 0.95);
    const limit = Number(put.bid) > 0 ? put.bid : '0.05';
    const preview = await call(alice, 'preview_order', {
      side: 'sell',
      symbol: put.symbol,
      quantity: 2,
      limit_price: limit,
    });
    expect(preview.isError, preview.text).to.equal(false);
    const risk = preview.data.risk as Record<string, unknown>;
    // Strike × 100 × 2 contracts, less the premium received at the limit.
    expect(Number(risk.option_max_loss)).to.be.closeTo(
      Number(put.strike) * 200 - Number(limit) * 200,
      1e-9,
    );
    expect(risk.option_max_loss_unbounded).to.equal(false);
    expect(risk.option_risk).to.include({ strategy: 'short_put' });
    expect(preview.text).to.contain(`Option max loss: ${String(risk.option_max_loss)}.`);
    const call0 = near(await rows(expiration, 'call'), spot * 1.1);
    const naked = await call(alice, 'preview_order', {
      side: 'sell',
      symbol: call0.symbol.replace(/ /g, ''),
      quantity: 1,
      limit_price: Number(call0.bid) > 0 ? call0.bid : '0.05',
    });
    expect(naked.isError, naked.text).to.equal(false);
    const nakedRisk = naked.data.risk as Record<string, unknown>;
    expect(nakedRisk.option_max_loss).to.equal(null);
    expect(nakedRisk.option_max_loss_unbounded).to.equal(true);
    expect(naked.text).to.contain('Option max loss: UNLIMITED.');
    // Level 2 refuses a naked call; the risk block still says what it would risk.
    expect(naked.data.would_be_accepted).to.equal(false);
    expect((naked.data.findings as { code: string }[]).map((f) => f.code)).to.deep.equal([
      'uncovered_call_not_allowed',
    ]);
    const stock = await call(alice, 'preview_order', { side: 'buy', symbol: 'AAPL', quantity: 1 });
    expect((stock.data.risk as Record<string, unknown>).option_risk).to.equal(null);
    const bad = await call(alice, 'preview_order', { side: 'buy', symbol: 'AAPL 26', quantity: 1 });
    expect(bad.isError).to.equal(true);
    expect(bad.text).to.contain('OCC option symbol');
  });

  it('opens a credit spread in one order and explains it: max profit, max loss, breakeven', async () => {
    const expiration = expirations[0] ?? '';
    const calls = await rows(expiration, 'call');
    const short = near(calls, spot * 1.03);
    const long = calls.find((c) => Number(c.strike) === Number(short.strike) + 5);
    if (long === undefined) throw new Error('no long strike');
    const credit = (Number(short.bid) - Number(long.ask)).toFixed(2);
    const placed = await call(alice, 'option_credit_spread', {
      underlying: 'AAPL',
      expiration,
      option_type: 'call',
      short_strike: short.strike,
      long_strike: long.strike,
      quantity: 2,
      limit_price: credit,
      client_order_id: 'ccs-1',
    });
    expect(placed.isError, placed.text).to.equal(false);
    expect(placed.text).to.match(
      /^FILLED \(all legs at once\): call credit spread \(bear call\) on AAPL/,
    );
    expect(placed.text).to.match(
      /max profit \$[\d.]+ if AAPL closes at or below [\d.]+ at expiry, max loss \$[\d.]+ if it closes at or above [\d.]+; breakeven [\d.]+/,
    );
    const spread = placed.data.spread as {
      max_loss: string;
      max_profit: string;
      net_price: string;
    };
    const width = Number(long.strike) - Number(short.strike);
    expect(Number(spread.max_loss) + Number(spread.max_profit)).to.be.closeTo(width * 200, 0.001);
    expect((placed.data.fills as unknown[]).length).to.equal(2);
    const order = placed.data.order as { legs: { position_intent: string }[]; strategy: string };
    expect(order.strategy).to.equal('call_credit_spread');
    expect(order.legs.map((l) => l.position_intent)).to.deep.equal(['sell_to_open', 'buy_to_open']);

    const retry = await call(alice, 'option_credit_spread', {
      underlying: 'AAPL',
      expiration,
      option_type: 'call',
      short_strike: short.strike,
      long_strike: long.strike,
      quantity: 2,
      limit_price: credit,
      client_order_id: 'ccs-1',
    });
    expect(retry.data.duplicate).to.equal(true);

    const aggregate = await call(alice, 'aggregate_option_positions', {});
    expect(aggregate.isError, aggregate.text).to.equal(false);
    const group = (
      aggregate.data.underlyings as {
        underlying: string;
        net_greeks: { delta: number };
        strategies: { strategy: string; max_loss: string }[];
      }[]
    )[0];
    expect(group?.underlying).to.equal('AAPL');
    expect(group?.strategies[0]).to.include({
      strategy: 'call_credit_spread',
      max_loss: spread.max_loss,
    });
    expect(group?.net_greeks.delta).to.be.below(0);
    expect(aggregate.text).to.match(/AAPL \(price [\d.]+, shares 0\): net delta -[\d.]+ shares/);
    expect(aggregate.text).to.match(
      /call credit spread \(bear call\) [\d.]+\/[\d.]+ exp \d{4}-\d\d-\d\d: max profit \$[\d.]+, max loss \$[\d.]+, breakeven/,
    );

    const open = await call(alice, 'open_option_positions', {});
    expect(open.data.count).to.equal(2);
    // Portfolio risk carries the spread's net greeks: the sum of its two positions' greeks.
    const legs = open.data.positions as {
      position_greeks: { delta: number; theta_per_day: number; vega: number } | null;
    }[];
    const total = (k: 'delta' | 'theta_per_day' | 'vega'): number =>
      legs.reduce((sum, p) => sum + (p.position_greeks?.[k] ?? NaN), 0);
    const risk = await call(alice, 'portfolio_risk', { lookback_days: 60 });
    expect(risk.isError, risk.text).to.equal(false);
    const greeks = risk.data.option_greeks as {
      delta: number;
      theta_per_day: number;
      vega: number;
      positions: number;
      by_underlying: { underlying: string }[];
    };
    expect(greeks.positions).to.equal(2);
    expect(greeks.delta).to.be.closeTo(total('delta'), 1e-3).and.below(0);
    expect(greeks.theta_per_day).to.be.closeTo(total('theta_per_day'), 1e-3);
    expect(greeks.vega).to.be.closeTo(total('vega'), 1e-3);
    expect(greeks.by_underlying.map((u) => u.underlying)).to.deep.equal(['AAPL']);
    expect(risk.text).to.match(/Net option greeks \(2 position\(s\)\): delta -[\d.]+ shares/);
    const orders = await call(alice, 'options_orders', {});
    expect(orders.text).to.match(/call credit spread \(bear call\) ×2/);
  });

  it('takes legs as JSON text, and refuses legs of the wrong kind of spread with the fix', async () => {
    const expiration = expirations[1] ?? '';
    const puts = await rows(expiration, 'put');
    const high = near(puts, spot * 0.97);
    const low = puts.find((p) => Number(p.strike) === Number(high.strike) - 5);
    if (low === undefined) throw new Error('no lower put');
    const debit = (Number(high.ask) - Number(low.bid) + 0.05).toFixed(2);
    const legs = JSON.stringify([
      { symbol: high.symbol, side: 'buy' },
      { symbol: low.symbol, side: 'sell' },
    ]);
    const wrong = await call(alice, 'option_credit_spread', {
      legs,
      quantity: 1,
      limit_price: debit,
    });
    expect(wrong.isError).to.equal(true);
    expect(wrong.text).to.match(/debit spread.*Fix: Use option_debit_spread/);
    const placed = await call(alice, 'option_debit_spread', {
      legs,
      quantity: 1,
      limit_price: debit,
    });
    expect(placed.isError, placed.text).to.equal(false);
    expect(placed.text).to.match(
      /put debit spread \(bear put\).*max profit \$[\d.]+ if AAPL closes at or below/,
    );
    const malformed = await call(alice, 'option_debit_spread', {
      legs: '[{"symbol": "nope"}]',
      quantity: 1,
      limit_price: 1,
    });
    expect(malformed.text).to.match(/Error \(invalid_argument\) in argument "legs"/);
  });

  it('refuses a naked call at level 2 with the reason and the fix, and bad quantities before writing', async () => {
    const calls = await rows(expirations[3] ?? '', 'call');
    const otm = near(calls, spot * 1.1);
    const naked = await call(alice, 'sell_option_limit', {
      symbol: otm.symbol,
      quantity: 1,
      limit_price: otm.bid,
    });
    expect(naked.isError).to.equal(true);
    expect(naked.text).to.match(
      /^REJECTED \(uncovered_call_not_allowed\).*Fix: Hold 100 shares per call sold/,
    );
    expect((naked.data.rejection as { reason: string }).reason).to.equal(
      'uncovered_call_not_allowed',
    );
    const fractional = await call(alice, 'buy_option_limit', {
      symbol: otm.symbol,
      quantity: 1.5,
      limit_price: otm.ask,
    });
    expect(fractional.text).to.match(
      /Error \(invalid_argument\) in argument "quantity": quantity must be a whole number of contracts/,
    );
    // A stock ticker where a contract belongs: the fix describes a contract, not a ticker.
    const ticker = await call(alice, 'buy_option_limit', {
      symbol: 'AAPL',
      quantity: 1,
      limit_price: 1,
    });
    expect(ticker.text, ticker.text).to.match(
      /in argument "symbol".*Fix: Pass symbol: an OCC option symbol/,
    );
    expect(ticker.text).not.to.include('US stock ticker');
    const missing = await call(alice, 'buy_option_limit', {
      underlying: 'AAPL',
      quantity: 1,
      limit_price: 1,
    });
    expect(missing.text).to.match(/Missing argument "expiration"/);
    const unlisted = await call(alice, 'buy_option_limit', {
      symbol: 'AAPL  250307C00351700',
      quantity: 1,
      limit_price: 1,
    });
    expect(unlisted.text).to.match(/Error \(unknown_symbol\).*options_chain/);
  });

  it('cancels a resting option order, then all of them', async () => {
    const calls = await rows(expirations[4] ?? '', 'call');
    const c = near(calls, spot * 1.05);
    const low = Math.max(0.01, Math.floor(Number(c.bid) * 50) / 100).toFixed(2);
    const resting = await call(alice, 'buy_option_limit', {
      symbol: c.symbol,
      quantity: 1,
      limit_price: low,
      client_order_id: 'rest-1',
    });
    expect(resting.text).to.match(/^WORKING, NOT FILLED YET/);
    const open = await call(alice, 'open_option_orders', {});
    expect(open.data.count).to.equal(1);
    const canceled = await call(alice, 'cancel_option_order_by_id', { client_order_id: 'rest-1' });
    expect(canceled.isError, canceled.text).to.equal(false);
    expect(canceled.text).to.match(/^CANCELED/);
    await call(alice, 'buy_option_limit', { symbol: c.symbol, quantity: 1, limit_price: low });
    const all = await call(alice, 'cancel_all_option_orders_tool', {});
    expect(all.data.canceled_count).to.equal(1);
  });

  it('exercises a long call early: shares in at the strike', async () => {
    const calls = await rows(expirations[5] ?? '', 'call');
    const deep = calls[0];
    if (deep === undefined) throw new Error('no call');
    await call(alice, 'buy_option_limit', {
      symbol: deep.symbol,
      quantity: 1,
      limit_price: deep.ask,
    });
    const exercised = await call(alice, 'exercise_option', { symbol: deep.symbol });
    expect(exercised.isError, exercised.text).to.equal(false);
    expect(exercised.text).to.match(/^EXERCISED 1 × AAPL .* bought 100 shares at the strike/);
  });

  it('settles positions at the close of the expiration day; ended positions stay listed', async () => {
    const expiration = expirations[0] ?? '';
    // Past the close of the nearest expiration: the engine settles the spread.
    venue.clock.advanceTo(new Date(`${expiration}T21:00:05.000Z`));
    await venue.engine.idle();
    const all = await call(alice, 'all_option_positions', {});
    const ended = (all.data.positions as { expiration: string; status: string }[]).filter(
      (p) => p.expiration === expiration,
    );
    expect(ended).to.have.length(2);
    for (const p of ended) expect(['expired', 'assigned', 'exercised']).to.include(p.status);
    const open = await call(alice, 'aggregate_option_positions', {});
    const symbols = (open.data.underlyings as { positions: { expiration: string }[] }[]).flatMap(
      (u) => u.positions,
    );
    expect(symbols.some((p) => p.expiration === expiration)).to.equal(false);
  });
});
