import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import type { TokenPair } from '../commands/users.ts';
import { REFRESH_TOKEN_TTL_SECONDS } from '../auth/opaque-tokens.ts';

/**
 * Cookie sessions for a browser (the dashboard): `POST /auth/login` with `"session": "cookie"`
 * keeps the access and refresh tokens in `HttpOnly; SameSite=Strict` cookies instead of the
 * body, so page scripts never hold them. Requests authenticated by the cookie that change state
 * must carry the CSRF token in `X-CSRF-Token` (signed double submit, OWASP): the token is
 * `random.HMAC(key, userId + random)`, sent once in the login answer and as the readable
 * `opt_csrf` cookie. A forged cross-site request cannot read it, and a token planted by
 * another user fails the HMAC check against the signed-in user.
 */
export const SESSION_COOKIE = 'opt_session';
export const REFRESH_COOKIE = 'opt_refresh';
export const CSRF_COOKIE = 'opt_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** The refresh cookie only travels to the auth routes that use it. */
const REFRESH_PATH = '/api/v1/auth';

/** Methods that change nothing and need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CookieSessionOptions {
  /** Secret the CSRF HMAC key is derived from (the JWT secret: one secret to rotate). */
  readonly secret: string;
  /** `Secure` on every cookie even over plain HTTP (production: TLS ends at a proxy). */
  readonly alwaysSecure?: boolean;
}

export class CookieSessions {
  readonly #key: Buffer;
  readonly #alwaysSecure: boolean;

  constructor(options: CookieSessionOptions) {
    this.#key = createHmac('sha256', options.secret).update('csrf-key-v1').digest();
    this.#alwaysSecure = options.alwaysSecure ?? false;
  }

  /** A fresh CSRF token bound to a user. */
  csrfToken(userId: string): string {
    const nonce = randomBytes(18).toString('base64url');
    return `${nonce}.${this.#mac(userId, nonce)}`;
  }

  /**
   * Whether an unsafe request authenticated by cookie carries a valid CSRF token for `userId`:
   * the header equals the cookie, and the token was signed for this user.
   */
  csrfValid(req: Request, userId: string): boolean {
    const header = req.get(CSRF_HEADER);
    const cookie = readCookies(req)[CSRF_COOKIE];
    if (header === undefined || cookie === undefined || !sameText(header, cookie)) return false;
    const [nonce, mac, extra] = header.split('.');
    if (nonce === undefined || mac === undefined || extra !== undefined) return false;
    return sameText(mac, this.#mac(userId, nonce));
  }

  /** Whether the request must prove it is not forged (state-changing, cookie-authenticated). */
  needsCsrf(req: Request): boolean {
    return !SAFE_METHODS.has(req.method);
  }

  /** Sets the three cookies for a new session or a refreshed one; answers the CSRF token. */
  start(req: Request, res: Response, pair: TokenPair): string {
    const csrf = this.csrfToken(pair.userId);
    const base = this.#base(req);
    res.cookie(SESSION_COOKIE, pair.accessToken, {
      ...base,
      httpOnly: true,
      path: '/',
      maxAge: pair.expiresIn * 1000,
    });
    res.cookie(REFRESH_COOKIE, pair.refreshToken, {
      ...base,
      httpOnly: true,
      path: REFRESH_PATH,
      maxAge: REFRESH_TOKEN_TTL_SECONDS * 1000,
    });
    // Readable by the page (not HttpOnly) so it can echo it in X-CSRF-Token.
    res.cookie(CSRF_COOKIE, csrf, {
      ...base,
      httpOnly: false,
      path: '/',
      maxAge: REFRESH_TOKEN_TTL_SECONDS * 1000,
    });
    return csrf;
  }

  /** Clears the session cookies (logout). */
  end(req: Request, res: Response): void {
    const base = this.#base(req);
    res.clearCookie(SESSION_COOKIE, { ...base, httpOnly: true, path: '/' });
    res.clearCookie(REFRESH_COOKIE, { ...base, httpOnly: true, path: REFRESH_PATH });
    res.clearCookie(CSRF_COOKIE, { ...base, path: '/' });
  }

  #base(req: Request): CookieOptions {
    return { sameSite: 'strict', secure: this.#alwaysSecure || req.secure };
  }

  #mac(userId: string, nonce: string): string {
    return createHmac('sha256', this.#key).update(`${userId}\n${nonce}`).digest('base64url');
  }
}

/** The request's cookies (an empty object when there are none). */
export function readCookies(req: Request): Record<string, string | undefined> {
  const header = req.get('cookie');
  return header === undefined ? {} : parseCookies(header);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
