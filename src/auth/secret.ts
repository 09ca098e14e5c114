import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** File in `DATA_DIR` that keeps the generated signing secret outside production. */
export const JWT_SECRET_FILE = 'jwt-secret';

/**
 * The JWT signing secret: `JWT_SECRET` when set (required in production, enforced by config),
 * otherwise 64 random bytes generated once and kept in `DATA_DIR/jwt-secret` (mode 0600), so
 * tokens survive restarts of a development server.
 */
export function resolveJwtSecret(config: {
  readonly jwtSecret: string | undefined;
  readonly dataDir: string;
}): string {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  const file = path.join(config.dataDir, JWT_SECRET_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(64).toString('base64url');
  try {
    // `wx`: two processes starting at once must not overwrite each other's secret.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return readFileSync(file, 'utf8').trim();
    }
    throw error;
  }
  chmodSync(file, 0o600);
  return secret;
}
