import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { TokenPair, UserService } from '../commands/users.ts';
import { callContext, route } from './authenticate.ts';
import type { RouteModule } from './app.ts';

const credentials = z.object({
  email: z.string().min(3).max(254),
  password: z.string().min(1).max(1024),
});
const registration = credentials.extend({ display_name: z.string().min(1).max(100).optional() });
const refreshBody = z.object({ refresh_token: z.string().min(1).max(512) });

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

export interface AuthRouteDeps {
  readonly users: UserService;
  /** The strict `/auth/*` limiter. */
  readonly limit?: RequestHandler;
}

/**
 * `POST /api/v1/auth/register|login|refresh|logout` — the only API routes without a token.
 * Register answers 201 with a token pair; login and refresh answer the pair; logout 204.
 */
export function authRoutes(deps: AuthRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    if (deps.limit) router.use(deps.limit);

    /** Registers a trader and signs them in. 409 `email_taken`, 422 `weak_password`. */
    router.post(
      '/register',
      route(async (req, res) => {
        const body = registration.parse(req.body);
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
        res.status(201).setHeader('Cache-Control', 'no-store').json(tokenBody(pair));
      }),
    );

    /** Password login. 401 `invalid_credentials` for any wrong pair; 429 during back-off. */
    router.post(
      '/login',
      route(async (req, res) => {
        const body = credentials.parse(req.body);
        const pair = await deps.users.login(body, callContext(req, res));
        res.setHeader('Cache-Control', 'no-store').json(tokenBody(pair));
      }),
    );

    /** Rotates a refresh token. Reusing an exchanged one revokes its family (401). */
    router.post(
      '/refresh',
      route(async (req, res) => {
        const body = refreshBody.parse(req.body);
        const pair = await deps.users.refresh(body.refresh_token, callContext(req, res));
        res.setHeader('Cache-Control', 'no-store').json(tokenBody(pair));
      }),
    );

    /** Revokes the refresh token's family; always 204 (no token oracle). */
    router.post(
      '/logout',
      route(async (req, res) => {
        const body = refreshBody.parse(req.body);
        await deps.users.logout(body.refresh_token, callContext(req, res));
        res.status(204).end();
      }),
    );

    api.use('/auth', router);
  };
}
