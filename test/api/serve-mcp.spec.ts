/**
 * `serve` answers MCP over Streamable HTTP at `/mcp` beside `/api/v1`: the same tools, the same
 * accounts and the same tenancy as REST.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MCP_TOOL_NAMES } from '../../src/mcp/server.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import { call, newUser, openAccount, type TestUser } from '../support/api-client.ts';

describe('serve: MCP over HTTP at /mcp', function () {
  this.timeout(120_000);
  let server: ApiServer;
  let trader: TestUser;
  let accountId: string;

  before(async () => {
    server = await startApiServer();
    trader = await newUser(server);
    accountId = (await openAccount(server, trader)).id;
  });
  after(async () => {
    await server.close();
  });

  it('refuses a call without a bearer token', async () => {
    const res = await fetch(`${server.origin}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).to.equal(401);
  });

  it('lists the tools and trades the caller’s account, visible over REST', async () => {
    const client = new Client({ name: 'serve-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.origin}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${trader.token}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).to.deep.equal([...MCP_TOOL_NAMES].sort());
      const bought = await client.callTool({
        name: 'buy_stock_market',
        arguments: { symbol: 'msft', quantity: '3', account_id: accountId },
      });
      expect(bought.isError ?? false, JSON.stringify(bought.content)).to.equal(false);
      const rest = await call(server, 'GET', `/accounts/${accountId}/positions/MSFT`, {
        token: trader.token,
        headers: {
          'x-min-position': String(await server.composition.parts.eventStore.headPosition()),
        },
      });
      expect(rest.status).to.equal(200);
      expect(rest.body.qty).to.equal('3');
    } finally {
      await client.close();
    }
  });
});
