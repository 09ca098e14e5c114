import { spawn } from 'node:child_process';
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
import { MCP_TOOL_NAMES } from '../../src/mcp/server.ts';
import { call } from './harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  readonly client: Client;
  readonly stderr: () => string;
}

/** `npx paper-trading mcp` as an MCP client starts it: a subprocess speaking JSON-RPC on stdio. */
async function start(dataDir: string): Promise<Started> {
  const transport = new StdioClientTransport({
    command: 'npx',
    args: ['paper-trading', 'mcp'],
    cwd: ROOT,
    env: { ...getDefaultEnvironment(), DATA_DIR: dataDir, LOG_LEVEL: 'info', MARKET_SEED: '42' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe('MCP over stdio (npx paper-trading mcp)', function () {
  // Each process starts the whole venue on embedded PGlite.
  this.timeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'opt-stdio-'));
  let orderId = '';
  let stopId = '';
  let accountId = '';

  it('trades as the local trader with a 100,000 USD default account', async () => {
    const { client, stderr } = await start(dataDir);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).to.deep.equal([...MCP_TOOL_NAMES]);

      const info = await call(client, 'account_info', {});
      expect(info.isError, info.text).to.equal(false);
      const account = info.data.account as { id: string; cash: string; name: string };
      expect(account).to.include({ cash: '100000', name: 'Local paper account' });
      accountId = account.id;

      const bought = await call(client, 'buy_stock_market', {
        symbol: 'aapl',
        quantity: '5',
        client_order_id: 'stdio-buy-1',
      });
      expect(bought.isError, bought.text).to.equal(false);
      expect(bought.text).to.match(/^FILLED: bought 5 AAPL/);
      orderId = (bought.data.order as { id: string }).id;

      const stop = await call(client, 'sell_stock_stop_loss', {
        symbol: 'AAPL',
        quantity: 5,
        stop_price: '1.00',
        time_in_force: 'gtc',
      });
      expect(stop.isError, stop.text).to.equal(false);
      stopId = (stop.data.order as { id: string }).id;

      const bad = await call(client, 'buy_stock_market', { symbol: 'AAPL', quantity: -1 });
      expect(bad.isError).to.equal(true);
      expect(bad.text).to.match(/in argument "quantity"/);
    } finally {
      await client.close();
    }
    expect(stderr()).to.match(/MCP server on stdio/);
    expect(stderr()).to.not.match(/"level":50/);
  });

  it('finds that state in the next process, and refuses a second process on the same DATA_DIR', async () => {
    const { client, stderr } = await start(dataDir);
    try {
      const info = await call(client, 'account_info', {});
      expect((info.data.account as { id: string }).id).to.equal(accountId);

      const orders = await call(client, 'stock_orders', {});
      const ids = (orders.data.orders as { id: string; status: string }[]).map((o) => [
        o.id,
        o.status,
      ]);
      expect(ids).to.deep.include([orderId, 'filled']);
      expect(ids).to.deep.include([stopId, 'new']);

      const positions = await call(client, 'positions', {});
      expect((positions.data.positions as { symbol: string; quantity: string }[])[0]).to.include({
        symbol: 'AAPL',
        quantity: '5',
      });

      const retry = await call(client, 'buy_stock_market', {
        symbol: 'AAPL',
        quantity: 5,
        client_order_id: 'stdio-buy-1',
      });
      expect(retry.data).to.include({ duplicate: true });

      // PGlite serves one process: a second server on the same directory must not start.
      const second = spawn(process.execPath, ['bin/paper-trading.js', 'mcp'], {
        cwd: ROOT,
        env: { ...getDefaultEnvironment(), DATA_DIR: dataDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let secondErr = '';
      second.stderr.on('data', (chunk: Buffer) => {
        secondErr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
      expect(code).to.equal(1);
      expect(secondErr).to.match(/is in use by `paper-trading mcp` \(pid \d+/);
      expect(secondErr).to.match(/DATABASE_URL/);

      const canceled = await call(client, 'cancel_stock_order_by_id', { order_id: stopId });
      expect(canceled.isError, canceled.text).to.equal(false);
    } finally {
      await client.close();
    }
    expect(stderr()).to.match(/MCP server stopping/);
  });
});
