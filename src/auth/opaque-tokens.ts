import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyScope } from '../domain/user/roles.ts';

/**
 * Opaque credentials: refresh tokens and API keys. Both carry 256 random bits and are stored
 * only as their SHA-256 digest: with that much entropy a fast hash is enough (no dictionary to
 * attack), and lookups stay cheap on every request. The ids inside say where to look.
 */

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SECRET = '[A-Za-z0-9_-]{43}';

/** Refresh tokens live 30 days; each use replaces the token. */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export interface RefreshToken {
  readonly userId: string;
  readonly familyId: string;
  readonly token: string;
  readonly hash: string;
}

const REFRESH = new RegExp(`^rt_(${UUID})\\.(${UUID})\\.${SECRET}$`);

export function newRefreshToken(userId: string, familyId: string): RefreshToken {
  const token = `rt_${userId}.${familyId}.${secret()}`;
  return { userId, familyId, token, hash: sha256(token) };
}

/** The ids inside a refresh token, or undefined when it is not shaped like one. */
export function parseRefreshToken(token: string): RefreshToken | undefined {
  const match = REFRESH.exec(token);
  if (!match?.[1] || !match[2]) return undefined;
  return { userId: match[1], familyId: match[2], token, hash: sha256(token) };
}

export const API_KEY_PREFIX = 'optk_';

export interface ApiKeySecret {
  readonly userId: string;
  readonly keyId: string;
  readonly token: string;
  readonly secretHash: string;
}

const API_KEY = new RegExp(`^optk_(${UUID})\\.(${UUID})\\.(${SECRET})$`);

/** A new key `optk_{userId}.{keyId}.{secret}`; only `secretHash` is stored. */
export function newApiKey(userId: string, keyId: string): ApiKeySecret {
  const s = secret();
  return {
    userId,
    keyId,
    token: `${API_KEY_PREFIX}${userId}.${keyId}.${s}`,
    secretHash: sha256(s),
  };
}

/**
 * The two halves of an API key as Alpaca clients carry them: `keyId` (`APCA-API-KEY-ID`,
 * `optk_{userId}.{keyId}`, not secret) and `secret` (`APCA-API-SECRET-KEY`). `{keyId}.{secret}`
 * is the bearer form, so every key works both ways.
 */
export function splitApiKey(token: string): { keyId: string; secret: string } {
  const dot = token.lastIndexOf('.');
  return { keyId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

/** The bearer form of an Alpaca-style key pair (see {@link splitApiKey}). */
export function joinApiKey(keyId: string, secret: string): string {
  return `${keyId}.${secret}`;
}

export function parseApiKey(token: string): ApiKeySecret | undefined {
  const match = API_KEY.exec(token);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { userId: match[1], keyId: match[2], token, secretHash: sha256(match[3]) };
}

export type { ApiKeyScope };
