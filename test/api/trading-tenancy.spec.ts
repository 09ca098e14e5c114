/**
 * The tenancy matrix of the trading routes: every route × every kind of caller → the status
 * the policy promises. Owners trade their own accounts (API keys within their scopes), viewers
 * read their own, auditors and admins read every account and trade none, and anybody else is
 * told the account does not exist.
 */
import { expect } from 'chai';
import { API_PREFIX, documentedOperations } from '../../src/api/openapi.ts';
import { SYSTEM_PRINCIPAL } from '../../src/commands/policy.ts';
import { freshPostgresDatabase, startApiServer, type ApiServer } from '../support/api.ts';
import {
  apiKey,
  call,
  eventPosition,
  newUser,
  openAccount,
  type Reply,
} from '../support/api-client.ts';

const WHO = [
  'owner',
  'read_key',
  'trade_key',
  'other_trader',
  'viewer_owner',
  'viewer',
  'auditor',
  'admin',
  'anonymous',
] as const;
type Who = (typeof WHO)[number];

/** `ok` = the route's success status. */
type Expected = Readonly<Record<Who, number | 'ok'>>;

const READ: Expected = {
  owner: 'ok',
  read_key: 'ok',
  trade_key: 'ok',
  other_trader: 404,
  viewer_owner: 'ok',
  viewer: 404,
  auditor: 'ok',
  admin: 'ok',
  anonymous: 401,
};

const WRITE: Expected = {
  owner: 'ok',
  read_key: 403,
  trade_key: 'ok',
  other_trader: 404,
  viewer_owner: 403,
  viewer: 404,
  auditor: 403,
  admin: 403,
  anonymous: 401,
};

const CODES: Readonly<Record<number, string>> = {
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'account_not_found',
};

interface Target {
  readonly account: string;
  /** A resting order of the account (never touched by a successful case). */
  readonly order: string;
  /** Places a fresh resting order as the account's owner (for cases that change one). */
  fresh(): Promise<string>;
}

interface Case {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: (account: string, order: string, symbol: string) => string;
  readonly body?: unknown;
  readonly success: number;
  /** The `code` a successful caller's answer carries, when success is an error status. */
  readonly successCode?: string;
  readonly expected: Expected;
  /** The case changes the order it names: successful callers get a fresh one. */
  readonly consumesOrder?: boolean;
}

const marketBuy = { symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' };
const resting = {
  symbol: 'MSFT',
  qty: '1',
  side: 'buy',
  type: 'limit',
  limit_price: '1',
  time_in_force: 'gtc',
};

/** The client order id of the resting order every account keeps through the matrix. */
const RESTING_CLIENT_ID = 'matrix-resting';

const CASES: readonly Case[] = [
  {
    name: 'GET account',
    method: 'GET',
    path: (a) => `/accounts/${a}`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET orders',
    method: 'GET',
    path: (a) => `/accounts/${a}/orders?status=all`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET order',
    method: 'GET',
    path: (a, o) => `/accounts/${a}/orders/${o}`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET positions',
    method: 'GET',
    path: (a) => `/accounts/${a}/positions`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET position',
    method: 'GET',
    path: (a, _order, symbol) => `/accounts/${a}/positions/${symbol}`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET fills',
    method: 'GET',
    path: (a) => `/accounts/${a}/fills`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET portfolio history',
    method: 'GET',
    path: (a) => `/accounts/${a}/portfolio/history`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET events',
    method: 'GET',
    path: (a) => `/accounts/${a}/events`,
    success: 200,
    expected: READ,
  },
  {
    name: 'POST order preview',
    method: 'POST',
    path: (a) => `/accounts/${a}/orders/preview`,
    body: marketBuy,
    success: 200,
    expected: READ,
  },
  {
    name: 'POST order',
    method: 'POST',
    path: (a) => `/accounts/${a}/orders`,
    body: resting,
    success: 201,
    expected: WRITE,
  },
  {
    name: 'PATCH order',
    method: 'PATCH',
    path: (a, o) => `/accounts/${a}/orders/${o}`,
    body: { limit_price: '1.01' },
    success: 200,
    expected: WRITE,
    consumesOrder: true,
  },
  {
    name: 'DELETE order',
    method: 'DELETE',
    path: (a, o) => `/accounts/${a}/orders/${o}`,
    success: 200,
    expected: WRITE,
    consumesOrder: true,
  },
  {
    name: 'POST deposit',
    method: 'POST',
    path: (a) => `/accounts/${a}/deposits`,
    body: { amount: '1' },
    success: 201,
    expected: WRITE,
  },
  {
    name: 'POST withdrawal',
    method: 'POST',
    path: (a) => `/accounts/${a}/withdrawals`,
    body: { amount: '1' },
    success: 201,
    expected: WRITE,
  },
  {
    name: 'GET order by client order id',
    method: 'GET',
    path: (a) => `/accounts/${a}/orders/by_client_order_id?client_order_id=${RESTING_CLIENT_ID}`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET risk',
    method: 'GET',
    path: (a) => `/accounts/${a}/risk`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET risk limits',
    method: 'GET',
    path: (a) => `/accounts/${a}/risk-limits`,
    success: 200,
    expected: READ,
  },
  {
    name: 'PUT risk limits',
    method: 'PUT',
    path: (a) => `/accounts/${a}/risk-limits`,
    body: { max_order_notional: '1000000000' },
    success: 200,
    expected: WRITE,
  },
  {
    name: 'GET option positions',
    method: 'GET',
    path: (a) => `/accounts/${a}/options/positions`,
    success: 200,
    expected: READ,
  },
  {
    name: 'GET option positions by underlying',
    method: 'GET',
    path: (a) => `/accounts/${a}/options/positions/by_underlying`,
    success: 200,
    expected: READ,
  },
  {
    // The accounts hold no option: a caller the policy lets through reaches the desk, which
    // answers that there is no such position; everybody else stops at the policy.
    name: 'POST option exercise',
    method: 'POST',
    path: (a) => `/accounts/${a}/options/exercise`,
    body: { symbol: 'AAPL  300118C00100000', qty: '1' },
    success: 404,
    successCode: 'position_not_found',
    expected: WRITE,
  },
  // Last: it cancels the account's resting orders.
  {
    name: 'DELETE orders',
    method: 'DELETE',
    path: (a) => `/accounts/${a}/orders`,
    success: 200,
    expected: WRITE,
  },
];

function tenancySuite(
  label: string,
  database: (ctx: Mocha.Context) => Promise<{ url?: string; drop?(): Promise<void> }>,
) {
  describe(`trading API tenancy matrix (${label})`, function () {
    this.timeout(120_000);
    let server: ApiServer;
    let drop: (() => Promise<void>) | undefined;
    const tokens = new Map<Who, string | undefined>();
    const targets = new Map<Who, Target>();
    let minPosition = 0;
    let accountA = '';

    before(async function () {
      const db = await database(this);
      drop = db.drop?.bind(db);
      server = await startApiServer(db.url === undefined ? {} : { databaseUrl: db.url });
      const owner = await newUser(server, ['trader'], 'owner');
      const viewerOwner = await newUser(server, ['trader'], 'viewer-owner');

      const setUp = async (user: typeof owner): Promise<Target> => {
        const account = await openAccount(server, user);
        const buy = await call(server, 'POST', `/accounts/${account.id}/orders`, {
          token: user.token,
          body: marketBuy,
        });
        expect(buy.status, JSON.stringify(buy.body)).to.equal(201);
        const placeResting = async (clientOrderId?: string): Promise<string> => {
          const order = await call(server, 'POST', `/accounts/${account.id}/orders`, {
            token: user.token,
            body:
              clientOrderId === undefined
                ? resting
                : { ...resting, client_order_id: clientOrderId },
          });
          expect(order.status, JSON.stringify(order.body)).to.equal(201);
          minPosition = Math.max(minPosition, eventPosition(order));
          return String(order.body.id);
        };
        return {
          account: account.id,
          order: await placeResting(RESTING_CLIENT_ID),
          fresh: () => placeResting(),
        };
      };
      const a = await setUp(owner);
      accountA = a.account;
      const b = await setUp(viewerOwner);
      const users = server.composition.parts.security.users;
      const ctx = { source: 'test' as const, correlationId: 'matrix' };
      await users.grantRole(SYSTEM_PRINCIPAL, viewerOwner.userId, 'viewer', ctx);
      await users.revokeRole(SYSTEM_PRINCIPAL, viewerOwner.userId, 'trader', ctx);

      tokens.set('owner', owner.token);
      tokens.set('read_key', await apiKey(server, owner, ['read']));
      tokens.set('trade_key', await apiKey(server, owner, ['trade']));
      tokens.set('other_trader', (await newUser(server, ['trader'], 'other')).token);
      tokens.set('viewer_owner', viewerOwner.token);
      tokens.set('viewer', (await newUser(server, ['viewer'], 'viewer')).token);
      tokens.set('auditor', (await newUser(server, ['auditor'], 'auditor')).token);
      tokens.set('admin', (await newUser(server, ['admin'], 'admin')).token);
      tokens.set('anonymous', undefined);
      for (const who of WHO) targets.set(who, who === 'viewer_owner' ? b : a);
    });

    after(async () => {
      await server.close();
      await drop?.();
    });

    it('covers every account route the API documents', () => {
      const template = (path: string) => path.split('?')[0]?.replace(/\{[^}]+\}/g, '{}');
      const covered = new Set(
        CASES.map((c) => `${c.method} ${template(c.path('{}', '{}', '{}')) ?? ''}`),
      );
      const documented = documentedOperations()
        .filter((o) => o.path.startsWith(`${API_PREFIX}/accounts/{`))
        .map((o) => `${o.method.toUpperCase()} ${template(o.path.slice(API_PREFIX.length)) ?? ''}`);
      expect(documented).to.have.length.above(20);
      expect(documented.filter((op) => !covered.has(op))).to.deep.equal([]);
    });

    for (const c of CASES) {
      it(`${c.name}: each caller gets what the policy promises`, async () => {
        const seen: string[] = [];
        const wrong: string[] = [];
        for (const who of WHO) {
          const target = targets.get(who);
          if (!target) throw new Error('not set up');
          const want = c.expected[who] === 'ok' ? c.success : c.expected[who];
          const order = c.consumesOrder && want === c.success ? await target.fresh() : target.order;
          const token = tokens.get(who);
          const reply: Reply = await call(server, c.method, c.path(target.account, order, 'AAPL'), {
            ...(token === undefined ? {} : { token }),
            ...(c.body === undefined ? {} : { body: c.body }),
            headers: { 'X-Min-Position': String(minPosition) },
          });
          seen.push(`${who}=${reply.status}`);
          const code = c.expected[who] === 'ok' ? c.successCode : CODES[want];
          if (reply.status !== want || (code !== undefined && reply.body.code !== code)) {
            wrong.push(
              `${who}: ${reply.status} ${JSON.stringify(reply.body)} (want ${want} ${code ?? ''})`,
            );
          }
        }
        expect(wrong, seen.join(' ')).to.deep.equal([]);
      });
    }

    it('GET /accounts lists what each caller may see; POST /accounts needs the trader role', async () => {
      const listed = async (who: Who): Promise<Reply> => {
        const token = tokens.get(who);
        return call(server, 'GET', '/accounts?limit=500', {
          ...(token === undefined ? {} : { token }),
          headers: { 'X-Min-Position': String(minPosition) },
        });
      };
      const ids = async (who: Who): Promise<unknown[]> =>
        ((await listed(who)).body.items as { id: unknown }[]).map((a) => a.id);
      expect(await ids('owner')).to.deep.equal([accountA]);
      expect(await ids('read_key')).to.deep.equal([accountA]);
      expect(await ids('other_trader')).to.deep.equal([]);
      expect(await ids('viewer')).to.deep.equal([]);
      expect(await ids('viewer_owner'))
        .to.have.length(1)
        .and.not.include(accountA);
      expect(await ids('auditor'))
        .to.include(accountA)
        .and.have.length(2);
      expect(await ids('admin'))
        .to.include(accountA)
        .and.have.length(2);
      expect((await listed('anonymous')).status).to.equal(401);

      const open: Record<Who, number> = {
        owner: 201,
        read_key: 403,
        trade_key: 201,
        other_trader: 201,
        viewer_owner: 403,
        viewer: 403,
        auditor: 403,
        admin: 403,
        anonymous: 401,
      };
      for (const who of WHO) {
        const token = tokens.get(who);
        const reply = await call(server, 'POST', '/accounts', {
          ...(token === undefined ? {} : { token }),
          body: { name: who, initial_cash: '10' },
        });
        expect(reply.status, `${who}: ${JSON.stringify(reply.body)}`).to.equal(open[who]);
      }
    });
  });
}

tenancySuite('PGlite', () => Promise.resolve({}));
tenancySuite('PostgreSQL', (ctx) => freshPostgresDatabase(ctx));
