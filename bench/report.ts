import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Metrics = Record<string, number>;

export interface BenchResult {
  readonly name: string;
  readonly date: string;
  readonly machine: {
    cpus: number;
    cpu: string;
    cpu_identity: string;
    memory_gib: number;
    node: string;
    platform: string;
  };
  readonly quick: boolean;
  readonly metrics: Metrics;
  readonly notes: Record<string, string>;
}

/** Percentile of an ascending-sorted list (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The processor's family, model and clock from `/proc/cpuinfo` (Linux; `unknown` elsewhere):
 * hosts of one machine kind all say "AMD EPYC", yet run the same code at speeds over 2× apart.
 */
function cpuIdentity(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
    const mhz = field('cpu MHz');
    return [
      `family ${field('cpu family') ?? '?'}`,
      `model ${field('model') ?? '?'}`,
      mhz === undefined ? undefined : `${String(Math.round(Number(mhz)))} MHz`,
    ]
      .filter((part) => part !== undefined)
      .join(', ');
  } catch {
    return 'unknown';
  }
}

export function machine(): BenchResult['machine'] {
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpu_identity: cpuIdentity(),
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Writes `bench/results/{name}.json` and `.md` (a quick run says so inside), and prints the table. */
export function report(
  name: string,
  quick: boolean,
  metrics: Metrics,
  notes: Record<string, string> = {},
): BenchResult {
  const result: BenchResult = {
    name,
    date: new Date().toISOString(),
    machine: machine(),
    quick,
    metrics,
    notes,
  };
  const lines = [
    `### ${name} benchmark${quick ? ' (quick)' : ''} — ${result.date}`,
    '',
    `${result.machine.cpus} × ${result.machine.cpu} (${result.machine.cpu_identity}), ${result.machine.memory_gib} GiB, Node ${result.machine.node}`,
    '',
    '| metric | value |',
    '| --- | ---: |',
    ...Object.entries(metrics).map(([k, v]) => `| ${k} | ${v} |`),
    ...(Object.keys(notes).length > 0
      ? ['', ...Object.entries(notes).map(([k, v]) => `- **${k}**: ${v}`)]
      : []),
    '',
  ];
  const markdown = lines.join('\n');
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(dir, `${name}.md`), markdown);
  console.log(markdown);
  return result;
}
