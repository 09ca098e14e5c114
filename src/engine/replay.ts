import { StaleOrderVersion, type AccountService, type CallContext } from '../commands/accounts.ts';
import { isDomainError } from '../domain/errors.ts';
import type { EngineStore, ParkedCommand } from './engine-store.ts';
import { isEngineAction, sendEngineCommand } from './send.ts';

/**
 * What a replay did with one parked command:
 * - `replayed`: the command applied (its events are at `position`);
 * - `stale`: the order had moved on since the command was evaluated (a later fill, a cancel,
 *   the engine or another replay got there first): nothing applied, settled;
 * - `refused`: the decider turned the command down (`detail` is its code): settled;
 * - `failed`: it failed again (the store unreachable…): still parked, replay it later;
 * - `unreplayable`: parked before versions and markets were kept: left parked;
 * - `not_parked`: no parked command with that id (unknown, or already settled).
 */
export type ReplayOutcome =
  'replayed' | 'stale' | 'refused' | 'failed' | 'unreplayable' | 'not_parked';

export interface ReplayResult {
  readonly id: number;
  readonly accountId: string | null;
  readonly orderId: string | null;
  readonly action: string | null;
  readonly outcome: ReplayOutcome;
  readonly detail: string;
  readonly position: number | null;
}

export interface ReplayDeps {
  readonly service: AccountService;
  readonly state: EngineStore;
  /** The engine whose parked commands these are (default `execution`). */
  readonly engine?: string;
  /** Who replays, stamped on the events (`actor`, `source`); the causation names the parked id. */
  readonly context: CallContext;
}

/**
 * Replays parked engine commands (all that are still parked, oldest first, or the given ids):
 * each is sent again, unchanged — same action, same market it was priced against, same
 * expected order version — through the path every engine command takes
 * (`AccountService` → command handler → append with the expected revision). The version guard
 * makes a replay apply at most once: if anything changed the order since it was evaluated
 * (including this very command landing after all, or a concurrent replay), it is refused as
 * `stale` before anything is decided. Deterministic fill ids (`{orderId}.f{filled}`) name what
 * a replayed fill is.
 */
export async function replayParked(
  deps: ReplayDeps,
  which: 'all' | readonly number[],
): Promise<ReplayResult[]> {
  const engine = deps.engine ?? 'execution';
  const parked = await deps.state.parked(engine);
  const byId = new Map(parked.map((p) => [p.id, p]));
  const results: ReplayResult[] = [];
  for (const id of which === 'all' ? parked.map((p) => p.id) : which) {
    const command = byId.get(id);
    if (command === undefined) {
      results.push({
        id,
        accountId: null,
        orderId: null,
        action: null,
        outcome: 'not_parked',
        detail: `no parked command ${id} for engine ${engine} (unknown or already settled)`,
        position: null,
      });
      continue;
    }
    results.push(await replayOne(deps, engine, command));
  }
  return results;
}

async function replayOne(
  deps: ReplayDeps,
  engine: string,
  command: ParkedCommand,
): Promise<ReplayResult> {
  const base = {
    id: command.id,
    accountId: command.accountId,
    orderId: command.orderId,
    action: command.action,
  };
  const { expected, market, action } = command;
  if (expected === null || market === null || !isEngineAction(action)) {
    return {
      ...base,
      outcome: 'unreplayable',
      detail: 'parked without its order version and market: re-evaluate the order instead',
      position: null,
    };
  }
  let outcome: 'replayed' | 'stale' | 'refused';
  let detail: string;
  let position: number | null = null;
  try {
    const result = await sendEngineCommand(
      deps.service,
      action,
      command.accountId,
      command.orderId,
      market,
      { ...deps.context, causationId: `engine-parked:${engine}:${command.id}` },
      expected,
    );
    outcome = 'replayed';
    position = result.position ?? null;
    detail =
      result.position === undefined
        ? 'applied; nothing to append'
        : `applied at position ${result.position}`;
  } catch (error) {
    if (error instanceof StaleOrderVersion) {
      outcome = 'stale';
      detail = `${error.code}: the order changed since the command was evaluated`;
    } else if (isDomainError(error)) {
      outcome = 'refused';
      detail = `${error.code}: ${error.message}`;
    } else {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ...base, outcome: 'failed', detail: reason, position: null };
    }
  }
  // A concurrent replay may have settled it first; the version guard let only one apply.
  await deps.state.resolveParked(engine, command.id, {
    status: outcome,
    detail,
    at: deps.service.now(),
  });
  return { ...base, outcome, detail, position };
}
