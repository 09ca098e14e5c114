import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  verifyHashChains,
  type ChainProblem,
  type ChainReport,
  type LedgerAnchor,
} from '../../eventstore/hash-chain.ts';
import { openStorage } from '../../eventstore/index.ts';
import type { CliDeps } from '../deps.ts';

const HEX64 = /^[0-9a-f]{64}$/;

const anchorFile = z.object({
  events: z.number().int().nonnegative(),
  digest: z.string().regex(HEX64),
  position: z.number().int().nonnegative().optional(),
  streams: z.number().int().nonnegative().optional(),
  heads: z
    .record(
      z.string(),
      z.object({ revision: z.number().int().nonnegative(), hash: z.string().regex(HEX64) }),
    )
    .optional(),
});

/** `N:digest` as `ledger head` prints it, or the path of a file holding `ledger head --json`. */
async function readAnchor(value: string): Promise<LedgerAnchor> {
  const compact = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (compact?.[1] !== undefined && compact[2] !== undefined) {
    return { events: Number(compact[1]), digest: compact[2] };
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch {
    throw new Error(
      `--anchor: "${value}" is neither an anchor (<events>:<sha256 hex>) nor a readable file`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`--anchor: ${value} is not JSON (expected the output of ledger head --json)`);
  }
  const parsed = anchorFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `--anchor: ${value}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data;
}

function formatProblem(p: ChainProblem): string {
  const revision = p.revision === undefined ? '' : ` revision ${p.revision}`;
  const position = p.position === undefined ? '' : ` (position ${p.position})`;
  return `${p.kind}: ${p.streamId}${revision}${position}: ${p.detail}\n`;
}

/** The one-line anchor `ledger verify --anchor` accepts. */
function compactAnchor(report: ChainReport): string {
  return `${report.head.events}:${report.head.digest}`;
}

/**
 * `paper-trading ledger verify [--json] [--anchor <anchor|file>]`: recomputes every stream's
 * hash chain from `$all`, compares stream heads, and exits non-zero when an event was altered,
 * is missing, or was cut off the end of its stream (or the ledger no longer matches an anchor).
 * `paper-trading ledger head [--json] [--streams]`: verifies, then prints the anchor to keep
 * outside the database (see docs/security.md).
 */
export function register(program: Command, deps: CliDeps): void {
  const ledger = program.command('ledger').description('prove the event log was not altered');
  ledger
    .command('verify')
    .description(
      'recompute every stream hash chain and compare stream heads; fails on an altered, missing or truncated event',
    )
    .option('--json', 'print JSON')
    .option(
      '--anchor <anchor>',
      'also require the ledger to begin with this anchor: <events>:<digest> or a file from `ledger head --json`',
    )
    .action(async (options: { json?: boolean; anchor?: string }) => {
      const anchor = options.anchor === undefined ? undefined : await readAnchor(options.anchor);
      const storage = await openStorage(deps.config());
      try {
        const report = await verifyHashChains(storage.eventStore, anchor ? { anchor } : {});
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          deps.stdout.write(
            `${report.events} events in ${report.streams} streams, ${report.unchained} written before the chain, ${report.problems.length} problems\n`,
          );
          if (report.heads === 'not_tracked') {
            deps.stdout.write(
              `stream heads: not kept by the ${storage.eventStore.kind} adapter; a stream's deleted last events are only caught against an anchor\n`,
            );
          }
          if (anchor) deps.stdout.write(`anchor ${anchor.events}:${anchor.digest}: checked\n`);
          for (const p of report.problems) deps.stdout.write(formatProblem(p));
          if (report.problems.length === 0) deps.stdout.write(`head ${compactAnchor(report)}\n`);
        }
        if (report.problems.length > 0) {
          throw new Error(`ledger verification failed: ${report.problems.length} problems`);
        }
      } finally {
        await storage.close();
      }
    });

  ledger
    .command('head')
    .description(
      'verify, then print the anchor (<events>:<digest>) to store outside the database for `ledger verify --anchor`',
    )
    .option('--json', 'print JSON (a file `ledger verify --anchor` reads)')
    .option('--streams', 'with --json: include every stream head, so a lost stream can be named')
    .action(async (options: { json?: boolean; streams?: boolean }) => {
      const storage = await openStorage(deps.config());
      try {
        const report = await verifyHashChains(storage.eventStore, {
          includeHeads: options.streams === true,
        });
        if (report.problems.length > 0) {
          for (const p of report.problems) deps.stderr.write(formatProblem(p));
          throw new Error(
            `the ledger has ${report.problems.length} problems; not anchoring it (see ledger verify)`,
          );
        }
        if (options.json) {
          deps.stdout.write(`${JSON.stringify(report.head, null, 2)}\n`);
        } else {
          deps.stdout.write(`${compactAnchor(report)}\n`);
        }
      } finally {
        await storage.close();
      }
    });
}
