/**
 * PGlite is an embedded, single-process database: two processes opening the same data
 * directory do not see each other's writes and can corrupt it. `paper-trading mcp` therefore
 * takes `DATA_DIR/paper-trading.lock` (its pid and command) before opening the database, and
 * refuses to start — with a message saying what to do instead — when another live process
 * holds it, or when PGlite's own `postmaster.pid` shows the database open by a process that
 * takes no lock (e.g. `paper-trading serve`). A lock left by a process that died is taken over.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
  existsSync,
} from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'paper-trading.lock';

/** The data directory is in use; the message explains the alternatives. */
export class DataDirBusy extends Error {
  override readonly name = 'DataDirBusy';
}

interface LockRecord {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecord(file: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, command: parsed.command ?? 'unknown', startedAt: parsed.startedAt ?? '' }
      : undefined;
  } catch {
    return undefined;
  }
}

function busy(dataDir: string, holder: string): DataDirBusy {
  return new DataDirBusy(
    `The data directory ${path.resolve(dataDir)} is in use by ${holder}. PGlite, the embedded database, ` +
      'serves one process at a time. Either stop that process, or let this MCP server use it another way: ' +
      'connect your MCP client to the running server over HTTP (http://localhost:8080/mcp with an API key as bearer token; see docs/mcp.md), ' +
      'or run both against PostgreSQL by setting DATABASE_URL, or give this process its own DATA_DIR.',
  );
}

/**
 * Takes the lock on `dataDir` for `command`; answers the function that releases it.
 * Throws `DataDirBusy` when another live process holds the directory.
 */
export function lockDataDir(dataDir: string, command: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readRecord(file);
      if (holder !== undefined && holder.pid !== process.pid && alive(holder.pid)) {
        throw busy(
          dataDir,
          `\`paper-trading ${holder.command}\` (pid ${holder.pid}, since ${holder.startedAt})`,
        );
      }
      // Left behind by a process that died: take it over.
      unlinkSync(file);
      continue;
    }
    const staleLock = attempt > 0;
    try {
      writeSync(
        fd,
        JSON.stringify({ pid: process.pid, command, startedAt: new Date().toISOString() }),
      );
    } finally {
      closeSync(fd);
    }
    // PGlite marks an open database with postmaster.pid and removes it on a clean close. With
    // no live lock holder it means a process that takes no lock has the database open — or
    // one crashed, which only the operator can tell apart.
    const postmaster = path.join(dataDir, 'pglite', 'postmaster.pid');
    if (!staleLock && existsSync(postmaster)) {
      unlinkSync(file);
      throw new DataDirBusy(
        `${busy(dataDir, 'another process (probably `paper-trading serve`)').message} ` +
          `If no paper-trading process is running, the last one stopped abruptly: delete ${postmaster} and start again.`,
      );
    }
    return () => {
      if (readRecord(file)?.pid === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    };
  }
  throw busy(dataDir, 'another process');
}
