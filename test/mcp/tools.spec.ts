import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createStartingMcpServer, MCP_TOOL_NAMES, type McpSetup } from '../../src/mcp/server.ts';
import { call, connect, startVenue, trader, type ToolResult, type Venue } from './harness.ts';

/** The tool names in the table of docs/mcp.md, in order. */
function documentedTools(): string[] {
  const doc = readFileSync(new URL('../../docs/mcp.md', import.meta.url), 'utf8');
  return [...doc.matchAll(/^\| `([a-z_0-9]+)` +\|/gm)].map((m) => m[1] ?? '');
}

/** The count and the names in the README's MCP tool list ("Tools (N):" and its bullets). */
function readmeTools(): { count: number; names: string[] } {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const list = /Tools \((\d+)\):\n\n((?:- [^\n]*\n(?: {2}[^\n]*\n)*)+)/.exec(readme);
  if (!list) throw new Error('README has no "Tools (N):" list');
  return {
    count: Number(list[1]),
    names: [...(list[2] ?? '').matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1] ?? ''),
  };
}

interface OrderData {
  id: string;
  status: string;
  quantity: string;
  filled_quantity: string;
  filled_avg_price: string | null;
  stop_price: string | null;
  limit_price: string | null;
  client_order_id: string;
  replaced_by: string | null;
}

function order(result: ToolResult): OrderData {
  return result.data.order as OrderData;
}

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MCP tools (SDK client over the in-memory transport)', function () {
  this.timeout(60_000);
  let venue: Venue;
  let alice: Client;
  let bob: Client;
  let aliceAccount: string;
  let bobAccount: string;

  /** Account events written after `position` (refusals only reach the audit trail). */
  async function accountEventsAfter(position: number): Promise<string[]> {
    const events = await venue.store.readAll({
      fromPosition: position + 1,
      filter: { streamPrefixes: ['account-'] },
    });
    return events.map((e) => e.type);
  }

  /** Calls a tool that must fail without changing any account; answers its text. */
  async function refused(client: Client, name: string, args: Record<string, unknown>) {
    const before = await venue.store.headPosition();
    const result = await call(client, name, args);
    expect(result.isError, `${name} ${JSON.stringify(args)} → ${result.text}`).to.equal(true);
    expect(result.text).to.match(/^Error \(/);
    expect(await accountEventsAfter(before)).to.deep.equal([]);
    return result.text;
  }

  before(async () => {
    venue = await startVenue();
    venue.market.push('AAPL', { last: '100' });
    venue.market.push('MSFT', { last: '400' });
    aliceAccount = await venue.openAccount(trader('alice'));
    bobAccount = await venue.openAccount(trader('bob'), '50000', 'Bob');
    alice = await connect(venue, trader('alice'));
    bob = await connect(venue, trader('bob'));
  });

  after(async () => {
    await alice.close();
    await bob.close();
    await venue.close();
  });

  describe('tool list', () => {
    it('is exactly the documented list, with schemas and annotations', async () => {
      const { tools } = await alice.listTools();
      expect(tools.map((t) => t.name)).to.deep.equal([...MCP_TOOL_NAMES]);
      expect(documentedTools()).to.deep.equal([...MCP_TOOL_NAMES]);
      const readme = readmeTools();
      expect(readme.count).to.equal(MCP_TOOL_NAMES.length);
      expect([...readme.names].sort()).to.deep.equal([...MCP_TOOL_NAMES].sort());
      for (const tool of tools) {
        expect(tool.description, tool.name).to.match(/Example: \{/);
        expect(tool.outputSchema?.properties, tool.name).to.have.property('market');
        expect(tool.inputSchema.additionalProperties, tool.name).to.equal(false);
        const reads = tool.annotations?.readOnlyHint === true;
        expect(reads || tool.annotations?.destructiveHint === true, tool.name).to.equal(true);
      }
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect(byName.get('buy_stock_limit')?.inputSchema.required).to.deep.equal([
        'symbol',
        'quantity',
        'limit_price',
      ]);
      expect(byName.get('cancel_all_stock_orders_tool')?.annotations).to.include({
        destructiveHint: true,
        idempotentHint: true,
      });
      expect(byName.get('positions')?.annotations?.readOnlyHint).to.equal(true);
    });

    it('answers an unknown tool with a tool error', async () => {
      const result = await call(alice, 'buy_crypto', {});
      expect(result.isError).to.equal(true);
      expect(result.text).to.match(/buy_crypto/);
    });
  });

  describe('orders', () => {
    it('buy_stock_market fills at the ask in the session; a retry with the same client_order_id places nothing', async () => {
      const first = await call(alice, 'buy_stock_market', {
        symbol: ' aapl ',
        quantity: '10',
        client_order_id: 'buy-aapl-1',
      });
      expect(first.isError).to.equal(false);
      expect(first.text).to.match(/^FILLED: bought 10 AAPL at an average 100\.01/);
      expect(first.text).to.match(/simulated market time Mon 2025-03-03 10:00:00 ET/);
      expect(first.text).to.match(/regular session open/);
      expect(order(first)).to.include({
        status: 'filled',
        filled_quantity: '10',
        filled_avg_price: '100.01',
      });
      expect(first.data).to.include({
        account_id: aliceAccount,
        cash_after: '98999.9',
        duplicate: false,
      });
      expect(first.data.fills).to.have.length(1);
      expect(first.data.market).to.include({ phase: 'regular', prices_simulated: true });

      const before = await venue.store.headPosition();
      const retry = await call(alice, 'buy_stock_market', {
        symbol: 'AAPL',
        quantity: 10,
        client_order_id: 'buy-aapl-1',
      });
      expect(retry.data.duplicate).to.equal(true);
      expect(order(retry).id).to.equal(order(first).id);
      expect(retry.text).to.match(/already used, so nothing new was placed/);
      expect(await accountEventsAfter(before)).to.deep.equal([]);
    });

    it('buy_stock_market refuses a zero quantity, naming the argument and the fix', async () => {
      const text = await refused(alice, 'buy_stock_market', { symbol: 'AAPL', quantity: 0 });
      expect(text).to.match(/in argument "quantity": quantity must be greater than zero/);
      expect(text).to.match(/Fix: Pass quantity: a positive number of shares/);
      expect(text).to.match(/Nothing was changed/);
    });

    it('sell_stock_market sells part of the position at the bid', async () => {
      const sold = await call(alice, 'sell_stock_market', { symbol: 'AAPL', quantity: '4' });
      expect(sold.isError).to.equal(false);
      expect(sold.text).to.match(/^FILLED: sold 4 AAPL at an average 99\.99/);
      const positions = await call(alice, 'positions', {});
      const [aapl] = positions.data.positions as { symbol: string; quantity: string }[];
      expect(aapl).to.include({ symbol: 'AAPL', quantity: '6' });
    });

    it('sell_stock_market refuses a malformed symbol and reports a business rejection as an error it records', async () => {
      expect(await refused(alice, 'sell_stock_market', { symbol: 'AAPL1', quantity: 1 })).to.match(
        /symbol must be a US stock ticker/,
      );
      const rejected = await call(alice, 'sell_stock_market', { symbol: 'AAPL', quantity: 500 });
      expect(rejected.isError).to.equal(true);
      expect(rejected.data).to.include({ status: 'rejected', order: null });
      expect(rejected.data.rejection).to.include({
        reason: 'insufficient_position',
        argument: 'quantity',
      });
      expect(rejected.text).to.match(/^REJECTED \(insufficient_position\)/);
    });

    it('buy_stock_limit below the ask rests, working and not filled', async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'AAPL',
        quantity: 5,
        limit_price: '$95.50',
        time_in_force: 'GTC',
      });
      expect(placed.isError).to.equal(false);
      expect(placed.text).to.match(
        /^WORKING, NOT FILLED YET: buy 5 AAPL limit 95\.5 \(gtc\); it fills when the ask is at or below 95\.5/,
      );
      expect(order(placed)).to.include({
        status: 'new',
        filled_quantity: '0',
        limit_price: '95.5',
      });
    });

    it('buy_stock_limit refuses thousands separators and a price off the tick grid, writing nothing', async () => {
      expect(
        await refused(alice, 'buy_stock_limit', {
          symbol: 'AAPL',
          quantity: 1,
          limit_price: '1,000',
        }),
      ).to.match(/without thousands separators/);
      expect(
        await refused(alice, 'buy_stock_limit', {
          symbol: 'AAPL',
          quantity: 1,
          limit_price: 95.001,
        }),
      ).to.match(/^Error \(invalid_tick_size\).*Fix: Round limit_price/);
    });

    it('sell_stock_limit above the bid rests; camelCase argument names are accepted', async () => {
      const placed = await call(alice, 'sell_stock_limit', {
        symbol: 'aapl',
        qty: '2',
        limitPrice: 120,
      });
      expect(placed.isError).to.equal(false);
      expect(order(placed)).to.include({ status: 'new', quantity: '2', limit_price: '120' });
    });

    it('sell_stock_limit refuses a missing limit_price and unknown arguments', async () => {
      expect(await refused(alice, 'sell_stock_limit', { symbol: 'AAPL', quantity: 1 })).to.match(
        /Missing required argument "limit_price".*Fix: Pass limit_price/,
      );
      expect(
        await refused(alice, 'sell_stock_limit', {
          symbol: 'AAPL',
          quantity: 1,
          limit_price: 120,
          take_profit: 130,
        }),
      ).to.match(/Unknown argument "take_profit".*Use only these arguments: symbol, quantity/);
    });

    it('buy_stock_stop_loss waits above the market; with limit_price it is a stop-limit', async () => {
      const stop = await call(alice, 'buy_stock_stop_loss', {
        symbol: 'MSFT',
        quantity: 1,
        stop_price: 450,
      });
      expect(stop.text).to.match(
        /^WORKING, NOT FILLED YET: buy 1 MSFT stop 450 \(day\); it becomes a market order when the price rises to 450/,
      );
      const stopLimit = await call(alice, 'buy_stock_stop_loss', {
        symbol: 'MSFT',
        quantity: 1,
        stop_price: '450',
        limit_price: '455',
      });
      expect(order(stopLimit)).to.include({ status: 'new', stop_price: '450', limit_price: '455' });
    });

    it('buy_stock_stop_loss refuses a stop price that is not a number', async () => {
      expect(
        await refused(alice, 'buy_stock_stop_loss', {
          symbol: 'MSFT',
          quantity: 1,
          stop_price: 'high',
        }),
      ).to.match(/stop_price must be a number \(got "high"\)/);
    });

    it('sell_stock_stop_loss triggers when the price falls to the stop and explain_fill shows why', async () => {
      const placed = await call(bob, 'buy_stock_market', { symbol: 'AAPL', quantity: 10 });
      expect(order(placed).status).to.equal('filled');
      const stop = await call(bob, 'sell_stock_stop_loss', {
        symbol: 'AAPL',
        quantity: 10,
        stop_price: 95,
        time_in_force: 'gtc',
        client_order_id: 'bob-stop',
      });
      expect(order(stop).status).to.equal('new');
      await venue.engine.idle();
      venue.market.push('AAPL', { last: '94.50', bid: '94.49', ask: '94.51' });
      await venue.engine.idle();
      venue.market.push('AAPL', { last: '100' });
      const filled = await eventually(async () => {
        const orders = await call(bob, 'stock_orders', { status: 'closed' });
        return (orders.data.orders as OrderData[]).find(
          (o) => o.client_order_id === 'bob-stop' && o.status === 'filled',
        );
      });
      expect(filled.filled_avg_price).to.equal('94.49');
      const explained = await call(bob, 'explain_fill', { client_order_id: 'bob-stop' });
      expect(explained.isError).to.equal(false);
      const types = (explained.data.events as { type: string }[]).map((e) => e.type);
      expect(types).to.deep.equal(['OrderPlaced', 'OrderTriggered', 'OrderFilled']);
      const [fill] = explained.data.fills as {
        quote: { bid: string; ask: string; source: string };
        cash_before: string;
        cash_after: string;
        position_before: { quantity: string };
        position_after: { quantity: string };
        fill_model: { base_price: string; partial_fill_rule: string };
      }[];
      expect(fill?.quote).to.include({ bid: '94.49', ask: '94.51', source: 'test' });
      expect(fill?.fill_model).to.include({
        base_price: '94.49',
        partial_fill_rule: 'displayed_size',
      });
      expect(fill?.position_before.quantity).to.equal('10');
      expect(fill?.position_after.quantity).to.equal('0');
      expect(Number(fill?.cash_after)).to.be.greaterThan(Number(fill?.cash_before));
      expect(explained.text).to.match(/a sell meets the bid, 94\.49/);
    });

    it('sell_stock_stop_loss refuses a stop price off the tick grid', async () => {
      expect(
        await refused(alice, 'sell_stock_stop_loss', {
          symbol: 'AAPL',
          quantity: 1,
          stop_price: '90.123',
        }),
      ).to.match(/invalid_tick_size/);
    });

    it('sell_stock_trailing_stop trails by percent ("2.5%") below the high', async () => {
      const placed = await call(alice, 'sell_stock_trailing_stop', {
        symbol: 'AAPL',
        quantity: 1,
        trail_percent: '2.5%',
        time_in_force: 'gtc',
      });
      expect(placed.isError, placed.text).to.equal(false);
      expect(order(placed)).to.include({ status: 'new' });
      expect(placed.text).to.match(/trailing 2\.5 %/);
    });

    it('sell_stock_trailing_stop needs exactly one trailing distance', async () => {
      expect(
        await refused(alice, 'sell_stock_trailing_stop', {
          symbol: 'AAPL',
          quantity: 1,
          trail_percent: 2,
          trail_amount: 3,
        }),
      ).to.match(/not both/);
      expect(
        await refused(alice, 'sell_stock_trailing_stop', { symbol: 'AAPL', quantity: 1 }),
      ).to.match(/needs trail_percent or trail_amount/);
    });

    it('buy_stock_trailing_stop trails by dollars above the low', async () => {
      const placed = await call(alice, 'buy_stock_trailing_stop', {
        symbol: 'MSFT',
        quantity: 1,
        trail_amount: '5',
      });
      expect(placed.isError, placed.text).to.equal(false);
      expect(order(placed)).to.include({ status: 'new' });
    });

    it('buy_stock_trailing_stop refuses a trail_percent of 100 or more', async () => {
      expect(
        await refused(alice, 'buy_stock_trailing_stop', {
          symbol: 'MSFT',
          quantity: 1,
          trail_percent: 150,
        }),
      ).to.match(/trail_percent must be below 100/);
    });

    it('preview_order shows the fill and the cash after, writing nothing', async () => {
      const before = await venue.store.headPosition();
      const preview = await call(alice, 'preview_order', {
        side: 'buy',
        symbol: 'MSFT',
        quantity: 2,
      });
      expect(preview.isError).to.equal(false);
      expect(preview.data).to.include({ would_be_accepted: true, status_after: 'filled' });
      expect(preview.data.estimated_fills).to.deep.equal([{ quantity: '2', price: '400.01' }]);
      expect(preview.text).to.match(/it would fill at once: 2 at 400\.01.*Nothing was placed/);
      expect(await accountEventsAfter(before)).to.deep.equal([]);
      const tooBig = await call(alice, 'preview_order', {
        side: 'buy',
        symbol: 'MSFT',
        quantity: 1000,
      });
      expect(tooBig.data.would_be_accepted).to.equal(false);
      expect(tooBig.text).to.match(/WOULD BE REJECTED \(insufficient_buying_power\)/);
    });

    it('preview_order refuses a limit order without limit_price and a bad side', async () => {
      expect(
        await refused(alice, 'preview_order', {
          side: 'buy',
          type: 'limit',
          symbol: 'MSFT',
          quantity: 1,
        }),
      ).to.match(/A limit order needs limit_price/);
      expect(
        await refused(alice, 'preview_order', { side: 'hold', symbol: 'MSFT', quantity: 1 }),
      ).to.match(/side must be one of buy, sell/);
    });

    it('replace_order replaces a resting limit order with a new id', async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'MSFT',
        quantity: 1,
        limit_price: 350,
      });
      const replaced = await call(alice, 'replace_order', {
        order_id: order(placed).id,
        limit_price: '360',
      });
      expect(replaced.isError, replaced.text).to.equal(false);
      expect(replaced.data.replaced_order_id).to.equal(order(placed).id);
      expect(order(replaced).id).to.not.equal(order(placed).id);
      expect(order(replaced)).to.include({ status: 'new', limit_price: '360' });
      expect(replaced.text).to.match(/was replaced by order/);
      const old = await call(alice, 'stock_orders', { status: 'closed', symbol: 'MSFT' });
      const previous = (old.data.orders as OrderData[]).find((o) => o.id === order(placed).id);
      expect(previous).to.include({ status: 'replaced', replaced_by: order(replaced).id });
    });

    it('replace_order refuses a call that changes nothing and an unknown order', async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'MSFT',
        quantity: 1,
        limit_price: 340,
      });
      expect(await refused(alice, 'replace_order', { order_id: order(placed).id })).to.match(
        /Nothing to change/,
      );
      expect(
        await refused(alice, 'replace_order', { order_id: 'no-such-order', limit_price: 1 }),
      ).to.match(/order_not_found/);
    });
  });

  describe('order management', () => {
    it('stock_orders lists newest first and filters by status and symbol', async () => {
      const all = await call(alice, 'stock_orders', {});
      const orders = all.data.orders as OrderData[];
      expect(orders.length).to.be.greaterThan(5);
      expect(all.text).to.match(/stock orders, newest first/);
      const open = await call(alice, 'stock_orders', { status: 'open', symbol: 'msft' });
      expect(
        (open.data.orders as OrderData[]).every((o) =>
          ['new', 'accepted', 'partially_filled', 'held'].includes(o.status),
        ),
      ).to.equal(true);
    });

    it('stock_orders refuses an unknown status', async () => {
      expect(await refused(alice, 'stock_orders', { status: 'pending' })).to.match(
        /status must be one of all, open, closed/,
      );
    });

    it('open_stock_orders lists only working orders', async () => {
      const open = await call(alice, 'open_stock_orders', {});
      const orders = open.data.orders as OrderData[];
      expect(orders.length).to.be.greaterThan(0);
      expect(orders.every((o) => o.status === 'new')).to.equal(true);
      expect(open.text).to.match(/open stock orders?:/);
    });

    it('open_stock_orders refuses a symbol that is not a ticker', async () => {
      expect(await refused(alice, 'open_stock_orders', { symbol: '123' })).to.match(
        /not a US stock ticker/,
      );
    });

    it('cancel_stock_order_by_id cancels and refuses a second cancel', async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'AAPL',
        quantity: 1,
        limit_price: 90,
      });
      const canceled = await call(alice, 'cancel_stock_order_by_id', {
        order_id: order(placed).id,
      });
      expect(canceled.isError).to.equal(false);
      expect(order(canceled).status).to.equal('canceled');
      expect(canceled.text).to.match(/^CANCELED: buy 1 AAPL limit 90 \(day\)/);
      expect(
        await refused(alice, 'cancel_stock_order_by_id', { order_id: order(placed).id }),
      ).to.match(/order_not_cancelable/);
    });

    it("cancel_stock_order_by_id does not find another tenant's order", async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'AAPL',
        quantity: 1,
        limit_price: 91,
      });
      expect(
        await refused(bob, 'cancel_stock_order_by_id', { order_id: order(placed).id }),
      ).to.match(/order_not_found/);
      expect(
        await refused(bob, 'cancel_stock_order_by_id', {
          order_id: order(placed).id,
          account_id: aliceAccount,
        }),
      ).to.match(/account_not_found/);
      const still = await call(alice, 'stock_orders', { status: 'open', symbol: 'AAPL' });
      expect((still.data.orders as OrderData[]).map((o) => o.id)).to.include(order(placed).id);
    });

    it('cancel_all_stock_orders_tool cancels every open order; a second call changes nothing', async () => {
      const first = await call(alice, 'cancel_all_stock_orders_tool', {});
      expect(first.isError).to.equal(false);
      expect(first.data.canceled_count).to.be.greaterThan(0);
      const open = await call(alice, 'open_stock_orders', {});
      expect(open.data.count).to.equal(0);
      const second = await call(alice, 'cancel_all_stock_orders_tool', {});
      expect(second.data.canceled_count).to.equal(0);
      expect(second.text).to.match(/no open orders to cancel/);
    });

    it("cancel_all_stock_orders_tool refuses another tenant's account", async () => {
      expect(
        await refused(bob, 'cancel_all_stock_orders_tool', { account_id: aliceAccount }),
      ).to.match(/account_not_found/);
    });

    it('explain_fill explains a market fill: quote, fill model, cash and position change', async () => {
      const bought = await call(alice, 'buy_stock_market', { symbol: 'MSFT', quantity: '1' });
      const explained = await call(alice, 'explain_fill', { order_id: order(bought).id });
      expect(explained.isError).to.equal(false);
      expect(explained.data.totals).to.include({ filled_quantity: '1', average_price: '400.01' });
      expect(explained.text).to.match(/Priced by the test quote #\d+ .*ask 400\.01/);
      expect(explained.text).to.match(/Cash [\d.]+ → [\d.]+ \(-400\.01\)/);
    });

    it('explain_fill refuses a call without an order id', async () => {
      expect(await refused(alice, 'explain_fill', {})).to.match(
        /Missing required argument "order_id"/,
      );
    });
  });

  describe('account', () => {
    it('account_info shows balances and the account id', async () => {
      const info = await call(bob, 'account_info', {});
      expect(info.isError).to.equal(false);
      expect(info.data.account).to.include({ id: bobAccount, name: 'Bob', currency: 'USD' });
      expect(info.data.accounts).to.deep.equal([{ id: bobAccount, name: 'Bob' }]);
      expect(info.text).to.match(/^Account "Bob" \(.*\): cash [\d.]+ USD, buying power/);
    });

    it('account_info refuses a malformed account id', async () => {
      expect(await refused(bob, 'account_info', { account_id: 'not an id' })).to.match(
        /account_id is not a valid id/,
      );
    });

    it('account_details shows settings, totals and positions', async () => {
      const details = await call(alice, 'account_details', {});
      expect(details.isError).to.equal(false);
      expect(details.data.settings).to.include({ account_type: 'cash', fractional_trading: true });
      expect(details.data.totals).to.include({ total_deposits: '100000' });
      expect(details.text).to.match(/cash account/);
    });

    it('account_details refuses an unknown argument', async () => {
      expect(await refused(alice, 'account_details', { verbose: true })).to.match(
        /Unknown argument "verbose"/,
      );
    });

    it('positions reports holdings and an empty answer for a symbol not held', async () => {
      const all = await call(alice, 'positions', {});
      expect((all.data.positions as { symbol: string }[]).map((p) => p.symbol)).to.include('AAPL');
      const none = await call(alice, 'positions', { symbol: 'NVDA' });
      expect(none.isError).to.equal(false);
      expect(none.text).to.match(/You hold no NVDA shares/);
    });

    it("positions refuses another tenant's account", async () => {
      expect(await refused(bob, 'positions', { account_id: aliceAccount })).to.match(
        /account_not_found/,
      );
    });

    it('portfolio_history answers points with profit and loss', async () => {
      const history = await call(alice, 'portfolio_history', { timeframe: '1min' });
      expect(history.isError, history.text).to.equal(false);
      expect(history.data.timeframe).to.equal('1Min');
      expect((history.data.points as unknown[]).length).to.be.greaterThan(0);
    });

    it('portfolio_history refuses an unknown timeframe and a bad date', async () => {
      expect(await refused(alice, 'portfolio_history', { timeframe: '2H' })).to.match(
        /timeframe must be one of/,
      );
      expect(await refused(alice, 'portfolio_history', { start: 'last week' })).to.match(
        /ISO-8601/,
      );
    });
  });

  describe('market', () => {
    it('get_quote answers simulated quotes for one or several symbols', async () => {
      const one = await call(alice, 'get_quote', { symbol: ' aapl ' });
      expect(one.isError).to.equal(false);
      const [quote] = one.data.quotes as Record<string, unknown>[];
      expect(quote).to.include({
        symbol: 'AAPL',
        bid: '99.99',
        ask: '100.01',
        spread: '0.02',
        mid: '100',
        simulated: true,
      });
      expect(one.text).to.match(/^AAPL \(Apple Inc\., simulated\): bid 99\.99/);
      const several = await call(alice, 'get_quote', { symbol: 'AAPL, msft,ZZZZ' });
      expect((several.data.quotes as unknown[]).length).to.equal(2);
      expect(several.data.not_listed).to.deep.equal(['ZZZZ']);
    });

    it('get_quote refuses a symbol the venue does not list', async () => {
      expect(await refused(alice, 'get_quote', { symbol: 'ZZZZ' })).to.match(
        /ZZZZ is not listed on this venue/,
      );
    });

    it('market_hours tells the phase and the sessions, holidays included', async () => {
      const now = await call(alice, 'market_hours', {});
      expect(now.data).to.include({ phase: 'regular', is_open: true, date: '2025-03-03' });
      expect(now.text).to.match(/^The market is OPEN/);
      const christmas = await call(alice, 'market_hours', { date: '2025-12-25' });
      expect(christmas.data).to.include({ session: null, holiday: 'Christmas Day' });
      const eve = await call(alice, 'market_hours', { date: '2025-12-24' });
      expect(eve.data.session).to.include({ early_close: true });
    });

    it('market_hours refuses a date that is not a calendar date', async () => {
      expect(await refused(alice, 'market_hours', { date: 'tomorrow' })).to.match(
        /date must be a calendar date/,
      );
    });
  });

  describe('system', () => {
    it('list_tools lists every tool by group', async () => {
      const listed = await call(alice, 'list_tools', {});
      expect(listed.data.count).to.equal(MCP_TOOL_NAMES.length);
      expect(listed.text).to.match(
        new RegExp(`^${String(MCP_TOOL_NAMES.length)} tools\\.\\norders: buy_stock_market`),
      );
      expect(listed.text).to.contain('backtests: run_backtest, backtest_result');
    });

    it('list_tools refuses arguments', async () => {
      expect(await refused(alice, 'list_tools', { group: 'orders' })).to.match(
        /takes no arguments/,
      );
    });

    it('health_check reports the checks and who is connected', async () => {
      const health = await call(alice, 'health_check', {});
      expect(health.data).to.include({ status: 'ok', version: 'test' });
      expect(health.data.connected_as).to.include({ user_id: 'alice' });
      expect(health.text).to.match(/^Service OK/);
    });

    it('health_check refuses arguments', async () => {
      expect(await refused(alice, 'health_check', { deep: 'yes' })).to.match(
        /Unknown argument "deep"/,
      );
    });
  });

  describe('lenient but never ambiguous inputs', () => {
    it('treats null and empty strings as omitted', async () => {
      const placed = await call(alice, 'buy_stock_limit', {
        symbol: 'AAPL',
        quantity: 1,
        limit_price: 80,
        time_in_force: null,
        client_order_id: '',
        account_id: null,
      });
      expect(placed.isError, placed.text).to.equal(false);
      expect(order(placed).status).to.equal('new');
    });

    it('turns wrong JSON types into tool errors naming the argument', async () => {
      expect(await refused(alice, 'buy_stock_market', { symbol: 'AAPL', quantity: true })).to.match(
        /in argument "quantity": quantity has the wrong type \(got true\)/,
      );
      expect(await refused(alice, 'buy_stock_market', { symbol: ['AAPL'], quantity: 1 })).to.match(
        /in argument "symbol"/,
      );
      expect(
        await refused(alice, 'buy_stock_limit', {
          symbol: 'AAPL',
          quantity: 1,
          limit_price: 80,
          extended_hours: 'maybe',
        }),
      ).to.match(/extended_hours must be true or false/);
    });

    it('refuses an alias and its name with different values', async () => {
      expect(
        await refused(alice, 'buy_stock_market', { symbol: 'AAPL', quantity: 1, qty: 2 }),
      ).to.match(/same argument with different values/);
    });
  });
});

describe('MCP tools outside the regular session', function () {
  this.timeout(60_000);

  it('a market order on a Saturday is accepted and queued until the open, never reported as filled', async () => {
    const venue = await startVenue(new Date('2025-03-08T17:00:00.000Z'));
    try {
      venue.market.push('AAPL', { last: '100' });
      await venue.openAccount(trader('carol'));
      const client = await connect(venue, trader('carol'));
      const placed = await call(client, 'buy_stock_market', { symbol: 'AAPL', quantity: 3 });
      expect(placed.isError).to.equal(false);
      expect(order(placed)).to.include({ status: 'accepted', filled_quantity: '0' });
      expect(placed.text).to.match(
        /^ACCEPTED AND QUEUED, NOT FILLED: the market is not in its regular session, so buy 3 AAPL at market \(day\) waits for the open at Mon 2025-03-10 09:30 ET/,
      );
      expect(placed.text).to.not.match(/^FILLED|bought/);
      expect(placed.text).to.match(
        /Market: closed \(next open Mon 2025-03-10 09:30 ET\); simulated market time Sat 2025-03-08 12:00:00 ET/,
      );
      expect(placed.data.cash_after).to.equal('100000');
      const hours = await call(client, 'market_hours', {});
      expect(hours.data).to.include({ phase: 'closed', is_open: false, session: null });
      await client.close();
    } finally {
      await venue.close();
    }
  });

  it('an account must be named when the caller has several', async () => {
    const venue = await startVenue();
    try {
      const dave = trader('dave');
      await venue.openAccount(dave, '1000', 'One');
      await venue.openAccount(dave, '2000', 'Two');
      const client = await connect(venue, dave);
      const result = await call(client, 'account_info', {});
      expect(result.isError).to.equal(true);
      expect(result.text).to.match(
        /^Error \(account_required\).*"One".*"Two".*Fix: Pass account_id/,
      );
      await client.close();
    } finally {
      await venue.close();
    }
  });
});

describe('an MCP server whose venue is still starting (stdio)', function () {
  this.timeout(60_000);

  async function connectStarting(setup: Promise<McpSetup>): Promise<Client> {
    const server = createStartingMcpServer(setup, { version: 'test' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test', version: '1.0.0' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    return client;
  }

  it('answers initialize and tools/list at once; tool calls wait for the venue', async () => {
    let start: (setup: McpSetup) => void = () => undefined;
    const client = await connectStarting(new Promise<McpSetup>((resolve) => (start = resolve)));
    const { tools } = await client.listTools();
    expect(tools).to.have.length(MCP_TOOL_NAMES.length);
    const venue = await startVenue();
    try {
      const pending = call(client, 'market_hours', {});
      start({ deps: venue.deps, identity: { principal: trader('erin'), description: 'erin' } });
      const answered = await pending;
      expect(answered.isError).to.equal(false);
      expect(answered.data.phase).to.equal('regular');
    } finally {
      await client.close();
      await venue.close();
    }
  });

  it('reports a failed start as a tool error', async () => {
    const client = await connectStarting(
      Promise.reject(new Error('PAPER_TRADING_API_KEY is not valid')),
    );
    const result = await call(client, 'account_info', {});
    expect(result.isError).to.equal(true);
    expect(result.text).to.match(
      /^Error \(venue_not_ready\): The paper-trading venue failed to start: PAPER_TRADING_API_KEY is not valid/,
    );
    await client.close();
  });
});
