import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import jwt from 'jsonwebtoken';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { ROLES, type Role } from '../domain/user/roles.ts';

export const JWT_ISSUER = 'open-paper-trading';
export const JWT_AUDIENCE = 'open-paper-trading-api';
/** The only algorithm signed and accepted: a token naming another (`none`, RS256…) is refused. */
export const JWT_ALGORITHM = 'HS256';
/** Access tokens live 15 minutes; refresh tokens renew them. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;

/** A signing key; `kid` lets verifiers pick the key after a rotation. */
export interface SigningKey {
  readonly kid: string;
  readonly secret: string;
}

/** Key id of a secret: a digest prefix, so the header never carries key material. */
export function keyIdOf(secret: string): string {
  return createHash('sha256').update(`kid:${secret}`).digest('hex').slice(0, 16);
}

/** Claims of a verified access token. */
export interface AccessClaims {
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Issued-at, seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface AccessTokenOptions {
  /** The current secret first; older secrets still verify tokens issued before a rotation. */
  readonly secrets: readonly string[];
  readonly ttlSeconds?: number;
  /** Issue time in seconds since the epoch (tests issue already-expired tokens with it). */
  readonly now?: () => number;
}

/**
 * Issues HS256 JWT access tokens and verifies them with passport-jwt: algorithm pinned,
 * issuer and audience checked, key chosen by `kid` from the key ring.
 */
export class AccessTokens {
  readonly ttlSeconds: number;
  /** Each secret as a `KeyObject`: jsonwebtoken tries a string as a PEM public key first. */
  readonly #keys: readonly { readonly kid: string; readonly key: KeyObject }[];
  readonly #now: () => number;
  readonly #passport = new Passport();

  constructor(options: AccessTokenOptions) {
    if (options.secrets.length === 0) throw new Error('AccessTokens needs at least one secret');
    this.#keys = options.secrets.map((secret) => ({
      kid: keyIdOf(secret),
      key: createSecretKey(Buffer.from(secret, 'utf8')),
    }));
    this.ttlSeconds = options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    const keys = this.#keys;
    this.#passport.use(
      'jwt',
      new JwtStrategy(
        {
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          algorithms: [JWT_ALGORITHM],
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          secretOrKeyProvider: (_req, raw, done) => {
            const decoded = typeof raw === 'string' ? jwt.decode(raw, { complete: true }) : null;
            const key = keys.find((k) => k.kid === decoded?.header.kid);
            if (!key) {
              done(new InvalidToken('unknown key id'));
              return;
            }
            // passport-jwt's typings name strings and buffers; jsonwebtoken takes the KeyObject.
            done(null, key.key as unknown as string);
          },
        },
        (payload: unknown, done: (error: unknown, user?: unknown) => void) => {
          done(null, parseClaims(payload));
        },
      ),
    );
  }

  /** Signs an access token for a user. */
  issue(userId: string, roles: readonly Role[], jti: string): string {
    const [key] = this.#keys;
    if (!key) throw new Error('no signing key');
    const iat = this.#now();
    return jwt.sign({ roles, iat, exp: iat + this.ttlSeconds }, key.key, {
      algorithm: JWT_ALGORITHM,
      keyid: key.kid,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      subject: userId,
      jwtid: jti,
    });
  }

  /** Verifies a token (as passport-jwt does for a bearer header); claims or undefined. */
  verify(token: string): Promise<AccessClaims | undefined> {
    const req = { headers: { authorization: `Bearer ${token}` } } as unknown as Request;
    return new Promise((resolve) => {
      const run = this.#passport.authenticate(
        'jwt',
        { session: false },
        (error: unknown, user: AccessClaims | false | undefined) => {
          resolve(error || !user ? undefined : user);
        },
      ) as (req: Request, res: unknown, next: (error?: unknown) => void) => void;
      run(req, {}, () => {
        resolve(undefined);
      });
    });
  }
}

class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

function parseClaims(payload: unknown): AccessClaims | false {
  if (typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  const roles = p.roles;
  if (
    typeof p.sub !== 'string' ||
    typeof p.iat !== 'number' ||
    typeof p.exp !== 'number' ||
    typeof p.jti !== 'string' ||
    !Array.isArray(roles) ||
    !roles.every((r) => typeof r === 'string' && (ROLES as readonly string[]).includes(r))
  ) {
    return false;
  }
  return { sub: p.sub, roles: roles as Role[], iat: p.iat, exp: p.exp, jti: p.jti };
}
