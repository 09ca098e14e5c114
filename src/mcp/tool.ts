/**
 * How every tool is registered: its zod input schema is advertised as JSON Schema but
 * validated here (leniently, with errors that name the argument and the fix), its output
 * schema gains the `market` block, and whatever it throws becomes an `isError` result the
 * model can read — never a protocol error, never a crash.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { advertisedShape, ARGUMENT_HINTS, parseArguments } from './args.ts';
import { failureText, sentence, toFailure, ToolFailure } from './errors.ts';
import { marketOut, marketSentence, marketSnapshot } from './market-info.ts';
import type { ToolSession } from './session.ts';

/** The groups of DESIGN.md section 5 this server implements. */
export type ToolGroup =
  | 'orders'
  | 'order management'
  | 'account'
  | 'market'
  | 'options'
  | 'risk'
  | 'backtests'
  | 'system';

/** A tool's answer: structured data, the summary paragraph, and whether it is an error. */
export interface ToolAnswer<T> {
  readonly data: T;
  readonly summary: string;
  /** A business refusal that still has structured content (e.g. a rejected order). */
  readonly isError?: boolean;
}

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly group: ToolGroup;
  /** Written for the model: what, when, what it returns, an example. */
  readonly description: string;
  readonly input: I;
  /** The answer's fields; `market` is added to every answer. */
  readonly output: O;
  readonly annotations: Omit<ToolAnnotations, 'title'>;
  /** What each argument is, for the fix of an input error (default: the stock tools' hints). */
  readonly argumentHints?: Readonly<Record<string, string>>;
  run(args: z.output<I>, session: ToolSession): Promise<ToolAnswer<z.output<z.ZodObject<O>>>>;
}

/** What `list_tools` reports about a registered tool. */
export interface CatalogEntry {
  readonly name: string;
  readonly title: string;
  readonly group: ToolGroup;
  readonly description: string;
  readonly annotations: Omit<ToolAnnotations, 'title'>;
}

/** The tools registered on one server, in registration order. */
export class ToolCatalog {
  readonly entries: CatalogEntry[] = [];
}

/** Registers a tool on `server`, recording it in `catalog`. */
export function registerTool<I extends z.ZodObject, O extends z.ZodRawShape>(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
  spec: ToolSpec<I, O>,
): void {
  const { shape, required } = advertisedShape(spec.input);
  const annotations: ToolAnnotations = {
    title: spec.title,
    openWorldHint: false,
    ...spec.annotations,
  };
  catalog.entries.push({
    name: spec.name,
    title: spec.title,
    group: spec.group,
    description: spec.description,
    annotations: spec.annotations,
  });
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: z.looseObject(shape).meta({ required, additionalProperties: false }),
      outputSchema: z.object({ ...spec.output, market: marketOut }),
      annotations,
    },
    async (raw: Record<string, unknown>): Promise<CallToolResult> => {
      const finished = session.calls?.start();
      try {
        await session.ready();
        const args = parseArguments(spec.input, raw, spec.argumentHints ?? ARGUMENT_HINTS);
        const answer = await spec.run(args, session);
        const market = session.market();
        const summary = answer.summary.trim();
        // A list reads best on its own lines; a sentence gets the market sentence beside it.
        const text = summary.includes('\n')
          ? `${summary}\n${marketSentence(market)}`
          : `${sentence(summary)} ${marketSentence(market)}`;
        return {
          content: [{ type: 'text', text }],
          structuredContent: { ...(answer.data as Record<string, unknown>), market },
          ...(answer.isError === true ? { isError: true } : {}),
        };
      } catch (error) {
        let failure = toFailure(error);
        if (failure === undefined) {
          session.depsIfReady?.logger?.error({ err: error, tool: spec.name }, 'MCP tool failed');
          failure = new ToolFailure(
            'internal_error',
            'The service failed while handling this call',
            undefined,
            spec.annotations.readOnlyHint === true
              ? 'Retry in a moment.'
              : 'Check stock_orders before retrying: the change may or may not have been applied. A retry with the same client_order_id never places a second order.',
          );
        }
        const deps = session.depsIfReady;
        const note =
          deps === undefined
            ? ''
            : marketSentence(marketSnapshot(deps.market, deps.clock ?? 'simulated'));
        return { content: [{ type: 'text', text: failureText(failure, note) }], isError: true };
      } finally {
        finished?.();
      }
    },
  );
}
