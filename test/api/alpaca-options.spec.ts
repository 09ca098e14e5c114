/**
 * Options through Alpaca's `/v2` on a real port: the contract listing and its paging, single-leg
 * and multi-leg (`mleg`) orders, option positions, closing and exercising them, the options
 * levels on the account, and the errors a bot meets — over raw HTTP as the wire is specified,
 * and through the official 4.x SDK (unmodified) where it has the calls.
 */
import { expect } from 'chai';
import { Alpaca } from '@alpacahq/alpaca-trade-api';
import { occOfContractId, optionContractId, wireSymbol } from '../../src/api/v2/option-ids.ts';
import type { SimulatedMarket } from '../../src/market/index.ts';
import type { ApiServer } from '../support/api.ts';
import { call } from '../support/api-client.ts';
import { eventually, testMarket } from '../support/api-market.ts';
import { alpacaTrader, startAlpacaServer, v2, type AlpacaTrader } from './alpaca-harness.ts';

type Json = Record<string, unknown>;
interface Contract {
  symbol: string;
  expiration: string;
  type: 'call' | 'put';
  strike: string;
  quote: { bid: string; ask: string };
}

const PAPER = 'https://paper-api.alpaca.markets';

function sdk(server: ApiServer, key: { keyId: string; secret: string }): Alpaca {
  return new Alpaca({
    keyId: key.keyId,
    secret: key.secret,
    paper: true,
    maxRetries: 0,
    fetchApi: (url: string | URL | Request, init?: RequestInit) =>
      fetch(
        (url instanceof Request ? url.url : url.toString()).replace(PAPER, server.origin),
        init,
      ),
  } as ConstructorParameters<typeof Alpaca>[0]);
}

const compact = (occ: string): string => occ.replace(/ +/, '');

/** `{code, message}` with Alpaca's status and code. */
function alpacaError(res: { status: number; body: unknown }, status: number): Json {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  const body = res.body as Json;
  expect(body.code).to.equal(Number(`${String(status)}10000`));
  expect(body.message).to.be.a('string');
  return body;
}

describe('contract ids of /v2 options', () => {
  it('packs an OCC symbol into a UUID and reads it back; other ids are not contracts', () => {
    for (const occ of ['AAPL  250117C00150000', 'BRK.B 261218P00412500', 'X     270115C00000500']) {
      const id = optionContractId(occ);
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(occOfContractId(id)).to.equal(occ);
      expect(occOfContractId(id.toUpperCase())).to.equal(occ);
    }
    expect(optionContractId('AAPL250117C00150000')).to.equal(
      optionContractId('AAPL  250117C00150000'),
    );
    expect(optionContractId('AAPL  250117C00150000')).to.not.equal(
      optionContractId('AAPL  250117P00150000'),
    );
    expect(occOfContractId('3f2b8c1e-9d4a-5b6c-8d7e-0f1a2b3c4d5e')).to.equal(undefined);
    expect(wireSymbol('AAPL  250117C00150000')).to.equal('AAPL250117C00150000');
    expect(wireSymbol('AAPL')).to.equal('AAPL');
  });
});

describe('Alpaca /v2 options', function () {
  this.timeout(60_000);
  let server: ApiServer;
  let market: SimulatedMarket;
  let trader: AlpacaTrader;
  let chain: { contracts: Contract[]; expirations: string[]; underlying_price: number };

  before(async () => {
    ({ market } = testMarket());
    server = await startAlpacaServer(market);
    trader = await alpacaTrader(server, '1000000');
    chain = (
      await call<typeof chain>(server, 'GET', '/options/chains/AAPL', {
        token: trader.user.token,
      })
    ).body;
  });

  after(async () => {
    await server.close();
  });

  const pick = (type: 'call' | 'put', moneyness: number, expiration = 1): Contract => {
    const exp = chain.expirations[expiration];
    const target = chain.underlying_price * moneyness;
    return chain.contracts
      .filter((c) => c.type === type && c.expiration === exp)
      .reduce((a, b) =>
        Math.abs(Number(b.strike) - target) < Math.abs(Number(a.strike) - target) ? b : a,
      );
  };

  describe('GET /v2/options/contracts', () => {
    it("lists contracts in Alpaca's shape, filtered by Alpaca's parameters", async () => {
      const expiration = chain.expirations[1] ?? '';
      const res = await v2(
        server,
        'GET',
        `/v2/options/contracts?underlying_symbols=AAPL,MSFT&type=put&expiration_date=${expiration}&strike_price_gte=100&strike_price_lte=400&limit=500`,
        trader.key,
      );
      expect(res.status, res.text).to.equal(200);
      const body = res.body as { option_contracts: Json[]; next_page_token: unknown };
      expect(body.option_contracts.length).to.be.greaterThan(4);
      for (const c of body.option_contracts) {
        expect(c).to.include({ type: 'put', expiration_date: expiration, style: 'american' });
        expect(Number(c.strike_price)).to.be.within(100, 400);
        expect(['AAPL', 'MSFT']).to.include(c.underlying_symbol);
        expect(c.symbol).to.match(/^[A-Z]+\d{6}P\d{8}$/);
        expect(occOfContractId(String(c.id))?.replace(/ +/, '')).to.equal(c.symbol);
      }
      const first = body.option_contracts[0] ?? {};
      expect(first).to.have.keys(
        'id',
        'symbol',
        'name',
        'status',
        'tradable',
        'expiration_date',
        'root_symbol',
        'underlying_symbol',
        'underlying_asset_id',
        'type',
        'style',
        'strike_price',
        'multiplier',
        'size',
        'open_interest',
        'open_interest_date',
        'close_price',
        'close_price_date',
      );
      expect(first).to.include({
        status: 'active',
        tradable: true,
        multiplier: '100',
        size: '100',
      });
      for (const k of ['strike_price', 'open_interest', 'close_price']) {
        expect(first[k], k).to.be.a('string');
      }
      expect(String(first.name)).to.match(/^[A-Z]+ [A-Z][a-z]{2} \d{2} \d{4} [\d.]+ Put$/);
      expect(body.next_page_token).to.equal(null);
      const symbols = body.option_contracts.map((c) => String(c.symbol));
      expect(symbols).to.deep.equal([...symbols].sort());
    });

    it('pages with next_page_token until it is null (as collectOptionsContracts does)', async () => {
      const expiration = chain.expirations[0] ?? '';
      const query = `underlying_symbols=AAPL&expiration_date=${expiration}&type=call`;
      const all = await v2(server, 'GET', `/v2/options/contracts?${query}&limit=10000`, trader.key);
      const everything = (all.body as { option_contracts: Json[] }).option_contracts.map((c) =>
        String(c.symbol),
      );
      expect(everything.length).to.be.greaterThan(20);
      const seen: string[] = [];
      let token: string | null = null;
      for (let pages = 0; pages < 100; pages += 1) {
        const res = await v2(
          server,
          'GET',
          `/v2/options/contracts?${query}&limit=7${token === null ? '' : `&page_token=${token}`}`,
          trader.key,
        );
        const page = res.body as { option_contracts: Json[]; next_page_token: string | null };
        expect(page.option_contracts.length).to.be.at.most(7);
        seen.push(...page.option_contracts.map((c) => String(c.symbol)));
        token = page.next_page_token;
        if (token === null) break;
      }
      expect(seen).to.deep.equal(everything);

      const alpaca = sdk(server, trader.key);
      const collected = await alpaca.trading.collectOptionsContracts({
        underlyingSymbols: 'AAPL',
        expirationDate: new Date(`${expiration}T00:00:00Z`),
        type: 'call',
        limit: 50,
      });
      expect(collected.map((c) => c.symbol)).to.deep.equal(everything);
    });

    it('defaults to contracts expiring before the coming weekend; inactive matches nothing', async () => {
      const res = await v2(
        server,
        'GET',
        '/v2/options/contracts?underlying_symbols=SPY',
        trader.key,
      );
      const body = res.body as { option_contracts: Json[] };
      expect(body.option_contracts.length).to.equal(100);
      const session = market.calendar.sessionOnOrAfter(new Date(market.clock.now())).date;
      const sunday = new Date(`${session}T00:00:00Z`);
      sunday.setUTCDate(sunday.getUTCDate() + ((7 - sunday.getUTCDay()) % 7));
      for (const c of body.option_contracts) {
        expect(String(c.expiration_date) <= sunday.toISOString().slice(0, 10)).to.equal(true);
      }
      const inactive = await v2(
        server,
        'GET',
        '/v2/options/contracts?underlying_symbols=SPY&status=inactive',
        trader.key,
      );
      expect((inactive.body as { option_contracts: Json[] }).option_contracts).to.deep.equal([]);
    });

    it('answers one contract by compact or padded symbol or by id; unknown ones are 404', async () => {
      const c = pick('call', 1);
      const bySymbol = await v2(
        server,
        'GET',
        `/v2/options/contracts/${compact(c.symbol)}`,
        trader.key,
      );
      expect(bySymbol.status, bySymbol.text).to.equal(200);
      const body = bySymbol.body as Json;
      expect(body).to.include({
        symbol: compact(c.symbol),
        underlying_symbol: 'AAPL',
        root_symbol: 'AAPL',
        type: 'call',
        strike_price: c.strike,
        expiration_date: c.expiration,
      });
      const byId = await v2(server, 'GET', `/v2/options/contracts/${String(body.id)}`, trader.key);
      expect((byId.body as Json).symbol).to.equal(compact(c.symbol));
      const padded = await v2(
        server,
        'GET',
        `/v2/options/contracts/${encodeURIComponent(c.symbol)}`,
        trader.key,
      );
      expect((padded.body as Json).id).to.equal(body.id);
      const sdkContract = await sdk(server, trader.key).trading.assets.getOptionContractSymbolOrId({
        symbolOrId: compact(c.symbol),
      });
      expect(sdkContract.strikePrice).to.equal(c.strike);
      alpacaError(
        await v2(server, 'GET', '/v2/options/contracts/AAPL200117C00100000', trader.key),
        404,
      );
      alpacaError(await v2(server, 'GET', '/v2/options/contracts/NOTACONTRACT', trader.key), 404);
    });

    it('refuses bad parameters with 422 naming the field, and needs a key', async () => {
      for (const [query, field] of [
        ['type=straddle', 'type'],
        ['limit=10001', 'limit'],
        ['expiration_date_gte=2025-13-01', 'expiration_date_gte'],
        ['strike_price_gte=abc', 'strike_price_gte'],
        ['page_token=bm9wZQ', 'page_token'],
        ['colour=red', 'colour'],
      ] as const) {
        const body = alpacaError(
          await v2(server, 'GET', `/v2/options/contracts?${query}`, trader.key),
          422,
        );
        expect(String(body.message), query).to.include(field);
      }
      alpacaError(await v2(server, 'GET', '/v2/options/contracts', undefined), 401);
    });
  });

  describe('option orders, positions and exercise', () => {
    it('buys a call by compact symbol and shows it as a us_option order and position', async () => {
      const c = pick('call', 1.02);
      const placed = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: compact(c.symbol),
        qty: '2',
        side: 'buy',
        type: 'limit',
        limit_price: c.quote.ask,
        time_in_force: 'day',
        position_intent: 'buy_to_open',
        client_order_id: 'v2-call-1',
      });
      expect(placed.status, placed.text).to.equal(200);
      const order = placed.body as Json;
      expect(order).to.include({
        symbol: compact(c.symbol),
        asset_class: 'us_option',
        asset_id: optionContractId(c.symbol),
        position_intent: 'buy_to_open',
        order_class: 'simple',
        status: 'filled',
        qty: '2',
      });
      const price = String(order.filled_avg_price);

      const listed = await v2(
        server,
        'GET',
        '/v2/orders?status=all&asset_class=us_option',
        trader.key,
      );
      expect((listed.body as Json[]).map((o) => o.id)).to.include(order.id);
      const bySymbol = await v2(
        server,
        'GET',
        `/v2/orders?status=all&symbols=${compact(c.symbol)}`,
        trader.key,
      );
      expect((bySymbol.body as Json[]).map((o) => o.id)).to.deep.equal([order.id]);

      const positions = await v2(server, 'GET', '/v2/positions', trader.key);
      const position = (positions.body as Json[]).find((p) => p.symbol === compact(c.symbol));
      expect(position, positions.text).to.include({
        asset_class: 'us_option',
        asset_id: optionContractId(c.symbol),
        qty: '2',
        side: 'long',
        avg_entry_price: price,
        asset_marginable: false,
      });
      // Per share prices, dollar values: 2 contracts × 100 shares.
      expect(Number(position?.cost_basis)).to.equal(Number(price) * 200);
      expect(Number(position?.market_value)).to.be.closeTo(
        Number(position?.current_price) * 200,
        1e-9,
      );
      const one = await v2(server, 'GET', `/v2/positions/${compact(c.symbol)}`, trader.key);
      expect((one.body as Json).qty).to.equal('2');
      const byId = await v2(
        server,
        'GET',
        `/v2/positions/${optionContractId(c.symbol)}`,
        trader.key,
      );
      expect((byId.body as Json).symbol).to.equal(compact(c.symbol));

      // Alpaca's 4.x SDK reads the same position (its model is strict and camelCase).
      const sdkPositions = await sdk(server, trader.key).trading.positions.getAllOpenPositions();
      const sdkPosition = sdkPositions.find((p) => p.symbol === compact(c.symbol));
      expect(sdkPosition?.assetClass).to.equal('us_option');
      expect(sdkPosition?.avgEntryPrice).to.equal(price);
    });

    it('closes an option position with DELETE /v2/positions/{symbol} (whole contracts)', async () => {
      const c = pick('put', 0.97);
      const placed = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: compact(c.symbol),
        qty: 3,
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      expect((placed.body as Json).status, placed.text).to.equal('filled');
      const half = await v2(
        server,
        'DELETE',
        `/v2/positions/${compact(c.symbol)}?percentage=50`,
        trader.key,
      );
      expect(half.status, half.text).to.equal(200);
      expect(half.body).to.include({
        symbol: compact(c.symbol),
        side: 'sell',
        qty: '1',
        asset_class: 'us_option',
        position_intent: 'sell_to_close',
      });
      const rest = await v2(server, 'DELETE', `/v2/positions/${compact(c.symbol)}`, trader.key);
      expect(rest.body).to.include({ qty: '2', side: 'sell' });
      await eventually(async () => {
        const res = await v2(server, 'GET', `/v2/positions/${compact(c.symbol)}`, trader.key);
        return res.status === 404 ? true : undefined;
      }, 'the position closed');
    });

    it('places a credit spread as one mleg order at a net (negative) limit price', async () => {
      const short = pick('put', 0.95, 2);
      const long = chain.contracts.find(
        (c) =>
          c.type === 'put' &&
          c.expiration === short.expiration &&
          Number(c.strike) < Number(short.strike) - 4,
      );
      if (long === undefined) throw new Error('no lower put');
      const credit = (Number(short.quote.bid) - Number(long.quote.ask)).toFixed(2);
      const placed = await v2(server, 'POST', '/v2/orders', trader.key, {
        order_class: 'mleg',
        type: 'limit',
        qty: '2',
        limit_price: `-${credit}`,
        time_in_force: 'day',
        client_order_id: 'v2-spread-1',
        legs: [
          // Alpaca's legs may give only the intent: the side follows from it.
          { symbol: compact(short.symbol), ratio_qty: '1', position_intent: 'sell_to_open' },
          {
            symbol: compact(long.symbol),
            side: 'buy',
            ratio_qty: '1',
            position_intent: 'buy_to_open',
          },
        ],
      });
      expect(placed.status, placed.text).to.equal(200);
      const order = placed.body as Json & { legs: Json[] };
      expect(order).to.include({
        order_class: 'mleg',
        symbol: '',
        asset_class: 'us_option',
        status: 'filled',
        qty: '2',
        limit_price: `-${credit}`,
      });
      expect(
        order.legs.map((l) => [l.symbol, l.side, l.ratio_qty, l.position_intent]),
      ).to.deep.equal([
        [compact(short.symbol), 'sell', '1', 'sell_to_open'],
        [compact(long.symbol), 'buy', '1', 'buy_to_open'],
      ]);
      for (const leg of order.legs) expect(leg.asset_class).to.equal('us_option');
      const read = await v2(server, 'GET', `/v2/orders/${String(order.id)}`, trader.key);
      expect((read.body as { legs: Json[] }).legs).to.have.length(2);
      const positions = (await v2(server, 'GET', '/v2/positions', trader.key)).body as Json[];
      expect(positions.find((p) => p.symbol === compact(short.symbol))).to.include({
        qty: '-2',
        side: 'short',
      });
      expect(positions.find((p) => p.symbol === compact(long.symbol))).to.include({ qty: '2' });
    });

    it('takes option orders from the 4.x SDK builders: orders.market and an mleg orders.submit', async () => {
      const alpaca = sdk(server, trader.key);
      const c = pick('call', 1.04, 2);
      const single = await alpaca.trading.orders.market({
        symbol: compact(c.symbol),
        qty: 1,
        side: 'buy',
        positionIntent: 'buy_to_open',
        clientOrderId: 'sdk-option-1',
      });
      expect(single).to.include({ symbol: compact(c.symbol), status: 'filled' });
      expect((single as unknown as Json).asset_class).to.equal('us_option');

      const low = pick('call', 1.0, 2);
      const high = pick('call', 1.08, 2);
      const debit = (Number(low.quote.ask) - Number(high.quote.bid)).toFixed(2);
      const spread = await alpaca.trading.orders.submit({
        type: 'limit',
        orderClass: 'mleg',
        qty: 1,
        limitPrice: Number(debit),
        timeInForce: 'day',
        clientOrderId: 'sdk-spread-1',
        legs: [
          {
            symbol: compact(low.symbol),
            side: 'buy',
            ratioQty: '1',
            positionIntent: 'buy_to_open',
          },
          {
            symbol: compact(high.symbol),
            side: 'sell',
            ratioQty: '1',
            positionIntent: 'sell_to_open',
          },
        ],
      });
      const raw = spread as unknown as Json & { legs: Json[] };
      expect(raw).to.include({ order_class: 'mleg', status: 'filled', limit_price: debit });
      expect(raw.legs.map((l) => l.symbol)).to.deep.equal([
        compact(low.symbol),
        compact(high.symbol),
      ]);
    });

    it('exercises a long call through the 4.x SDK: 100 shares per contract at the strike', async () => {
      const c = pick('call', 0.9);
      const placed = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: compact(c.symbol),
        qty: '1',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      });
      expect((placed.body as Json).status, placed.text).to.equal('filled');
      const before = (await v2(server, 'GET', '/v2/positions/AAPL', trader.key)).body as Json;
      const shares = before.qty === undefined ? 0 : Number(before.qty);
      const alpaca = sdk(server, trader.key);
      await alpaca.trading.positions.optionExercise({
        symbolOrContractId: optionContractId(c.symbol),
      });
      const after = await v2(server, 'GET', '/v2/positions/AAPL', trader.key);
      expect(Number((after.body as Json).qty)).to.equal(shares + 100);
      alpacaError(await v2(server, 'GET', `/v2/positions/${compact(c.symbol)}`, trader.key), 404);
    });

    it('refuses to exercise what is not held (404) or is short (422), and do-not-exercise', async () => {
      const notHeld = pick('call', 1.1, 3);
      alpacaError(
        await v2(server, 'POST', `/v2/positions/${compact(notHeld.symbol)}/exercise`, trader.key),
        404,
      );
      const put = pick('put', 0.9, 3);
      const sold = await v2(server, 'POST', '/v2/orders', trader.key, {
        symbol: compact(put.symbol),
        qty: '1',
        side: 'sell',
        type: 'market',
        time_in_force: 'day',
        position_intent: 'sell_to_open',
      });
      expect((sold.body as Json).status, sold.text).to.equal('filled');
      const short = alpacaError(
        await v2(server, 'POST', `/v2/positions/${compact(put.symbol)}/exercise`, trader.key),
        422,
      );
      expect(short.reason).to.equal('option_not_exercisable');
      alpacaError(
        await v2(
          server,
          'POST',
          `/v2/positions/${compact(put.symbol)}/do-not-exercise`,
          trader.key,
        ),
        422,
      );
      // Nothing changed: still short one put.
      const still = await v2(server, 'GET', `/v2/positions/${compact(put.symbol)}`, trader.key);
      expect((still.body as Json).qty).to.equal('-1');
    });
  });

  describe('account levels and errors', () => {
    it('shows the options level and buying power, and changes the level by configuration', async () => {
      const fresh = await alpacaTrader(server, '50000');
      const account = (await v2(server, 'GET', '/v2/account', fresh.key)).body as Json;
      expect(account).to.include({ options_trading_level: 2, options_approved_level: 2 });
      expect(account.options_buying_power).to.equal(account.buying_power);
      const config = (await v2(server, 'GET', '/v2/account/configurations', fresh.key))
        .body as Json;
      expect(config.max_options_trading_level).to.equal(2);

      const lowered = await v2(server, 'PATCH', '/v2/account/configurations', fresh.key, {
        max_options_trading_level: 1,
      });
      expect(lowered.status, lowered.text).to.equal(200);
      expect((lowered.body as Json).max_options_trading_level).to.equal(1);
      const levelOne = (await v2(server, 'GET', '/v2/account', fresh.key)).body as Json;
      expect(levelOne.options_trading_level).to.equal(1);
      const c = pick('call', 1.05);
      const refused = alpacaError(
        await v2(server, 'POST', '/v2/orders', fresh.key, {
          symbol: compact(c.symbol),
          qty: '1',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
        }),
        403,
      );
      expect(refused.reason).to.equal('options_level_insufficient');
      alpacaError(
        await v2(server, 'PATCH', '/v2/account/configurations', fresh.key, {
          max_options_trading_level: 0,
        }),
        422,
      );
    });

    it('answers option order errors as Alpaca: 403 buying power, 422 validation', async () => {
      const poor = await alpacaTrader(server, '50');
      const c = pick('call', 1);
      const funds = alpacaError(
        await v2(server, 'POST', '/v2/orders', poor.key, {
          symbol: compact(c.symbol),
          qty: '1',
          side: 'buy',
          type: 'limit',
          limit_price: c.quote.ask,
          time_in_force: 'day',
        }),
        403,
      );
      expect(funds.reason).to.equal('insufficient_buying_power');
      const cases: [Json, string][] = [
        [
          {
            symbol: compact(c.symbol),
            qty: '1.5',
            side: 'buy',
            type: 'market',
            time_in_force: 'day',
          },
          'invalid_quantity',
        ],
        [
          {
            symbol: 'AAPL200117C00100000',
            qty: '1',
            side: 'buy',
            type: 'market',
            time_in_force: 'day',
          },
          'symbol',
        ],
        [
          {
            symbol: compact(c.symbol),
            qty: '1',
            side: 'buy',
            type: 'market',
            time_in_force: 'day',
            position_intent: 'sell_to_open',
          },
          'position_intent',
        ],
        [
          {
            order_class: 'mleg',
            type: 'limit',
            qty: '1',
            limit_price: '1',
            legs: [{ symbol: compact(c.symbol), side: 'buy', ratio_qty: '1' }],
          },
          'legs',
        ],
        [
          {
            order_class: 'mleg',
            type: 'limit',
            qty: '1',
            legs: [
              { symbol: compact(c.symbol), side: 'buy', ratio_qty: '1' },
              { symbol: compact(pick('call', 1.1).symbol), side: 'sell', ratio_qty: '1' },
            ],
          },
          'limit_price',
        ],
        [
          {
            order_class: 'mleg',
            type: 'limit',
            qty: '1',
            limit_price: '1',
            legs: [
              {
                symbol: compact(c.symbol),
                side: 'buy',
                ratio_qty: '1',
                position_intent: 'sell_to_open',
              },
              { symbol: compact(pick('call', 1.1).symbol), side: 'sell', ratio_qty: '1' },
            ],
          },
          'legs.0.position_intent',
        ],
      ];
      for (const [body, field] of cases) {
        const error = alpacaError(await v2(server, 'POST', '/v2/orders', trader.key, body), 422);
        // Input errors name the field; business rejections carry their reason.
        const named = String(error.message).includes(field) || error.reason === field;
        expect(named, `${JSON.stringify(body)} → ${JSON.stringify(error)}`).to.equal(true);
      }
    });
  });
});
