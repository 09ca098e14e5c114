/**
 * What an agent does with options over stdio on a fresh data directory (the "done
 * when"): read a chain, open a credit spread, see it in aggregate_option_positions with net
 * greeks and max loss, and watch it settle at the close of its expiration day. The simulated
 * clock starts 90 seconds before a Friday close (MARKET_START), so the 0-day options expire
 * while the session runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import { call } from './harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Row {
  symbol: string;
  strike: string;
  bid: string;
  ask: string;
}

describe('MCP over stdio: an options session to expiry', function () {
  this.timeout(240_000);

  it('reads a chain, opens a credit spread, sees its risk and watches it settle at the close', async () => {
    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['paper-trading', 'mcp'],
      cwd: ROOT,
      env: {
        ...getDefaultEnvironment(),
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'opt-stdio-options-')),
        LOG_LEVEL: 'warn',
        MARKET_SEED: '42',
        // Friday 2025-03-07, 15:58:30 New York: the weekly options expire at 16:00.
        MARKET_START: '2025-03-07T20:58:30Z',
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-options-test', version: '1.0.0' });
    await client.connect(transport);
    const transcript: string[] = [];
    const step = async (name: string, args: Record<string, unknown>) => {
      const result = await call(client, name, args);
      transcript.push(
        `→ ${name} ${JSON.stringify(args)}\n← ${result.isError ? '[isError] ' : ''}${result.text}`,
      );
      return result;
    };
    try {
      const chain = await step('options_chain', {
        underlying: 'SPY',
        option_type: 'call',
        max_contracts: 12,
      });
      expect(chain.isError, chain.text).to.equal(false);
      expect(chain.data.expiration).to.equal('2025-03-07');
      const spot = chain.data.underlying_price as number;
      const calls = chain.data.contracts as Row[];
      // Ninety seconds before expiry only in-the-money calls carry premium: sell one, buy the
      // one two dollars higher (a bear call spread whose short leg is likely to be assigned).
      const short = [...calls]
        .reverse()
        .find((c) => Number(c.strike) < spot - 1 && Number(c.bid) > 0.5);
      const long = calls.find(
        (c) => short !== undefined && Number(c.strike) === Number(short.strike) + 2,
      );
      if (short === undefined || long === undefined) throw new Error('no strikes below the money');
      // The underlying may tick between the chain and the order: ask for a little less.
      const credit = Math.max(0.05, Number(short.bid) - Number(long.ask) - 0.5).toFixed(2);

      const placed = await step('option_credit_spread', {
        legs: [
          { symbol: short.symbol, side: 'sell' },
          { symbol: long.symbol, side: 'buy' },
        ],
        quantity: 1,
        limit_price: credit,
        client_order_id: 'stdio-ccs-1',
      });
      expect(placed.isError, placed.text).to.equal(false);
      expect(placed.text).to.match(/^FILLED \(all legs at once\): call credit spread/);
      expect(placed.text).to.match(/max profit \$[\d.]+ .* max loss \$[\d.]+ .*breakeven/);

      const aggregate = await step('aggregate_option_positions', {});
      const spy = (
        aggregate.data.underlyings as {
          underlying: string;
          net_greeks: { delta: number };
          strategies: { strategy: string; max_loss: string }[];
        }[]
      )[0];
      expect(spy?.underlying).to.equal('SPY');
      expect(spy?.strategies[0]?.strategy).to.equal('call_credit_spread');
      expect(Number(spy?.strategies[0]?.max_loss)).to.be.greaterThan(0);
      expect(typeof spy?.net_greeks.delta).to.equal('number');

      // The other option tools, each once, in the same session.
      const greeks = await step('option_greeks', { symbol: short.symbol });
      expect(greeks.isError, greeks.text).to.equal(false);
      const history = await step('option_historicals', {
        symbol: short.symbol,
        start: '2025-02-24',
      });
      expect(history.isError, history.text).to.equal(false);
      const cheap = calls.find((c) => Number(c.strike) === Number(short.strike) + 1) ?? long;
      const resting = await step('buy_option_limit', {
        symbol: cheap.symbol,
        quantity: 1,
        limit_price: 0.01,
        client_order_id: 'stdio-rest-1',
      });
      expect(resting.isError, resting.text).to.equal(false);
      expect((await step('open_option_orders', {})).data.count).to.be.at.least(1);
      expect(
        (await step('cancel_option_order_by_id', { client_order_id: 'stdio-rest-1' })).text,
      ).to.match(/^CANCELED/);
      await step('sell_option_limit', { symbol: cheap.symbol, quantity: 1, limit_price: 50 });
      expect((await step('cancel_all_option_orders_tool', {})).isError).to.equal(false);
      expect((await step('options_orders', { status: 'all' })).data.count).to.be.at.least(3);
      // A bull call debit spread two strikes lower, expiring today too.
      const buyLeg = calls.find((c) => Number(c.strike) === Number(short.strike) - 2);
      const sellLeg = calls.find((c) => Number(c.strike) === Number(short.strike) - 1);
      if (buyLeg === undefined || sellLeg === undefined) throw new Error('no lower strikes');
      const debit = await step('option_debit_spread', {
        legs: JSON.stringify([
          { symbol: buyLeg.symbol, side: 'buy' },
          { symbol: sellLeg.symbol, side: 'sell' },
        ]),
        quantity: 1,
        limit_price: 1.5,
      });
      expect(debit.isError, debit.text).to.equal(false);
      const deep = calls[0];
      if (deep === undefined) throw new Error('no call');
      await step('buy_option_limit', {
        symbol: deep.symbol,
        quantity: 1,
        limit_price: (Number(deep.ask) + 0.1).toFixed(2),
      });
      const exercised = await step('exercise_option', { symbol: deep.symbol });
      expect(exercised.isError, exercised.text).to.equal(false);
      expect((await step('open_option_positions', {})).isError).to.equal(false);

      // Wait for the simulated close (at most ~90 s at speed 1), then for the settlement.
      let ended: { symbol: string; status: string }[] = [];
      for (let i = 0; i < 120; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        const all = await call(client, 'all_option_positions', {});
        const positions = all.data.positions as { symbol: string; status: string }[];
        ended = positions.filter((p) => p.status !== 'open');
        if (positions.every((p) => p.status !== 'open')) {
          transcript.push(`→ all_option_positions {}\n← ${all.text}`);
          break;
        }
      }
      expect(
        ended.map((p) => p.status).every((s) => ['expired', 'assigned', 'exercised'].includes(s)),
      ).to.equal(true);
      // Both spreads' legs settled at the close; the exercised call ended before.
      expect(ended.length).to.be.at.least(5);
      const after = await step('aggregate_option_positions', {});
      expect(after.text).to.match(/^No open option positions/);
      const info = await step('account_info', {});
      expect(info.isError, info.text).to.equal(false);
    } finally {
      await client.close();
      if (process.env.OPTIONS_TRANSCRIPT !== undefined) console.log(transcript.join('\n\n'));
    }
  });
});
