import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { createSecurity, type Security } from '../../src/api/security.ts';
import { startServer, type RunningServer } from '../../src/api/server.ts';
import type { Principal } from '../../src/commands/policy.ts';
import { mcpHttpHandler, type McpHttpHandler } from '../../src/mcp/http.ts';
import { MemoryResumptionStore } from '../../src/mcp/resumption.ts';
import { MCP_TOOL_NAMES } from '../../src/mcp/server.ts';
import { TEST_SECRET, testHasher } from '../auth/harness.ts';
import { call, startVenue, type Venue } from './harness.ts';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};

describe('MCP over Streamable HTTP (/mcp)', function () {
  this.timeout(60_000);
  let venue: Venue;
  let security: Security;
  let handler: McpHttpHandler;
  let server: RunningServer;
  let url: string;
  const users: Record<'alice' | 'bob', { token: string; principal: Principal; accountId: string }> =
    {} as never;
  const clients: Client[] = [];

  async function user(name: 'alice' | 'bob'): Promise<void> {
    const email = `${name}@example.com`;
    const password = `${name}-correct-horse-battery`;
    const context = { source: 'test' as const, correlationId: 'test' };
    await security.users.register({ email, password }, context);
    const tokens = await security.users.login({ email, password }, context);
    const principal = await security.users.authenticate(tokens.accessToken);
    if (principal === undefined) throw new Error('login failed');
    users[name] = {
      token: tokens.accessToken,
      principal,
      accountId: await venue.openAccount(principal),
    };
  }

  async function connect(
    token: string,
  ): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  }

  function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  before(async () => {
    venue = await startVenue();
    venue.market.push('AAPL', { last: '100' });
    const logger = pino({ level: 'silent' });
    security = await createSecurity({
      config: {
        jwtSecret: TEST_SECRET,
        dataDir: mkdtempSync(path.join(tmpdir(), 'opt-mcp-')),
        redisUrl: undefined,
      },
      eventStore: venue.store,
      readModels: venue.readModels,
      logger,
      hasher: testHasher,
      limits: { perIp: 10_000, auth: 10_000, perUser: 10_000 },
    });
    handler = mcpHttpHandler({
      deps: venue.deps,
      authenticated: security.authenticated,
      allowedOrigins: ['https://dashboard.example.com'],
      logger,
    });
    const app = express();
    app.use(express.json());
    app.use('/mcp', handler.router);
    server = await startServer(app, { port: 0, host: '127.0.0.1' });
    url = server.url;
    await user('alice');
    await user('bob');
  });

  after(async () => {
    for (const client of clients) await client.close();
    await handler.close();
    await server.close();
    await security.close();
    await venue.close();
  });

  it('answers 401 with a bearer challenge without a token or with a bad one', async () => {
    const missing = await post(INITIALIZE);
    expect(missing.status).to.equal(401);
    expect(missing.headers.get('www-authenticate')).to.match(/^Bearer realm=/);
    expect(missing.headers.get('content-type')).to.match(/application\/problem\+json/);
    expect(((await missing.json()) as { code: string }).code).to.equal('unauthenticated');

    const bad = await post(INITIALIZE, { authorization: 'Bearer not-a-token' });
    expect(bad.status).to.equal(401);
    expect(((await bad.json()) as { code: string }).code).to.equal('invalid_token');

    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
    const client = new Client({ name: 'anonymous', version: '1' });
    let failure: unknown;
    try {
      await client.connect(transport);
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/401|nauthorized/);
  });

  it('serves the tools to a user with an access token, acting on their account', async () => {
    const { client, transport } = await connect(users.alice.token);
    expect(transport.sessionId).to.be.a('string');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).to.deep.equal([...MCP_TOOL_NAMES]);
    const bought = await call(client, 'buy_stock_market', { symbol: 'AAPL', quantity: 2 });
    expect(bought.isError, bought.text).to.equal(false);
    expect(bought.data.account_id).to.equal(users.alice.accountId);
    expect(bought.text).to.match(/^FILLED: bought 2 AAPL/);
    const positions = await call(client, 'positions', {});
    expect(positions.data.positions).to.have.length(1);
  });

  it("does not find another tenant's order or account", async () => {
    const { client: aliceClient } = await connect(users.alice.token);
    const resting = await call(aliceClient, 'buy_stock_limit', {
      symbol: 'AAPL',
      quantity: 1,
      limit_price: 90,
    });
    const orderId = (resting.data.order as { id: string }).id;

    const { client: bobClient } = await connect(users.bob.token);
    for (const [tool, args] of [
      ['cancel_stock_order_by_id', { order_id: orderId }],
      ['explain_fill', { order_id: orderId }],
    ] as const) {
      const result = await call(bobClient, tool, args);
      expect(result.isError, tool).to.equal(true);
      expect(result.text, tool).to.match(/order_not_found/);
    }
    const peek = await call(bobClient, 'positions', { account_id: users.alice.accountId });
    expect(peek.isError).to.equal(true);
    expect(peek.text).to.match(/^Error \(account_not_found\)/);

    const still = await call(aliceClient, 'open_stock_orders', {});
    expect((still.data.orders as { id: string }[]).map((o) => o.id)).to.include(orderId);
  });

  it('accepts an API key as bearer token, within its scopes', async () => {
    const context = { source: 'test' as const, correlationId: 'test' };
    const tradeKey = await security.users.createApiKey(
      users.alice.principal,
      { name: 'agent', scopes: ['trade'] },
      context,
    );
    const { client } = await connect(tradeKey.key);
    const info = await call(client, 'account_info', {});
    expect(info.isError, info.text).to.equal(false);
    expect((info.data.account as { id: string }).id).to.equal(users.alice.accountId);
    const health = await call(client, 'health_check', {});
    expect(health.data.connected_as).to.include({ via: 'api_key' });

    const readKey = await security.users.createApiKey(
      users.alice.principal,
      { name: 'reader', scopes: ['read'] },
      context,
    );
    const { client: reader } = await connect(readKey.key);
    const refused = await call(reader, 'buy_stock_market', { symbol: 'AAPL', quantity: 1 });
    expect(refused.isError).to.equal(true);
    expect(refused.text).to.match(/^Error \(forbidden\): The API key lacks the trade scope/);
  });

  it("refuses another user's session id, and ends a session on DELETE", async () => {
    const { client, transport } = await connect(users.alice.token);
    const sessionId = transport.sessionId ?? '';
    const hijack = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      {
        authorization: `Bearer ${users.bob.token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
    );
    expect(hijack.status).to.equal(404);

    const noSession = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      { authorization: `Bearer ${users.alice.token}` },
    );
    expect(noSession.status).to.equal(400);

    const before = handler.sessionCount();
    await transport.terminateSession();
    expect(handler.sessionCount()).to.equal(before - 1);
    const gone = await post(
      { jsonrpc: '2.0', id: 10, method: 'tools/list' },
      {
        authorization: `Bearer ${users.alice.token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
    );
    expect(gone.status).to.equal(404);
    await client.close();
  });

  it('lets a client resume a stream with Last-Event-ID', async () => {
    const auth = { authorization: `Bearer ${users.alice.token}` };
    const init = await post(
      { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-11-25' } },
      auth,
    );
    const sessionId = init.headers.get('mcp-session-id') ?? '';
    await init.text();
    const session = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
    const answered = await post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'market_hours', arguments: {} },
      },
      session,
    );
    const events = (await answered.text()).split('\n\n').filter((e) => e.includes('id: '));
    const [priming, response] = events;
    expect(response).to.match(/"id":2/);
    const primingId = /id: (\S+)/.exec(priming ?? '')?.[1] ?? '';

    // The client lost the stream after the priming event: it asks for what followed.
    const controller = new AbortController();
    const resumed = await fetch(`${url}/mcp`, {
      method: 'GET',
      headers: { ...session, accept: 'text/event-stream', 'last-event-id': primingId },
      signal: controller.signal,
    });
    expect(resumed.status).to.equal(200);
    const reader = resumed.body?.getReader();
    let replayed = '';
    while (reader !== undefined && !replayed.includes('"id":2')) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (chunk.done) break;
      replayed += new TextDecoder().decode(chunk.value);
    }
    controller.abort();
    expect(replayed).to.match(/"id":2/);
    expect(replayed).to.match(/The market is OPEN/);
  });

  it('refuses browsers of origins that are not allowed', async () => {
    const foreign = await post(INITIALIZE, {
      authorization: `Bearer ${users.alice.token}`,
      origin: 'https://evil.example',
    });
    expect(foreign.status).to.equal(403);
    const allowed = await post(INITIALIZE, {
      authorization: `Bearer ${users.alice.token}`,
      origin: 'https://dashboard.example.com',
    });
    expect(allowed.status).to.equal(200);
  });
});

describe('MemoryResumptionStore', () => {
  const message = (id: number) => ({ jsonrpc: '2.0' as const, id, result: {} });

  it('replays the messages of a stream after the last one the client saw', async () => {
    const store = new MemoryResumptionStore();
    const first = await store.storeEvent('s1', message(1));
    await store.storeEvent('s2', message(2));
    await store.storeEvent('s1', message(3));
    await store.storeEvent('s1', message(4));
    const replayed: unknown[] = [];
    const stream = await store.replayEventsAfter(first, {
      send: (_id, m) => {
        replayed.push(m);
        return Promise.resolve();
      },
    });
    expect(stream).to.equal('s1');
    expect(replayed).to.deep.equal([message(3), message(4)]);
    expect(await store.getStreamIdForEventId(first)).to.equal('s1');
  });

  it('keeps a bounded window per stream and forgets unknown ids', async () => {
    const store = new MemoryResumptionStore(2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await store.storeEvent('s', message(i)));
    expect(store.size()).to.equal(2);
    const none = await store.replayEventsAfter(ids[0] ?? '', { send: () => Promise.resolve() });
    expect(none).to.equal('');
  });
});
