import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { parseRefreshToken } from '../auth/opaque-tokens.ts';
import type { TokenPair, UserService } from '../commands/users.ts';
import { callContext, csrfFailed, route } from './authenticate.ts';
import type { RouteModule } from './app.ts';
import { readCookies, REFRESH_COOKIE, type CookieSessions } from './cookie-session.ts';
import { ApiError } from './problem.ts';

/**
 * How the tokens come back: `token` (default) in the body, for API clients; `cookie` in
 * HttpOnly SameSite=Strict cookies plus a CSRF token, for a browser session.
 */
const session = z.enum(['token', 'cookie']).default('token');

/** The request bodies of the auth routes (the OpenAPI entries in `v1/system-docs.ts` use them). */
export const credentialsBody = z.object({
  email: z.string().min(3).max(254),
  password: z.string().min(1).max(1024),
  session,
});
export const registrationBody = credentialsBody.extend({
  display_name: z.string().min(1).max(100).optional(),
});
/** `refresh_token` may be left out by a cookie session (the refresh cookie carries it). */
export const refreshBody = z.object({ refresh_token: z.string().min(1).max(512).optional() });

/** The token response of register, login, refresh and password change (OAuth 2 field names). */
export function tokenBody(pair: TokenPair): Record<string, unknown> {
  return {
    access_token: pair.accessToken,
    refresh_token: pair.refreshToken,
    token_type: 'Bearer',
    expires_in: pair.expiresIn,
    user_id: pair.userId,
  };
}

/** The answer of a login that started a cookie session (no token in the body). */
export function cookieSessionBody(pair: TokenPair, csrfToken: string): Record<string, unknown> {
  return {
    token_type: 'cookie',
    expires_in: pair.expiresIn,
    user_id: pair.userId,
    csrf_token: csrfToken,
  };
}

export interface AuthRouteDeps {
  readonly users: UserService;
  /** The strict `/auth/*` limiter. */
  readonly limit?: RequestHandler;
  /** Browser cookie sessions (`"session": "cookie"`); without it only token answers exist. */
  readonly sessions?: CookieSessions;
}

/**
 * `POST /api/v1/auth/register|login|refresh|logout` — the only API routes without a token.
 * Register answers 201 with a token pair; login and refresh answer the pair; logout 204. With
 * `"session": "cookie"` the pair goes into cookies instead and the answer carries the CSRF
 * token; refresh and logout then read the refresh cookie and need `X-CSRF-Token`.
 */
export function authRoutes(deps: AuthRouteDeps): RouteModule {
  const { sessions } = deps;

  /** Answers a fresh pair the way the client asked for it. */
  const answer = (
    req: Request,
    res: Response,
    pair: TokenPair,
    mode: 'token' | 'cookie',
    status = 200,
  ): void => {
    res.status(status).setHeader('Cache-Control', 'no-store');
    if (mode === 'token') {
      res.json(tokenBody(pair));
      return;
    }
    if (!sessions) {
      throw new ApiError(422, 'validation_failed', 'Unprocessable Entity', {
        detail: 'Cookie sessions are not enabled on this server',
        errors: [{ field: 'session', message: 'Cookie sessions are not enabled; use "token"' }],
      });
    }
    res.json(cookieSessionBody(pair, sessions.start(req, res, pair)));
  };

  /**
   * The refresh token of a request: the body's, else the session cookie's — which only counts
   * with a CSRF token signed for the token's user (a forged request could send the cookie).
   */
  const refreshTokenOf = (
    req: Request,
    body: z.infer<typeof refreshBody>,
  ): { token: string; mode: 'token' | 'cookie' } | undefined => {
    if (body.refresh_token !== undefined) return { token: body.refresh_token, mode: 'token' };
    const cookie = sessions ? readCookies(req)[REFRESH_COOKIE] : undefined;
    if (cookie === undefined || !sessions) return undefined;
    const userId = parseRefreshToken(cookie)?.userId;
    if (userId === undefined || !sessions.csrfValid(req, userId)) throw csrfFailed();
    return { token: cookie, mode: 'cookie' };
  };

  return (api) => {
    const router = Router();
    if (deps.limit) router.use(deps.limit);

    /** Registers a trader and signs them in. 409 `email_taken`, 422 `weak_password`. */
    router.post(
      '/register',
      route(async (req, res) => {
        const body = registrationBody.parse(req.body);
        const context = callContext(req, res);
        await deps.users.register(
          {
            email: body.email,
            password: body.password,
            ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
          },
          context,
        );
        const pair = await deps.users.login(
          { email: body.email, password: body.password },
          context,
        );
        answer(req, res, pair, body.session, 201);
      }),
    );

    /** Password login. 401 `invalid_credentials` for any wrong pair; 429 during back-off. */
    router.post(
      '/login',
      route(async (req, res) => {
        const body = credentialsBody.parse(req.body);
        const pair = await deps.users.login(
          { email: body.email, password: body.password },
          callContext(req, res),
        );
        answer(req, res, pair, body.session);
      }),
    );

    /** Rotates a refresh token. Reusing an exchanged one revokes its family (401). */
    router.post(
      '/refresh',
      route(async (req, res) => {
        const presented = refreshTokenOf(req, refreshBody.parse(req.body ?? {}));
        if (!presented) throw missingRefreshToken();
        const pair = await deps.users.refresh(presented.token, callContext(req, res));
        answer(req, res, pair, presented.mode);
      }),
    );

    /** Revokes the refresh token's family; always 204 (no token oracle). */
    router.post(
      '/logout',
      route(async (req, res) => {
        const presented = refreshTokenOf(req, refreshBody.parse(req.body ?? {}));
        if (!presented) throw missingRefreshToken();
        await deps.users.logout(presented.token, callContext(req, res));
        if (presented.mode === 'cookie') sessions?.end(req, res);
        res.status(204).end();
      }),
    );

    api.use('/auth', router);
  };
}

function missingRefreshToken(): ApiError {
  return new ApiError(422, 'validation_failed', 'Unprocessable Entity', {
    detail: 'refresh_token is required (or the session cookie, for a cookie session)',
    errors: [{ field: 'refresh_token', message: 'Required' }],
  });
}
