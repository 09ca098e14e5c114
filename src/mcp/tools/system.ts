/**
 * System tools: what this server offers (`list_tools`) and whether the venue is healthy
 * (`health_check`: the same dependency checks as `/api/v1/health`, read-model lag, identity).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { checkHealth } from '../../api/health.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const started = Date.now();

/** The first sentence of a description. */
function firstSentence(text: string): string {
  const end = text.search(/\.\s/);
  return end === -1 ? text : text.slice(0, end + 1);
}

/** Registers the system tools. */
export function registerSystemTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'list_tools',
    title: 'List the tools of this server',
    group: 'system',
    description:
      'List every tool of this paper-trading server by group (orders, order management, account, market, options, system) with one line on what it does ' +
      'and whether it only reads or changes your account. Use it to plan which tool to call. Example: {}.',
    input: z.strictObject({}),
    output: {
      count: z.number().int(),
      tools: z.array(
        z.object({
          name: z.string(),
          title: z.string(),
          group: z.string(),
          summary: z.string(),
          read_only: z.boolean(),
          destructive: z.boolean(),
          idempotent: z.boolean(),
        }),
      ),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    run: () => {
      const tools = catalog.entries.map((t) => ({
        name: t.name,
        title: t.title,
        group: t.group,
        summary: firstSentence(t.description),
        read_only: t.annotations.readOnlyHint === true,
        destructive: t.annotations.destructiveHint === true,
        idempotent: t.annotations.idempotentHint === true,
      }));
      const groups = [...new Set(tools.map((t) => t.group))].map(
        (g) =>
          `${g}: ${tools
            .filter((t) => t.group === g)
            .map((t) => t.name)
            .join(', ')}`,
      );
      return Promise.resolve({
        data: { count: tools.length, tools },
        summary: `${tools.length} tools.\n${groups.join('\n')}\n`,
      });
    },
  });

  registerTool(server, session, catalog, {
    name: 'health_check',
    title: 'Service health',
    group: 'system',
    description:
      'Check that the paper-trading venue is working: the event store, the market feed and the execution engine answer, how far the read models ' +
      'lag behind the ledger, the server version, and who you are connected as (user, default account). Use it when something looks wrong ' +
      'or at the start of a session. Example: {}.',
    input: z.strictObject({}),
    output: {
      status: z.enum(['ok', 'degraded']),
      version: z.string(),
      uptime_s: z.number().int(),
      checks: z.record(
        z.string(),
        z.object({
          status: z.enum(['ok', 'error']),
          latency_ms: z.number(),
          error: z.string().optional(),
        }),
      ),
      read_models: z.array(
        z.object({
          name: z.string(),
          running: z.boolean(),
          events_behind: z.number().int(),
          lag_ms: z.number(),
        }),
      ),
      connected_as: z.object({
        user_id: z.string(),
        roles: z.array(z.string()),
        via: z.string(),
        description: z.string(),
        default_account_id: z.string().nullable(),
      }),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    run: async () => {
      const { deps, identity } = session;
      const health = await checkHealth({
        version: deps.version,
        checks: deps.healthChecks ?? [],
        timeoutMs: 2000,
        now: Date.now,
        startedAt: started,
      });
      const readModels =
        deps.projections.status === undefined ? [] : await deps.projections.status();
      const lagging = readModels.filter((r) => r.eventsBehind > 0);
      const failing = Object.entries(health.checks).filter(([, c]) => c.status === 'error');
      return {
        data: {
          status: health.status,
          version: health.version,
          uptime_s: health.uptime_s,
          checks: { ...health.checks },
          read_models: readModels.map((r) => ({
            name: r.name,
            running: r.running,
            events_behind: r.eventsBehind,
            lag_ms: r.lagMs,
          })),
          connected_as: {
            user_id: identity.principal.userId,
            roles: [...identity.principal.roles],
            via: identity.principal.via,
            description: identity.description,
            default_account_id: identity.defaultAccountId ?? null,
          },
        },
        summary:
          `Service ${health.status === 'ok' ? 'OK' : 'DEGRADED'} (version ${health.version})` +
          (failing.length === 0
            ? `; all ${Object.keys(health.checks).length} dependency checks pass`
            : `; failing: ${failing.map(([name, c]) => `${name} (${c.error ?? 'error'})`).join(', ')}`) +
          (lagging.length === 0
            ? '; read models up to date'
            : `; read models behind: ${lagging.map((r) => `${r.name} ${r.eventsBehind} events`).join(', ')}`) +
          `. Connected as ${identity.description}${identity.defaultAccountId === undefined ? '' : `, default account ${identity.defaultAccountId}`}.`,
      };
    },
  });
}
