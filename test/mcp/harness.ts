import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { pino } from 'pino';
import { AccountEvents } from '../../src/commands/account-events.ts';
import { AccountService } from '../../src/commands/accounts.ts';
import { AuditTrail } from '../../src/commands/audit-trail.ts';
import type { Principal } from '../../src/commands/policy.ts';
import { TradingCommands } from '../../src/commands/trading.ts';
import { ExecutionEngine, MemoryEngineStore } from '../../src/engine/index.ts';
import { openPgliteEventStore } from '../../src/eventstore/pglite.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import type { SimulatedClock } from '../../src/market/index.ts';
import { createMcpServer, type McpDeps } from '../../src/mcp/server.ts';
import { MarketAnalysis } from '../../src/commands/market-analysis.ts';
import { PortfolioRiskQueries } from '../../src/commands/portfolio-risk.ts';
import { simulatedReferenceData } from '../../src/market/simulated/reference/index.ts';
import { readModelProjections, type ReadModelDb } from '../../src/projections/index.ts';
import { ProjectionRunner } from '../../src/projections/runner.ts';
import { migrateReadModels } from '../../src/projections/schema.ts';
import { SqlTradingQueries } from '../../src/projections/trading-queries.ts';
import { scriptedMarket, type ScriptedMarket } from '../engine/support.ts';
import { OptionsMarket } from '../../src/market/options/index.ts';
import { OptionsDesk } from '../../src/commands/options-desk.ts';
import { OptionQueries } from '../../src/projections/option-queries.ts';
import { sharedPglite, uniqueSchema } from '../support/pglite.ts';

/** Monday 2025-03-03, 10:00 New York: inside the regular session. */
export const MONDAY_10 = new Date('2025-03-03T15:00:00.000Z');

/** The whole venue in process on an isolated PGlite schema: what `paper-trading mcp` runs. */
export interface Venue {
  readonly store: EventStore;
  readonly market: ScriptedMarket;
  readonly clock: SimulatedClock;
  readonly service: AccountService;
  readonly trading: TradingCommands;
  readonly runner: ProjectionRunner<ReadModelDb>;
  /** The read models in the venue's schema. */
  readonly readModels: Kysely<ReadModelDb>;
  readonly engine: ExecutionEngine;
  readonly deps: McpDeps;
  /** Opens an account for `principal` through the command layer; answers its id. */
  openAccount(principal: Principal, cash?: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startVenue(start: Date = MONDAY_10): Promise<Venue> {
  const database = await sharedPglite();
  const schema = uniqueSchema('mcp');
  const store = await openPgliteEventStore({ database, schema: `${schema}_es` });
  const root = new Kysely<ReadModelDb>({ dialect: new PostgresDialect({ pool: database.pool }) });
  await migrateReadModels(root as unknown as Kysely<unknown>, schema);
  const runner = new ProjectionRunner(store, root, readModelProjections(), { schema });
  await runner.start();
  const { market, clock } = scriptedMarket(start);
  // Options on the scripted feed, as compose wires them.
  const options = new OptionsMarket(market, { seed: 7 });
  const service = new AccountService({ store, market: options });
  const queries = new SqlTradingQueries(root.withSchema(schema), options);
  const trading = new TradingCommands({
    accounts: service,
    market: options,
    audit: new AuditTrail(store),
    queries,
  });
  const engine = new ExecutionEngine({
    service,
    events: store,
    state: new MemoryEngineStore(),
    retry: { attempts: 3, baseDelayMs: 1 },
    leasePollMs: 5,
  });
  await engine.start();
  const analysis = new MarketAnalysis(market, simulatedReferenceData(market.inner, market));
  const desk = new OptionsDesk({
    trading,
    queries: new OptionQueries(root.withSchema(schema)),
    market: options,
  });
  const deps: McpDeps = {
    trading,
    market: options,
    analysis,
    risk: new PortfolioRiskQueries({ trading, market: options, analysis, options: desk }),
    options: desk,
    projections: runner,
    accountEvents: new AccountEvents({ accounts: service, store }),
    eventStore: store,
    version: 'test',
    logger: pino({ level: 'silent' }),
    healthChecks: [{ name: 'eventstore', check: () => store.ping() }],
  };
  return {
    store,
    market,
    clock,
    service,
    trading,
    runner,
    readModels: root.withSchema(schema),
    engine,
    deps,
    async openAccount(principal, cash = '100000', name = 'Main') {
      const opened = await trading.openAccount(
        principal,
        { name, initialCash: cash },
        { source: 'test', correlationId: 'test' },
      );
      await runner.waitForPosition(opened.position ?? 0, 5000);
      return opened.accountId;
    },
    async close() {
      await engine.stop();
      await runner.stop();
      await store.close();
      market.close();
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(root);
      await sql`DROP SCHEMA ${sql.id(`${schema}_es`)} CASCADE`.execute(root);
    },
  };
}

export function trader(userId: string): Principal {
  return { userId, roles: ['trader'], via: 'access_token' };
}

/** An SDK client connected in memory to a server acting for `principal`. */
export async function connect(
  venue: Venue,
  principal: Principal,
  defaultAccountId?: string,
): Promise<Client> {
  const server = createMcpServer(venue.deps, {
    principal,
    description: `test user ${principal.userId}`,
    ...(defaultAccountId === undefined ? {} : { defaultAccountId }),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

/** A tool result, typed for assertions. */
export interface ToolResult {
  readonly isError: boolean;
  readonly text: string;
  readonly data: Record<string, unknown>;
}

/** Calls a tool and returns its text, structured content and error flag. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return {
    isError: result.isError === true,
    text,
    data: result.structuredContent ?? {},
  };
}
