import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Profile, UserService } from '../commands/users.ts';
import { API_KEY_SCOPES } from '../domain/user/roles.ts';
import { callContext, principalOf, route } from './authenticate.ts';
import type { RouteModule } from './app.ts';
import { tokenBody } from './auth-routes.ts';

const profilePatch = z.object({ display_name: z.string().min(1).max(100) }).strict();
const passwordChange = z.object({
  current_password: z.string().min(1).max(1024),
  new_password: z.string().min(1).max(1024),
});
const apiKeyRequest = z.object({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length).default(['read']),
  account_id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an account id')
    .optional(),
});
const keyId = z.uuid();

function profileBody(p: Profile): Record<string, unknown> {
  return {
    id: p.id,
    email: p.email,
    display_name: p.displayName,
    roles: p.roles,
    created_at: p.createdAt,
    last_login_at: p.lastLoginAt ?? null,
    api_keys: p.apiKeys.map((k) => ({
      id: k.id,
      name: k.name,
      scopes: k.scopes,
      account_id: k.accountId ?? null,
      created_at: k.createdAt,
      revoked_at: k.revokedAt ?? null,
    })),
  };
}

export interface MeRouteDeps {
  readonly users: UserService;
  /** `requireAuth` and the per-user limiter, in order. */
  readonly authenticated: readonly RequestHandler[];
}

/** `GET|PATCH /api/v1/me`, `POST /me/password`, `POST /me/api-keys`, `DELETE /me/api-keys/{id}`. */
export function meRoutes(deps: MeRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);

    /** The caller's profile, roles and API keys (never secrets). */
    router.get(
      '/',
      route(async (_req, res) => {
        res.json(profileBody(await deps.users.profile(principalOf(res))));
      }),
    );

    /** Updates the display name. */
    router.patch(
      '/',
      route(async (req, res) => {
        const body = profilePatch.parse(req.body);
        const profile = await deps.users.updateProfile(
          principalOf(res),
          { displayName: body.display_name },
          callContext(req, res),
        );
        res.json(profileBody(profile));
      }),
    );

    /** Changes the password; revokes every refresh token and answers a new token pair. */
    router.post(
      '/password',
      route(async (req, res) => {
        const body = passwordChange.parse(req.body);
        const pair = await deps.users.changePassword(
          principalOf(res),
          { currentPassword: body.current_password, newPassword: body.new_password },
          callContext(req, res),
        );
        res.setHeader('Cache-Control', 'no-store').json(tokenBody(pair));
      }),
    );

    /**
     * Creates an API key; `key` (the bearer form) and `secret` are shown in this response only.
     * `key_id` + `secret` are the Alpaca pair (`APCA-API-KEY-ID`, `APCA-API-SECRET-KEY`);
     * `account_id` binds the key to one of the caller's accounts.
     */
    router.post(
      '/api-keys',
      route(async (req, res) => {
        const body = apiKeyRequest.parse(req.body);
        const created = await deps.users.createApiKey(
          principalOf(res),
          {
            name: body.name,
            scopes: body.scopes,
            ...(body.account_id === undefined ? {} : { accountId: body.account_id }),
          },
          callContext(req, res),
        );
        res
          .status(201)
          .setHeader('Cache-Control', 'no-store')
          .json({
            id: created.id,
            key: created.key,
            key_id: created.keyId,
            secret: created.secret,
            name: created.name,
            scopes: created.scopes,
            account_id: created.accountId ?? null,
            created_at: created.createdAt,
          });
      }),
    );

    /** Revokes one of the caller's keys; another user's key id answers 404. */
    router.delete(
      '/api-keys/:id',
      route(async (req, res) => {
        const id = keyId.safeParse(req.params.id);
        const principal = principalOf(res);
        const context = callContext(req, res);
        if (!id.success) {
          await deps.users.revokeApiKey(principal, '(invalid)', context);
          return;
        }
        await deps.users.revokeApiKey(principal, id.data, context);
        res.status(204).end();
      }),
    );

    api.use('/me', router);
  };
}
