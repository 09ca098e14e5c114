/**
 * The option routes over HTTP on embedded PGlite: chains and contracts, single-leg and
 * multi-leg orders on the order routes, option positions with greeks grouped by underlying,
 * exercise, and the error answers.
 */
import { expect } from 'chai';
import { OrderSchema, PreviewSchema } from '../../src/api/v1/schemas.ts';
import { PortfolioRiskSchema } from '../../src/api/v1/risk-schemas.ts';
import {
  ExerciseResult,
  OptionAggregate,
  OptionChainSchema,
  OptionContractSchema,
  OptionPositionList,
} from '../../src/api/v1/option-schemas.ts';
import {
  OptionsChainAnalysisSchema,
  type OptionsChainAnalysisWire,
} from '../../src/api/v1/option-analysis-schemas.ts';
import type { SimulatedMarket } from '../../src/market/index.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import {
  call,
  conforms,
  newUser,
  openAccount,
  problem,
  type TestUser,
} from '../support/api-client.ts';
import { eventually, testMarket } from '../support/api-market.ts';

type Json = Record<string, unknown>;
interface Contract {
  symbol: string;
  expiration: string;
  type: 'call' | 'put';
  strike: string;
  quote: { bid: string; ask: string };
  greeks: { delta: number };
}

describe('options API over HTTP', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let user: TestUser;
  let accountId: string;
  let chain: { contracts: Contract[]; expirations: string[]; underlying_price: number };

  before(async () => {
    ({ market } = testMarket());
    server = await startApiServer({ market });
    user = await newUser(server);
    accountId = (await openAccount(server, user, '1000000')).id;
    const res = await call<typeof chain>(server, 'GET', '/options/chains/AAPL', {
      token: user.token,
    });
    chain = res.body;
  });

  after(async () => {
    await server.close();
  });

  /** A listed contract of the second expiration near `moneyness` × spot. */
  const pick = (type: 'call' | 'put', moneyness: number): Contract => {
    const expiration = chain.expirations[1];
    const target = chain.underlying_price * moneyness;
    const candidates = chain.contracts.filter(
      (c) => c.type === type && c.expiration === expiration,
    );
    const best = candidates.reduce((a, b) =>
      Math.abs(Number(b.strike) - target) < Math.abs(Number(a.strike) - target) ? b : a,
    );
    return best;
  };

  /** A call of the fourth expiration near `moneyness` × spot. */
  const farCall = (moneyness: number): Contract => {
    const expiration = chain.expirations[3];
    const target = chain.underlying_price * moneyness;
    return chain.contracts
      .filter((c) => c.type === 'call' && c.expiration === expiration)
      .reduce((a, b) =>
        Math.abs(Number(b.strike) - target) < Math.abs(Number(a.strike) - target) ? b : a,
      );
  };

  it('serves a chain with quotes and greeks, filtered by expiration, type and strikes', async () => {
    const all = await call(server, 'GET', '/options/chains/aapl', { token: user.token });
    expect(all.status).to.equal(200);
    conforms(OptionChainSchema, all);
    expect(all.body.simulated).to.equal(true);
    expect(Number(all.body.count)).to.be.greaterThan(500);
    const expiration = chain.expirations[0] ?? '';
    const low = Math.round(chain.underlying_price * 0.95);
    const high = Math.round(chain.underlying_price * 1.05);
    const filtered = await call<{ contracts: Contract[] }>(
      server,
      'GET',
      `/options/chains/AAPL?expiration=${expiration}&type=put&strike_gte=${low}&strike_lte=${high}`,
      { token: user.token },
    );
    expect(filtered.status).to.equal(200);
    expect(filtered.body.contracts.length).to.be.greaterThan(3);
    for (const c of filtered.body.contracts) {
      expect(c.expiration).to.equal(expiration);
      expect(c.type).to.equal('put');
      expect(Number(c.strike)).to.be.within(low, high);
      expect(c.greeks.delta).to.be.below(0);
    }
    problem(
      await call(server, 'GET', '/options/chains/PNYX', { token: user.token }),
      404,
      'unknown_symbol',
      'underlying',
    );
    problem(
      await call(server, 'GET', '/options/chains/AAPL?type=straddle', { token: user.token }),
      422,
      'validation_failed',
      'type',
    );
    expect((await call(server, 'GET', '/options/chains/AAPL')).status).to.equal(401);
  });

  it('analyses a chain: put/call ratios, max pain, IV rank and the expected move', async () => {
    interface Row extends Contract {
      volume: number;
      open_interest: number;
      implied_volatility: number;
      underlying_price: number;
    }
    const [res, full] = await Promise.all([
      call<OptionsChainAnalysisWire>(server, 'GET', '/options/chains/aapl/analysis', {
        token: user.token,
      }),
      call<{ contracts: Row[]; expirations: string[]; underlying_price: number }>(
        server,
        'GET',
        '/options/chains/AAPL',
        { token: user.token },
      ),
    ]);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    conforms(OptionsChainAnalysisSchema, res);
    const a = res.body;
    expect(a.simulated).to.equal(true);
    expect(a.listed_expirations).to.deep.equal(full.body.expirations);
    expect(a.expirations.map((e) => e.expiration)).to.deep.equal(full.body.expirations);
    // Totals re-derived from the chain's own rows.
    const sum = (type: 'call' | 'put', key: 'volume' | 'open_interest'): number =>
      full.body.contracts.filter((c) => c.type === type).reduce((s, c) => s + c[key], 0);
    expect(a.totals.call_open_interest).to.equal(sum('call', 'open_interest'));
    expect(a.totals.put_open_interest).to.equal(sum('put', 'open_interest'));
    expect(a.totals.put_volume).to.equal(sum('put', 'volume'));
    expect(a.totals.put_call_open_interest_ratio).to.be.closeTo(
      sum('put', 'open_interest') / sum('call', 'open_interest'),
      1e-4,
    );
    // Max pain of the nearest expiration by brute force over its strikes.
    const first = a.expirations[0];
    const rows = full.body.contracts.filter((c) => c.expiration === first?.expiration);
    const pain = (s: number): number =>
      rows.reduce((p, c) => {
        const k = Number(c.strike);
        const intrinsic = c.type === 'call' ? s - k : k - s;
        return p + (intrinsic > 0 ? c.open_interest * intrinsic * 100 : 0);
      }, 0);
    const strikes = [...new Set(rows.map((c) => Number(c.strike)))];
    const least = Math.min(...strikes.map(pain));
    expect(first?.max_pain?.payout).to.be.closeTo(least, 1e-6);
    expect(pain(first?.max_pain?.strike ?? NaN)).to.be.closeTo(least, 1e-6);
    // The straddle is the ATM call mid + put mid; the one-sigma move is spot × IV × √T.
    const move = first?.expected_move;
    const atm = rows.filter((c) => Number(c.strike) === move?.atm_strike);
    const mid = (c: Row | undefined): number => (Number(c?.quote.bid) + Number(c?.quote.ask)) / 2;
    const callRow = atm.find((c) => c.type === 'call');
    const putRow = atm.find((c) => c.type === 'put');
    expect(Number(move?.straddle)).to.be.closeTo(mid(callRow) + mid(putRow), 1e-9);
    const spot = full.body.underlying_price;
    for (const s of strikes) {
      expect(Math.abs(s - spot)).to.be.at.least(Math.abs((move?.atm_strike ?? 0) - spot) - 1e-9);
    }
    expect(move?.atm_iv).to.be.closeTo(
      ((callRow?.implied_volatility ?? 0) + (putRow?.implied_volatility ?? 0)) / 2,
      1e-4,
    );
    // IV standing over 252 sessions of the seeded surface: the same answer twice.
    expect(a.iv?.sessions).to.equal(252);
    expect(a.iv?.iv_rank).to.be.within(0, 100);
    expect(a.iv?.low).to.be.at.most(a.iv?.high ?? 0);
    const again = await call<OptionsChainAnalysisWire>(
      server,
      'GET',
      `/options/chains/AAPL/analysis?expiration=${full.body.expirations[1] ?? ''}`,
      { token: user.token },
    );
    expect(again.body.iv).to.deep.equal(a.iv);
    expect(again.body.totals).to.deep.equal(a.totals);
    expect(again.body.expirations.map((e) => e.expiration)).to.deep.equal([
      full.body.expirations[1],
    ]);
    const nearest = await call<OptionsChainAnalysisWire>(
      server,
      'GET',
      '/options/chains/AAPL/analysis?max_expirations=2',
      { token: user.token },
    );
    expect(nearest.body.expirations).to.have.length(2);
    problem(
      await call(server, 'GET', '/options/chains/PNYX/analysis', { token: user.token }),
      404,
      'unknown_symbol',
      'underlying',
    );
    problem(
      await call(server, 'GET', '/options/chains/AAPL/analysis?expiration=2020-01-17', {
        token: user.token,
      }),
      422,
      'validation_failed',
      'expiration',
    );
    problem(
      await call(server, 'GET', '/options/chains/AAPL/analysis?max_expirations=0', {
        token: user.token,
      }),
      422,
      'validation_failed',
      'max_expirations',
    );
    expect((await call(server, 'GET', '/options/chains/AAPL/analysis')).status).to.equal(401);
  });

  it('serves one contract, padded or compact symbol', async () => {
    const c = pick('call', 1);
    const padded = await call(server, 'GET', `/options/contracts/${encodeURIComponent(c.symbol)}`, {
      token: user.token,
    });
    expect(padded.status).to.equal(200);
    conforms(OptionContractSchema, padded);
    expect(padded.body.symbol).to.equal(c.symbol);
    const compact = await call(server, 'GET', `/options/contracts/${c.symbol.replace(/ +/, '')}`, {
      token: user.token,
    });
    expect(compact.body.symbol).to.equal(c.symbol);
    problem(
      await call(server, 'GET', '/options/contracts/AAPL__200117C00100000', { token: user.token }),
      404,
      'unknown_symbol',
    );
  });

  it('buys an option on the order route and rejects an uncovered call with its reason code', async () => {
    const c = pick('call', 1.05);
    const bought = await call(server, 'POST', `/accounts/${accountId}/orders`, {
      token: user.token,
      body: {
        symbol: c.symbol,
        qty: 1,
        side: 'buy',
        type: 'limit',
        limit_price: c.quote.ask,
        time_in_force: 'day',
      },
    });
    expect(bought.status, JSON.stringify(bought.body)).to.equal(201);
    conforms(OrderSchema, bought);
    expect(bought.body).to.include({
      status: 'filled',
      asset_class: 'us_option',
      position_intent: 'buy_to_open',
    });
    const naked = await call(server, 'POST', `/accounts/${accountId}/orders`, {
      token: user.token,
      body: {
        // A later expiration than the long call: the long cannot cover it.
        symbol: farCall(1.15).symbol,
        qty: 1,
        side: 'sell',
        type: 'limit',
        limit_price: '0.05',
      },
    });
    problem(naked, 422, 'uncovered_call_not_allowed', 'symbol');
    const badTick = await call(server, 'POST', `/accounts/${accountId}/orders`, {
      token: user.token,
      body: { symbol: c.symbol, qty: 1, side: 'buy', type: 'limit', limit_price: '3.07' },
    });
    problem(badTick, 422, 'invalid_tick_size', 'limit_price');
    problem(
      await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: {
          symbol: 'AAPL  200117C00100000',
          qty: 1,
          side: 'buy',
          type: 'limit',
          limit_price: '1',
        },
      }),
      422,
      'unknown_symbol',
      'symbol',
    );
  });

  it('opens a credit spread as one multi-leg order and shows it by underlying with net greeks and max loss', async () => {
    const short = pick('put', 0.95);
    const long = chain.contracts.find(
      (c) =>
        c.type === 'put' &&
        c.expiration === short.expiration &&
        Number(c.strike) < Number(short.strike) - 4,
    );
    if (long === undefined) throw new Error('no lower put');
    const credit = (Number(short.quote.bid) - Number(long.quote.ask)).toFixed(2);
    const body = {
      order_class: 'mleg',
      type: 'limit',
      qty: 2,
      limit_price: `-${credit}`,
      client_order_id: 'spread-1',
      legs: [
        { symbol: short.symbol, side: 'sell', ratio_qty: 1 },
        { symbol: long.symbol, side: 'buy', ratio_qty: 1 },
      ],
    };
    const preview = await call(server, 'POST', `/accounts/${accountId}/orders/preview`, {
      token: user.token,
      body,
    });
    expect(preview.status).to.equal(200);
    conforms(PreviewSchema, preview);
    expect(preview.body.accepted).to.equal(true);
    // Max loss of the spread at its limit: (width − credit) × 100 × 2 units.
    const previewRisk = (preview.body.risk as Json).option_risk as Json;
    const width0 = Number(short.strike) - Number(long.strike);
    expect(Number((preview.body.risk as Json).option_max_loss)).to.be.closeTo(
      (width0 - Number(credit)) * 200,
      1e-9,
    );
    expect((preview.body.risk as Json).option_max_loss_unbounded).to.equal(false);
    expect(previewRisk).to.include({ strategy: 'put_credit_spread', max_loss_unbounded: false });
    expect(Number(previewRisk.premium)).to.be.closeTo(-Number(credit) * 200, 1e-9);
    expect(preview.body.findings).to.deep.include({
      severity: 'info',
      code: 'option_max_loss',
      message: previewRisk.explanation,
    });
    const placed = await call<Json & { legs: Json[] }>(
      server,
      'POST',
      `/accounts/${accountId}/orders`,
      { token: user.token, body },
    );
    expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
    conforms(OrderSchema, placed);
    expect(placed.body).to.include({
      order_class: 'mleg',
      status: 'filled',
      strategy: 'put_credit_spread',
      symbol: 'AAPL',
    });
    expect(placed.body.legs.map((l) => l.leg_role)).to.deep.equal(['option_leg', 'option_leg']);
    expect(placed.body.legs.map((l) => l.position_intent)).to.deep.equal([
      'sell_to_open',
      'buy_to_open',
    ]);
    expect(Number(placed.body.filled_avg_price)).to.be.at.most(-Number(credit));
    const retry = await call(server, 'POST', `/accounts/${accountId}/orders`, {
      token: user.token,
      body,
    });
    expect(retry.status).to.equal(200);

    const grouped = await eventually(async () => {
      const res = await call<{ underlyings: Json[] }>(
        server,
        'GET',
        `/accounts/${accountId}/options/positions/by_underlying`,
        {
          token: user.token,
        },
      );
      const aapl = res.body.underlyings.find((u) => u.underlying === 'AAPL') as
        (Json & { positions: Json[]; strategies: Json[]; net_greeks: Json }) | undefined;
      return aapl !== undefined && aapl.positions.length === 3 ? { res, aapl } : undefined;
    }, 'the spread in the read model');
    conforms(OptionAggregate, grouped.res);
    const strategies = grouped.aapl.strategies.map((s) => s.strategy);
    expect(strategies).to.include('put_credit_spread');
    const spread = grouped.aapl.strategies.find((s) => s.strategy === 'put_credit_spread');
    const width = Number(short.strike) - Number(long.strike);
    const filledCredit = -Number(placed.body.filled_avg_price);
    expect(Number(spread?.max_loss)).to.be.closeTo((width - filledCredit) * 200, 0.001);
    expect(Number(spread?.max_profit)).to.be.closeTo(filledCredit * 200, 0.001);
    expect(typeof grouped.aapl.net_greeks.delta).to.equal('number');
    const listed = await call(server, 'GET', `/accounts/${accountId}/options/positions`, {
      token: user.token,
    });
    conforms(OptionPositionList, listed);
  });

  it('reports the net greeks of an account holding a spread in its portfolio risk', async () => {
    const trader = await newUser(server);
    const account = (await openAccount(server, trader, '100000')).id;
    const low = pick('call', 1);
    const high = chain.contracts.find(
      (c) =>
        c.type === 'call' &&
        c.expiration === low.expiration &&
        Number(c.strike) > Number(low.strike) + 4,
    );
    if (high === undefined) throw new Error('no higher call');
    const debit = (Number(low.quote.ask) - Number(high.quote.bid) + 0.5).toFixed(2);
    const placed = await call<Json>(server, 'POST', `/accounts/${account}/orders`, {
      token: trader.token,
      body: {
        order_class: 'mleg',
        type: 'limit',
        qty: 3,
        limit_price: debit,
        legs: [
          { symbol: low.symbol, side: 'buy', ratio_qty: 1 },
          { symbol: high.symbol, side: 'sell', ratio_qty: 1 },
        ],
      },
    });
    expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
    expect(placed.body).to.include({ status: 'filled', strategy: 'call_debit_spread' });
    const risk = await eventually(async () => {
      const res = await call<Json & { option_greeks: Json | null }>(
        server,
        'GET',
        `/accounts/${account}/risk?lookback_days=60`,
        { token: trader.token },
      );
      return res.status === 200 && res.body.option_greeks !== null ? res : undefined;
    }, 'the spread in the risk report');
    conforms(PortfolioRiskSchema, risk);
    // Expected: each leg's per-share greeks (read from the contract route at the same quote)
    // × signed contracts × 100: +3 of the lower call, −3 of the higher.
    const greeks = async (symbol: string): Promise<Record<string, number>> =>
      (
        await call<{ greeks: Record<string, number> }>(
          server,
          'GET',
          `/options/contracts/${encodeURIComponent(symbol)}`,
          { token: trader.token },
        )
      ).body.greeks;
    const [g1, g2] = await Promise.all([greeks(low.symbol), greeks(high.symbol)]);
    const net = (k: string): number => ((g1[k] ?? NaN) - (g2[k] ?? NaN)) * 300;
    const og = risk.body.option_greeks as Json & { by_underlying: Json[] };
    expect(og.positions).to.equal(2);
    expect(og.unpriced).to.deep.equal([]);
    expect(og.delta).to.be.closeTo(net('delta'), 1e-3);
    expect(og.delta).to.be.above(0);
    expect(og.gamma).to.be.closeTo(net('gamma'), 1e-3);
    expect(og.theta_per_day).to.be.closeTo(net('theta_per_day'), 1e-3);
    expect(og.vega).to.be.closeTo(net('vega'), 1e-3);
    expect(og.rho).to.be.closeTo(net('rho'), 1e-3);
    const aapl = og.by_underlying[0];
    expect(aapl).to.include({ underlying: 'AAPL', positions: 2 });
    expect(aapl?.delta_dollars).to.be.closeTo(
      net('delta') * (aapl?.underlying_price as number),
      0.05,
    );
    expect(aapl?.delta_with_shares).to.equal(aapl?.delta);
    const cash = await call<Json & { option_greeks: Json | null }>(
      server,
      'GET',
      `/accounts/${(await openAccount(server, trader, '1000')).id}/risk`,
      { token: trader.token },
    );
    expect(cash.body.option_greeks, JSON.stringify([cash.status, cash.body])).to.equal(null);
  });

  it('refuses malformed multi-leg bodies, naming the field', async () => {
    const c = pick('call', 1);
    problem(
      await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: {
          order_class: 'mleg',
          type: 'limit',
          qty: 1,
          limit_price: '1',
          legs: [{ symbol: c.symbol, side: 'buy' }],
        },
      }),
      422,
      'validation_failed',
      'legs',
    );
    problem(
      await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: {
          type: 'limit',
          qty: 1,
          limit_price: '1',
          legs: [
            { symbol: c.symbol, side: 'buy' },
            { symbol: 'AAPL  200117C00100000', side: 'sell' },
          ],
        },
      }),
      422,
      'unknown_symbol',
      'legs.1.symbol',
    );
    problem(
      await call(server, 'POST', `/accounts/${accountId}/orders`, {
        token: user.token,
        body: {
          type: 'limit',
          qty: 1,
          legs: [
            { symbol: c.symbol, side: 'buy' },
            { symbol: pick('call', 1.1).symbol, side: 'sell' },
          ],
        },
      }),
      422,
      'validation_failed',
      'limit_price',
    );
  });

  it('exercises a long call early and refuses to exercise what is not long', async () => {
    const deep = pick('call', 0.8);
    await call(server, 'POST', `/accounts/${accountId}/orders`, {
      token: user.token,
      body: {
        symbol: deep.symbol,
        qty: 1,
        side: 'buy',
        type: 'limit',
        limit_price: deep.quote.ask,
      },
    });
    const exercised = await call(server, 'POST', `/accounts/${accountId}/options/exercise`, {
      token: user.token,
      body: { symbol: deep.symbol },
    });
    expect(exercised.status, JSON.stringify(exercised.body)).to.equal(200);
    conforms(ExerciseResult, exercised);
    expect((exercised.body.event as Json).reason).to.equal('early_exercise');
    expect(((exercised.body.event as Json).shares as Json).qty).to.equal('100');
    problem(
      await call(server, 'POST', `/accounts/${accountId}/options/exercise`, {
        token: user.token,
        body: { symbol: deep.symbol },
      }),
      404,
      'position_not_found',
    );
    problem(
      await call(server, 'POST', `/accounts/${accountId}/options/exercise`, {
        token: user.token,
        body: { symbol: 'nope-nope-nope-nope' },
      }),
      422,
      'validation_failed',
      'symbol',
    );
  });
});
