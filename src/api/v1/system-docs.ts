/**
 * OpenAPI descriptions of the routes that predate the registry: `/health`, `/metrics`,
 * `/docs`, `/auth/*`, `/me*` and `/audit`. Their handlers live in `src/api/{health,auth-routes,
 * me-routes,audit-routes}.ts`; the request schemas here mirror the ones those handlers parse
 * (same names, limits and defaults). Imported for its side effect by `src/api/app.ts`.
 */
import { auditFilters } from '../audit-routes.ts';
import { credentialsBody, refreshBody, registrationBody } from '../auth-routes.ts';
import { z } from 'zod';
import { API_KEY_SCOPES, ROLES } from '../../domain/user/roles.ts';
import { API_PREFIX, DOCS_PATH, documentOperation } from '../openapi.ts';

const p = (path: string): string => `${API_PREFIX}${path}`;

const CheckResult = z
  .object({
    status: z.enum(['ok', 'error']),
    latency_ms: z.number().int(),
    error: z.string().optional(),
  })
  .meta({ id: 'HealthCheckResult' });

const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    uptime_s: z.number().int(),
    checks: z.record(z.string(), CheckResult),
  })
  .meta({ id: 'Health' });

const healthExample = {
  status: 'ok',
  version: '0.1.0',
  uptime_s: 9,
  checks: {
    eventstore: { status: 'ok', latency_ms: 2 },
    market: { status: 'ok', latency_ms: 0 },
    engine: { status: 'ok', latency_ms: 0 },
  },
};

documentOperation({
  method: 'get',
  path: p('/health'),
  tags: ['System'],
  summary: 'Health',
  description:
    'Probes every dependency (event store, market data, engine…) concurrently. 200 `ok` when all answer, 503 `degraded` naming the failing check otherwise. Never cached; no token needed.',
  security: 'none',
  responses: {
    200: { description: 'Every dependency answers', schema: Health, example: healthExample },
    503: {
      description: 'A dependency failed (`status: degraded`; the failing check has `error`)',
      schema: Health,
    },
  },
});

documentOperation({
  method: 'get',
  path: '/metrics',
  tags: ['System'],
  summary: 'Prometheus metrics',
  description:
    'Process, HTTP (`http_request_duration_seconds` by route pattern), projection lag and engine metrics in the Prometheus text format. No token needed: expose it only to your scraper.',
  security: 'none',
  responses: {
    200: {
      description: 'Prometheus text exposition format',
      contentType: 'text/plain',
      schema: z.string(),
    },
  },
});

documentOperation({
  method: 'get',
  path: DOCS_PATH,
  tags: ['System'],
  summary: 'Swagger UI',
  description: 'Interactive documentation of this API (served from local assets).',
  security: 'none',
  responses: {
    200: { description: 'The Swagger UI page', contentType: 'text/html', schema: z.string() },
  },
});

// ─── /auth ──────────────────────────────────────────────────────────────────────────────────

const sessionField = {
  session: z.enum(['token', 'cookie']).default('token').meta({
    description:
      '`token` (default): the pair comes back in the body. `cookie`: a browser session — the tokens go into HttpOnly SameSite=Strict cookies, the body carries a `csrf_token`, and every state-changing request the cookie authenticates must echo it in `X-CSRF-Token`.',
  }),
};
const Registration = registrationBody
  .extend({
    email: registrationBody.shape.email.meta({ example: 'ada@example.com' }),
    display_name: registrationBody.shape.display_name.meta({ example: 'Ada' }),
    ...sessionField,
  })
  .meta({ id: 'Registration' });
const Credentials = credentialsBody.extend(sessionField).meta({ id: 'Credentials' });
const RefreshRequest = refreshBody
  .extend({
    refresh_token: refreshBody.shape.refresh_token.meta({
      description: 'Required unless a cookie session sends its refresh cookie (with X-CSRF-Token)',
    }),
  })
  .meta({ id: 'RefreshRequest' });

const TokenPairSchema = z
  .object({
    access_token: z.string().meta({ description: 'JWT, sent as `Authorization: Bearer …`' }),
    refresh_token: z
      .string()
      .meta({ description: 'Opaque, single use: exchange it at /auth/refresh' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().meta({ description: 'Seconds the access token is valid' }),
    user_id: z.string(),
  })
  .meta({ id: 'TokenPair' });
const CookieSession = z
  .object({
    token_type: z.literal('cookie'),
    expires_in: z.number().int().meta({ description: 'Seconds the session cookie is valid' }),
    user_id: z.string(),
    csrf_token: z.string().meta({
      description:
        'Send it as `X-CSRF-Token` on every POST, PATCH and DELETE the session cookie authenticates (also readable from the `opt_csrf` cookie)',
    }),
  })
  .meta({ id: 'CookieSession' });
const TokenPair = z.union([TokenPairSchema, CookieSession]);

const tokenExample = {
  access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…',
  refresh_token: 'rt_3q2…',
  token_type: 'Bearer',
  expires_in: 900,
  user_id: '0b0d7c4e-3c1f-4f7e-9b8a-6f3f1d2e4a55',
};

documentOperation({
  method: 'post',
  path: p('/auth/register'),
  tags: ['Auth'],
  summary: 'Register',
  description:
    'Registers a trader (role `trader`) and signs them in: answers a token pair. Rate-limited per IP.',
  security: 'none',
  request: {
    body: {
      schema: Registration,
      example: { email: 'ada@example.com', password: 'correct horse battery staple' },
    },
  },
  responses: {
    201: { description: 'Registered and signed in', schema: TokenPair, example: tokenExample },
  },
  errors: { 409: ['email_taken'], 422: ['validation_failed', 'weak_password', 'invalid_value'] },
});

documentOperation({
  method: 'post',
  path: p('/auth/login'),
  tags: ['Auth'],
  summary: 'Log in',
  description:
    'Password login; answers an access token (15 minutes) and a rotating refresh token. Repeated failures back off (429 `login_throttled` with `Retry-After`).',
  security: 'none',
  request: {
    body: {
      schema: Credentials,
      example: { email: 'ada@example.com', password: 'correct horse battery staple' },
    },
  },
  responses: { 200: { description: 'Signed in', schema: TokenPair, example: tokenExample } },
  errors: { 401: ['invalid_credentials'], 422: ['validation_failed'], 429: ['login_throttled'] },
});

documentOperation({
  method: 'post',
  path: p('/auth/refresh'),
  tags: ['Auth'],
  summary: 'Refresh tokens',
  description:
    'Exchanges a refresh token for a new pair. Each refresh token works once: reusing one revokes its whole family (every session started by that login).',
  security: 'none',
  request: { body: { schema: RefreshRequest, example: { refresh_token: 'rt_3q2…' } } },
  responses: { 200: { description: 'A new token pair', schema: TokenPair, example: tokenExample } },
  errors: { 401: ['invalid_token'], 403: ['csrf_failed'], 422: ['validation_failed'] },
});

documentOperation({
  method: 'post',
  path: p('/auth/logout'),
  tags: ['Auth'],
  summary: 'Log out',
  description:
    "Revokes the refresh token's family (the body's, or a cookie session's refresh cookie). Always 204, whether or not the token was valid, so it cannot be used to probe tokens.",
  security: 'none',
  request: { body: { schema: RefreshRequest, example: { refresh_token: 'rt_3q2…' } } },
  responses: { 204: { description: 'Logged out (a cookie session also clears its cookies)' } },
  errors: { 403: ['csrf_failed'], 422: ['validation_failed'] },
});

// ─── /me ────────────────────────────────────────────────────────────────────────────────────

const ApiKeySummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    account_id: z.string().nullable().meta({ description: 'The account the key is bound to' }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKeySummary' });

const Profile = z
  .object({
    id: z.string(),
    email: z.string(),
    display_name: z.string(),
    roles: z.array(z.enum(ROLES)),
    created_at: z.string(),
    last_login_at: z.string().nullable(),
    api_keys: z.array(ApiKeySummary),
  })
  .meta({ id: 'Profile' });

const profileExample = {
  id: '0b0d7c4e-3c1f-4f7e-9b8a-6f3f1d2e4a55',
  email: 'ada@example.com',
  display_name: 'Ada',
  roles: ['trader'],
  created_at: '2026-01-05T14:30:00.000Z',
  last_login_at: '2026-01-05T14:30:01.000Z',
  api_keys: [],
};

documentOperation({
  method: 'get',
  path: p('/me'),
  tags: ['Me'],
  summary: 'My profile',
  description: "The caller's profile, roles and API keys (never their secrets).",
  responses: { 200: { description: 'The profile', schema: Profile, example: profileExample } },
  errors: { 403: ['forbidden'] },
});

documentOperation({
  method: 'patch',
  path: p('/me'),
  tags: ['Me'],
  summary: 'Update my profile',
  description: 'Changes the display name. Not with an API key (403).',
  request: {
    body: {
      schema: z
        .object({ display_name: z.string().min(1).max(100) })
        .strict()
        .meta({ id: 'ProfilePatch' }),
      example: { display_name: 'Ada L.' },
    },
  },
  responses: {
    200: { description: 'The updated profile', schema: Profile, example: profileExample },
  },
  errors: { 403: ['forbidden'], 422: ['validation_failed'] },
});

documentOperation({
  method: 'post',
  path: p('/me/password'),
  tags: ['Me'],
  summary: 'Change my password',
  description:
    'Checks the current password, sets the new one, revokes every refresh token and answers a new token pair. Not with an API key (403).',
  request: {
    body: {
      schema: z
        .object({
          current_password: z.string().min(1).max(1024),
          new_password: z.string().min(1).max(1024),
        })
        .meta({ id: 'PasswordChange' }),
      example: {
        current_password: 'correct horse battery staple',
        new_password: 'another long passphrase',
      },
    },
  },
  responses: { 200: { description: 'A new token pair', schema: TokenPair, example: tokenExample } },
  errors: { 403: ['forbidden'], 422: ['validation_failed', 'weak_password', 'invalid_value'] },
});

documentOperation({
  method: 'post',
  path: p('/me/api-keys'),
  tags: ['Me'],
  summary: 'Create an API key',
  description:
    'Creates an API key with `read` (queries) and/or `trade` (orders) scope. `key` and `secret` appear in this response only (the secret is stored hashed). `key` is a bearer token; `key_id` + `secret` are the same key as an Alpaca pair (`APCA-API-KEY-ID`, `APCA-API-SECRET-KEY`) for `/v2`. `account_id` (optional) binds the key to one of your accounts: the account `/v2` trades; an account that is not yours is 422 `invalid_account`. Not with an API key (403).',
  request: {
    body: {
      schema: z
        .object({
          name: z.string().min(1).max(100),
          scopes: z
            .array(z.enum(API_KEY_SCOPES))
            .min(1)
            .max(API_KEY_SCOPES.length)
            .default(['read']),
          account_id: z.string().optional().meta({
            description: 'Bind the key to this account of yours (the account `/v2` acts on)',
          }),
        })
        .meta({ id: 'ApiKeyRequest' }),
      example: { name: 'my bot', scopes: ['read', 'trade'], account_id: '3322c1d0-…' },
    },
  },
  responses: {
    201: {
      description: 'The key, shown once',
      schema: z
        .object({
          id: z.uuid(),
          key: z.string().meta({ description: 'Bearer token: `key_id` + "." + `secret`' }),
          key_id: z.string().meta({ description: 'Alpaca `APCA-API-KEY-ID` (not secret)' }),
          secret: z.string().meta({ description: 'Alpaca `APCA-API-SECRET-KEY`, shown once' }),
          name: z.string(),
          scopes: z.array(z.enum(API_KEY_SCOPES)),
          account_id: z.string().nullable(),
          created_at: z.string(),
        })
        .meta({ id: 'ApiKeyCreated' }),
      example: {
        id: '5d2b8f7e-1c1a-4b8e-8f2a-3e4d5c6b7a89',
        key: 'optk_9a1f…5d2b8f7e….Xq3…',
        key_id: 'optk_9a1f…5d2b8f7e…',
        secret: 'Xq3…',
        name: 'my bot',
        scopes: ['read', 'trade'],
        account_id: '3322c1d0-…',
        created_at: '2026-01-05T14:31:00.000Z',
      },
    },
  },
  errors: { 403: ['forbidden'], 422: ['validation_failed', 'invalid_value', 'invalid_account'] },
});

documentOperation({
  method: 'delete',
  path: p('/me/api-keys/{id}'),
  tags: ['Me'],
  summary: 'Revoke an API key',
  description: "Revokes one of the caller's API keys. Another user's key id answers 404.",
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 204: { description: 'Revoked' } },
  errors: { 403: ['forbidden'], 404: ['api_key_not_found'] },
});

// ─── /audit ─────────────────────────────────────────────────────────────────────────────────

const AuditEntry = z
  .object({
    position: z.string().meta({ description: 'Global position of the audit event' }),
    recorded_at: z.string(),
    stream_id: z.string().nullable(),
    event_type: z.string(),
    outcome: z.enum(['accepted', 'rejected', 'refused']),
    actor: z.string().nullable(),
    role: z.string().nullable(),
    source: z.string().nullable(),
    ip: z.string().nullable(),
    correlation_id: z.string().nullable(),
    code: z.string().nullable(),
    detail: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });

documentOperation({
  method: 'get',
  path: p('/audit'),
  tags: ['Audit'],
  summary: 'Search the audit log',
  description:
    'Every accepted, rejected and refused command, newest first; filter by actor, outcome, source, stream, event type, correlation id and time, and page with `before` (the last `position` seen, `next_before`). Auditors and admins only.',
  request: {
    query: auditFilters,
  },
  responses: {
    200: {
      description: 'A page of entries',
      schema: z
        .object({ entries: z.array(AuditEntry), next_before: z.string().nullable() })
        .meta({ id: 'AuditPage' }),
    },
  },
  errors: { 403: ['forbidden'], 422: ['validation_failed'] },
});
