import { Writable } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { pino, type Logger } from 'pino';
import { REDACTED_LOG_PATHS, redactingLogger } from '../../src/api/hardening.ts';
import { call, PASSWORD, registerUser, startAuthHarness, type AuthHarness } from './harness.ts';

/** Every log line the harness writes, at trace level. */
function captureLogs(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, sink) };
}

/** A request with a raw body and headers of the caller's choosing. */
async function raw(
  url: string,
  method: string,
  init: { body?: string; contentType?: string; authorization?: string } = {},
): Promise<number> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }),
      ...(init.authorization === undefined ? {} : { authorization: init.authorization }),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  await res.arrayBuffer();
  return res.status;
}

const answered = (status: number): boolean =>
  status < 500 && (status >= 400 || [200, 201, 204].includes(status));

/** Printable ASCII, which is all an HTTP header value can carry. */
const headerText = fc.string({ unit: fc.constantFrom(...'abcXYZ019._-+/=:~ '.split('')) });
const base64url = fc.string({
  unit: fc.constantFrom(...'ABCxyz0189-_'.split('')),
  minLength: 1,
  maxLength: 60,
});

/** JSON-ish values, and objects carrying the fields the auth bodies expect, of any type. */
const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ minLength: 1000, maxLength: 1100 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const bodyOf = (fields: readonly string[]) =>
  fc.oneof(
    fc.anything(),
    fc.record(Object.fromEntries(fields.map((f) => [f, fieldValue])), { requiredKeys: [] }),
  );

describe('auth: fuzzed bodies and headers answer 4xx, never 5xx', function () {
  this.timeout(120_000);
  let h: AuthHarness;
  let admin: string;

  before(async () => {
    h = await startAuthHarness();
    await h.security.users.register(
      { email: 'fuzz-admin@example.com', password: PASSWORD, roles: ['admin'] },
      { source: 'test', correlationId: 'c', actor: 'system', role: 'admin' },
    );
    const login = await call(`${h.url}/auth/login`, 'POST', {
      email: 'fuzz-admin@example.com',
      password: PASSWORD,
    });
    admin = String(login.body.access_token);
  });
  after(async () => {
    await h.close();
  });

  it('PATCH /me, POST /me/password and POST /me/api-keys', async () => {
    const user = await registerUser(h, 'fuzz-me@example.com');
    const routes = [
      { method: 'PATCH', path: '/me', body: bodyOf(['display_name']) },
      {
        method: 'POST',
        path: '/me/password',
        body: bodyOf(['current_password', 'new_password']),
      },
      { method: 'POST', path: '/me/api-keys', body: bodyOf(['name', 'scopes']) },
    ];
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(route.body, async (value) => {
          const text = (JSON.stringify(value) as string | undefined) ?? 'null';
          const res = await call(`${h.url}${route.path}`, route.method, text, user.access);
          return answered(res.status);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('DELETE /me/api-keys/{id} with any id', async () => {
    const user = await registerUser(h, 'fuzz-keys@example.com');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1 }), fc.uuid()), async (id) => {
        const status = await raw(`${h.url}/me/api-keys/${encodeURIComponent(id)}`, 'DELETE', {
          authorization: `Bearer ${user.access}`,
        });
        return status === 404 || status === 422 || status === 400;
      }),
      { numRuns: 40 },
    );
  });

  it('GET /audit with any query (as an admin)', async () => {
    const query = fc.dictionary(
      fc.constantFrom(
        'actor',
        'outcome',
        'source',
        'stream',
        'event_type',
        'correlation_id',
        'from',
        'to',
        'before',
        'limit',
        'x',
      ),
      fc.oneof(
        fc.string(),
        fc.integer().map(String),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
    );
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const status = await raw(`${h.url}/audit?${new URLSearchParams(q).toString()}`, 'GET', {
          authorization: `Bearer ${admin}`,
        });
        return status === 200 || status === 422 || status === 400;
      }),
      { numRuns: 60 },
    );
  });

  it('any Authorization header that is not a credential answers 401', async () => {
    const bearer = fc.oneof(
      headerText,
      headerText.map((s) => `Bearer ${s}`),
      fc.tuple(base64url, base64url, base64url).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
      fc.tuple(fc.uuid(), fc.uuid(), base64url).map(([u, k, s]) => `Bearer optk_${u}.${k}.${s}`),
      fc.tuple(fc.uuid(), fc.uuid(), base64url).map(([u, f, s]) => `Bearer rt_${u}.${f}.${s}`),
      fc.constantFrom('Bearer', 'Bearer ', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'bearer x'),
    );
    await fc.assert(
      fc.asyncProperty(
        bearer,
        fc.constantFrom('/me', '/me/api-keys', '/audit'),
        async (auth, path) => {
          const method = path === '/me/api-keys' ? 'POST' : 'GET';
          const status = await raw(`${h.url}${path}`, method, {
            authorization: auth,
            contentType: 'application/json',
            ...(method === 'POST' ? { body: '{"name":"k"}' } : {}),
          });
          return status === 401;
        },
      ),
      { numRuns: 80 },
    );
  });

  it('raw bodies that are not JSON, or not sent as JSON, answer 4xx', async () => {
    const user = await registerUser(h, 'fuzz-raw@example.com');
    const target = fc.constantFrom(
      { path: '/auth/register', token: false },
      { path: '/auth/login', token: false },
      { path: '/auth/refresh', token: false },
      { path: '/auth/logout', token: false },
      { path: '/me/password', token: true },
      { path: '/me/api-keys', token: true },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/problem+json',
    );
    await fc.assert(
      fc.asyncProperty(
        target,
        contentType,
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `{"password":${s}`),
        ),
        async (route, type, body) => {
          const status = await raw(`${h.url}${route.path}`, 'POST', {
            body,
            contentType: type,
            ...(route.token ? { authorization: `Bearer ${user.access}` } : {}),
          });
          return answered(status) && status !== 200 && status !== 201;
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('auth: no password, token or key in the logs', function () {
  this.timeout(120_000);

  it('through register, login, refresh and its reuse, password change, API keys and logout', async () => {
    const { lines, logger } = captureLogs();
    const h = await startAuthHarness({ logger });
    try {
      const secrets: string[] = [PASSWORD, 'a wrong password of mine', 'the brand new password'];
      const user = await registerUser(h, 'logs@example.com');
      secrets.push(user.access, user.refresh);
      await call(`${h.url}/auth/register`, 'POST', {
        email: 'weak@example.com',
        password: 'short',
      });
      secrets.push('short');
      await call(`${h.url}/auth/login`, 'POST', {
        email: 'logs@example.com',
        password: 'a wrong password of mine',
      });
      const login = await call(`${h.url}/auth/login`, 'POST', {
        email: 'logs@example.com',
        password: PASSWORD,
      });
      secrets.push(String(login.body.access_token), String(login.body.refresh_token));
      const rotated = await call(`${h.url}/auth/refresh`, 'POST', {
        refresh_token: login.body.refresh_token,
      });
      secrets.push(String(rotated.body.access_token), String(rotated.body.refresh_token));
      // Reuse of the exchanged token revokes the family (a logged security event).
      const reuse = await call(`${h.url}/auth/refresh`, 'POST', {
        refresh_token: login.body.refresh_token,
      });
      expect(reuse.status).to.equal(401);
      const key = await call(
        `${h.url}/me/api-keys`,
        'POST',
        { name: 'bot', scopes: ['trade'] },
        user.access,
      );
      expect(key.status).to.equal(201);
      secrets.push(String(key.body.key));
      expect((await call(`${h.url}/me`, 'GET', undefined, String(key.body.key))).status).to.equal(
        200,
      );
      // An API key may not change the password; the refusal is logged without the key.
      await call(
        `${h.url}/me/password`,
        'POST',
        { current_password: PASSWORD, new_password: 'the brand new password' },
        String(key.body.key),
      );
      const changed = await call(
        `${h.url}/me/password`,
        'POST',
        { current_password: PASSWORD, new_password: 'the brand new password' },
        user.access,
      );
      expect(changed.status).to.equal(200);
      secrets.push(String(changed.body.access_token), String(changed.body.refresh_token));
      // A body that is not JSON, carrying a password.
      await fetch(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"email":"logs@example.com","password":"${PASSWORD}"`,
      });
      await call(`${h.url}/auth/logout`, 'POST', { refresh_token: changed.body.refresh_token });
      await call(
        `${h.url}/me/api-keys/${String(key.body.id)}`,
        'DELETE',
        undefined,
        changed.body.access_token as string,
      );

      const log = lines.join('');
      expect(lines.length).to.be.greaterThan(10);
      for (const secret of secrets) {
        expect(log, 'a secret reached the log').not.to.include(secret);
        // Nor the secret part alone: the last segment of a key, refresh token or JWT.
        const tail = secret.split('.').at(-1) ?? secret;
        if (tail.length >= 16) expect(log).not.to.include(tail);
      }
    } finally {
      await h.close();
    }
  });

  it('a handler that logs carelessly is still redacted, up to two levels down', () => {
    const { lines, logger } = captureLogs();
    const careful = redactingLogger(logger);
    careful.info({ password: 'p-top', token: 't-top' }, 'top');
    careful.info({ body: { password: 'p-body', refresh_token: 'rt-body', new_password: 'np' } });
    careful.info({ req: { headers: { authorization: 'Bearer h-auth', cookie: 'c=1' } } });
    careful.info({ headers: { 'apca-api-secret-key': 'alpaca-secret' } });
    careful.info({ created: { key: 'optk_x.y.z-secret' }, user: { passwordHash: '$argon2id$h' } });
    const log = lines.join('');
    for (const secret of [
      'p-top',
      't-top',
      'p-body',
      'rt-body',
      '"np"',
      'h-auth',
      'c=1',
      'alpaca-secret',
      'z-secret',
      'argon2id',
    ]) {
      expect(log).not.to.include(secret);
    }
    expect(log.match(/\[redacted\]/g)).to.have.length(10);
    expect(REDACTED_LOG_PATHS).to.include('*.*.authorization');
  });
});
