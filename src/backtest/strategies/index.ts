/**
 * Built-in strategies and the loader for a user's strategy file (`.ts` or `.js` whose default
 * export is a `StrategyDefinition`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertDefinition, StrategyError, type StrategyDefinition } from '../strategy.ts';
import { bollingerBreakout } from './bollinger-breakout.ts';
import { buyAndHold } from './buy-and-hold.ts';
import { momentumRotation } from './momentum-rotation.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCrossover } from './sma-crossover.ts';

export const BUILT_IN_STRATEGIES: readonly StrategyDefinition[] = [
  buyAndHold,
  smaCrossover,
  rsiReversion,
  bollingerBreakout,
  momentumRotation,
];

/** Accepted spellings: `sma_crossover`, `sma-crossover`, `SMA Crossover`. */
function key(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** A built-in by name, or `undefined`. */
export function builtInStrategy(name: string): StrategyDefinition | undefined {
  return BUILT_IN_STRATEGIES.find((s) => s.name === key(name));
}

/** True when `name` names a file rather than a built-in. */
export function isStrategyFile(name: string): boolean {
  return /\.(m?[jt]s)$/.test(name) || name.includes('/') || name.includes(path.sep);
}

/** A built-in, or the default export of a strategy file (resolved from `cwd`). */
export async function loadStrategy(name: string, cwd = process.cwd()): Promise<StrategyDefinition> {
  if (!isStrategyFile(name)) {
    const found = builtInStrategy(name);
    if (found === undefined) {
      throw new StrategyError(
        `unknown strategy "${name}"; built-ins: ${BUILT_IN_STRATEGIES.map((s) => s.name).join(', ')}, or a path to a .ts/.js file`,
        'strategy',
      );
    }
    return found;
  }
  const file = path.resolve(cwd, name);
  if (!existsSync(file))
    throw new StrategyError(`strategy file ${file} does not exist`, 'strategy');
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new StrategyError(
      `strategy file ${file} failed to load: ${error instanceof Error ? error.message : String(error)}`,
      'strategy',
    );
  }
  return assertDefinition(loaded.default, file);
}
