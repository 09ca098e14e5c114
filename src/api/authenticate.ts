import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CallContext } from '../commands/users.ts';
import type { Principal } from '../commands/policy.ts';
import { PolicyError } from '../commands/policy.ts';
import { readCookies, SESSION_COOKIE, type CookieSessions } from './cookie-session.ts';
import { ApiError } from './problem.ts';

/** Resolves a bearer credential (access token or API key) to a principal. */
export type Authenticator = (bearer: string) => Promise<Principal | undefined>;

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/;

/**
 * Requires `Authorization: Bearer <access token | API key>` — or, with `sessions`, the browser's
 * session cookie (an access token only), whose state-changing requests must also carry a valid
 * `X-CSRF-Token` (403 `csrf_failed` otherwise, before any handler runs) — and stores the
 * principal in `res.locals.principal`; 401 `unauthenticated` with `WWW-Authenticate` otherwise.
 * Every route except health, metrics, OpenAPI, docs and `/auth/*` mounts it.
 */
export function requireAuth(
  authenticate: Authenticator,
  sessions?: CookieSessions,
): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const match = BEARER.exec(header ?? '');
    const cookie =
      header === undefined && sessions !== undefined ? readCookies(req)[SESSION_COOKIE] : undefined;
    const credential =
      match?.[1] ?? (cookie !== undefined && BEARER.test(`Bearer ${cookie}`) ? cookie : undefined);
    const challenge = { 'WWW-Authenticate': 'Bearer realm="open-paper-trading"' };
    if (credential === undefined) {
      next(
        new ApiError(401, 'unauthenticated', 'Unauthorized', {
          detail: 'A bearer token is required',
          headers: challenge,
        }),
      );
      return;
    }
    const viaCookie = match?.[1] === undefined;
    authenticate(credential).then(
      (principal) => {
        if (!principal || (viaCookie && principal.via !== 'access_token')) {
          next(
            new ApiError(401, 'invalid_token', 'Unauthorized', {
              detail: 'The token is invalid, expired or revoked',
              headers: {
                'WWW-Authenticate': 'Bearer realm="open-paper-trading", error="invalid_token"',
              },
            }),
          );
          return;
        }
        if (viaCookie && sessions?.needsCsrf(req) && !sessions.csrfValid(req, principal.userId)) {
          next(csrfFailed());
          return;
        }
        res.locals.principal = principal;
        next();
      },
      (error: unknown) => {
        next(error);
      },
    );
  };
}

/** 403 for a cookie-authenticated change without the session's CSRF token. */
export function csrfFailed(): ApiError {
  return new ApiError(403, 'csrf_failed', 'Forbidden', {
    detail:
      "A request authenticated by the session cookie must send the session's CSRF token in X-CSRF-Token",
  });
}

/** The principal `requireAuth` stored; throws when a route forgot to mount it. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('requireAuth is not mounted on this route');
  return principal;
}

/** Source, IP and correlation id of a request, for command metadata and the audit log. */
export function callContext(req: Request, res: Response): CallContext {
  const requestId = res.locals.requestId as unknown;
  return {
    source: 'rest',
    ...(req.ip === undefined ? {} : { ip: req.ip }),
    correlationId: typeof requestId === 'string' ? requestId : randomUUID(),
  };
}

/** Maps a policy refusal to its problem: another tenant's resource is a plain 404. */
export function policyProblem(error: PolicyError): ApiError {
  return error.kind === 'not_found'
    ? new ApiError(404, error.code, 'Not Found', { detail: error.message })
    : new ApiError(403, error.code, 'Forbidden', { detail: error.message });
}

/** Wraps an async route handler so rejections reach the error handler. */
export function route(
  handler: (req: Request, res: Response) => Promise<void>,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}
