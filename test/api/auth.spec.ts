import { expect } from 'chai';
import { SYSTEM_PRINCIPAL } from '../../src/commands/policy.ts';
import { UserQueries } from '../../src/projections/users.ts';
import {
  call,
  PASSWORD,
  registerUser,
  startAuthHarness,
  type AuthHarness,
} from '../auth/harness.ts';

describe('api: auth routes, /me and API keys', () => {
  let h: AuthHarness;
  before(async () => {
    h = await startAuthHarness();
  });
  after(async () => {
    await h.close();
  });

  let n = 0;
  const email = (): string => `user${++n}.${Date.now()}@example.com`;

  it('registers, answers a bearer token pair, and serves /me', async () => {
    const address = email();
    const res = await call(`${h.url}/auth/register`, 'POST', {
      email: `  ${address.toUpperCase()} `,
      password: PASSWORD,
    });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ token_type: 'Bearer', expires_in: 900 });
    expect(res.headers.get('cache-control')).to.equal('no-store');
    const me = await call(`${h.url}/me`, 'GET', undefined, String(res.body.access_token));
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ email: address });
    expect(me.body.roles).to.deep.equal(['trader']);
  });

  it('refuses a weak password naming the field', async () => {
    const res = await call(`${h.url}/auth/register`, 'POST', { email: email(), password: 'short' });
    expect(res.status).to.equal(422);
    expect(res.body.code).to.equal('weak_password');
    expect(res.body.errors).to.deep.equal([
      { field: 'password', message: 'password must be at least 12 characters long (got 5)' },
    ]);
  });

  it('refuses a second registration of the same e-mail with 409', async () => {
    const address = email();
    await registerUser(h, address);
    const res = await call(`${h.url}/auth/register`, 'POST', {
      email: address.toUpperCase(),
      password: PASSWORD,
    });
    expect(res.status).to.equal(409);
    expect(res.body.code).to.equal('email_taken');
  });

  it('answers a wrong password and an unknown e-mail the same way', async () => {
    const address = email();
    await registerUser(h, address);
    const wrong = await call(`${h.url}/auth/login`, 'POST', {
      email: address,
      password: 'nope nope nope',
    });
    const unknown = await call(`${h.url}/auth/login`, 'POST', {
      email: email(),
      password: 'nope nope nope',
    });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    const strip = (b: Record<string, unknown>): Record<string, unknown> => {
      const { request_id: _r, ...rest } = b;
      return rest;
    };
    expect(strip(wrong.body)).to.deep.equal(strip(unknown.body));
  });

  it('backs off after repeated failures, with Retry-After, for known and unknown e-mails', async () => {
    const known = email();
    await registerUser(h, known);
    for (const address of [known, email()]) {
      const statuses: number[] = [];
      let last = await call(`${h.url}/auth/login`, 'POST', { email: address, password: 'x' });
      statuses.push(last.status);
      for (let i = 0; i < 4; i++) {
        last = await call(`${h.url}/auth/login`, 'POST', { email: address, password: 'x' });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).to.deep.equal([401, 401, 401]);
      expect(statuses.at(-1)).to.equal(429);
      expect(last.body.code).to.equal('login_throttled');
      expect(Number(last.headers.get('retry-after'))).to.be.greaterThan(0);
    }
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const user = await registerUser(h, email());
    const first = await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: user.refresh });
    expect(first.status).to.equal(200);
    const rotated = String(first.body.refresh_token);
    expect(rotated).not.to.equal(user.refresh);
    // The original token again: reuse. The whole family dies, including the rotated token.
    const reuse = await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: user.refresh });
    expect(reuse.status).to.equal(401);
    const after = await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: rotated });
    expect(after.status).to.equal(401);
    expect(after.body.code).to.equal('invalid_token');
  });

  it('logout revokes the refresh token and answers 204 even for garbage', async () => {
    const user = await registerUser(h, email());
    expect(
      (await call(`${h.url}/auth/logout`, 'POST', { refresh_token: user.refresh })).status,
    ).to.equal(204);
    expect(
      (await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: user.refresh })).status,
    ).to.equal(401);
    expect(
      (await call(`${h.url}/auth/logout`, 'POST', { refresh_token: 'garbage' })).status,
    ).to.equal(204);
  });

  it('changing the password revokes refresh tokens and older access tokens', async () => {
    const user = await registerUser(h, email());
    await new Promise((r) => setTimeout(r, 1100));
    const changed = await call(
      `${h.url}/me/password`,
      'POST',
      { current_password: PASSWORD, new_password: 'an entirely new passphrase' },
      user.access,
    );
    expect(changed.status).to.equal(200);
    expect(
      (await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: user.refresh })).status,
    ).to.equal(401);
    expect((await call(`${h.url}/me`, 'GET', undefined, user.access)).status).to.equal(401);
    expect(
      (await call(`${h.url}/me`, 'GET', undefined, String(changed.body.access_token))).status,
    ).to.equal(200);
  });

  it('rejects a wrong current password with 422', async () => {
    const user = await registerUser(h, email());
    const res = await call(
      `${h.url}/me/password`,
      'POST',
      { current_password: 'not the password', new_password: 'an entirely new passphrase' },
      user.access,
    );
    expect(res.status).to.equal(422);
  });

  it('updates the profile', async () => {
    const user = await registerUser(h, email());
    const res = await call(`${h.url}/me`, 'PATCH', { display_name: 'Ada' }, user.access);
    expect(res.status).to.equal(200);
    expect(res.body.display_name).to.equal('Ada');
  });

  it('creates an API key shown once, authenticates with it, lists it without secret, revokes it', async () => {
    const user = await registerUser(h, email());
    const created = await call(
      `${h.url}/me/api-keys`,
      'POST',
      { name: 'bot', scopes: ['trade'] },
      user.access,
    );
    expect(created.status).to.equal(201);
    const key = String(created.body.key);
    expect(key).to.match(/^optk_/);
    const me = await call(`${h.url}/me`, 'GET', undefined, key);
    expect(me.status).to.equal(200);
    expect(JSON.stringify(me.body)).not.to.include(key.split('.').at(-1));
    expect(me.body.api_keys).to.have.length(1);
    // A key cannot mint keys or change credentials.
    expect((await call(`${h.url}/me/api-keys`, 'POST', { name: 'x' }, key)).status).to.equal(403);
    const del = await call(
      `${h.url}/me/api-keys/${String(created.body.id)}`,
      'DELETE',
      undefined,
      user.access,
    );
    expect(del.status).to.equal(204);
    expect((await call(`${h.url}/me`, 'GET', undefined, key)).status).to.equal(401);
  });

  it('records API key use in the read model', async () => {
    const user = await registerUser(h, email());
    const created = await call(`${h.url}/me/api-keys`, 'POST', { name: 'bot' }, user.access);
    await h.runner.catchUp();
    await call(`${h.url}/me`, 'GET', undefined, String(created.body.key));
    await new Promise((r) => setTimeout(r, 200));
    const keys = await h.security.users.handler.load(user.userId);
    expect(keys.state.status).to.equal('registered');
    const rows = await new UserQueries(h.db).listApiKeys({ tenant: user.userId });
    expect(rows).to.have.length(1);
    expect(rows[0]?.lastUsedAt).to.be.instanceOf(Date);
  });

  describe('tenancy matrix', () => {
    // route × role × own/other tenant
    let alice: Awaited<ReturnType<typeof registerUser>>;
    let bob: Awaited<ReturnType<typeof registerUser>>;
    let aliceKeyId: string;
    const roles = ['trader', 'viewer', 'auditor', 'admin'] as const;
    const byRole = new Map<string, Awaited<ReturnType<typeof registerUser>>>();

    const userWith = (role: string): Awaited<ReturnType<typeof registerUser>> => {
      const u = byRole.get(role);
      if (!u) throw new Error(`no ${role} user`);
      return u;
    };

    before(async () => {
      alice = await registerUser(h, email());
      bob = await registerUser(h, email());
      const key = await call(`${h.url}/me/api-keys`, 'POST', { name: 'a' }, alice.access);
      aliceKeyId = String(key.body.id);
      for (const role of roles) {
        const u = await registerUser(h, email());
        const ctx = { source: 'test' as const, correlationId: 'c' };
        await h.security.users.grantRole(SYSTEM_PRINCIPAL, u.userId, role, ctx);
        if (role !== 'trader')
          await h.security.users.revokeRole(SYSTEM_PRINCIPAL, u.userId, 'trader', ctx);
        const login = await call(`${h.url}/auth/login`, 'POST', {
          email: (await h.security.users.profile({ userId: u.userId, roles: [role], via: 'cli' }))
            .email,
          password: PASSWORD,
        });
        byRole.set(role, { ...u, access: String(login.body.access_token) });
      }
      await h.runner.catchUp();
    });

    for (const role of roles) {
      it(`${role}: /me is always one's own`, async () => {
        const u = userWith(role);
        const me = await call(`${h.url}/me`, 'GET', undefined, u.access);
        expect(me.status).to.equal(200);
        expect(me.body.id).to.equal(u.userId);
        expect(me.body.roles).to.deep.equal([role]);
      });

      it(`${role}: another tenant's API key answers 404 and survives`, async () => {
        const u = userWith(role);
        const res = await call(`${h.url}/me/api-keys/${aliceKeyId}`, 'DELETE', undefined, u.access);
        expect(res.status).to.equal(404);
      });

      it(`${role}: /audit is ${role === 'auditor' || role === 'admin' ? 'readable' : 'forbidden'}`, async () => {
        const u = userWith(role);
        const res = await call(`${h.url}/audit?limit=5`, 'GET', undefined, u.access);
        expect(res.status).to.equal(role === 'auditor' || role === 'admin' ? 200 : 403);
      });
    }

    it('the owner revokes their own key (own tenant)', async () => {
      const key = await call(`${h.url}/me/api-keys`, 'POST', { name: 'b' }, alice.access);
      const res = await call(
        `${h.url}/me/api-keys/${String(key.body.id)}`,
        'DELETE',
        undefined,
        alice.access,
      );
      expect(res.status).to.equal(204);
    });

    it("bob cannot revoke alice's key (404, not 403)", async () => {
      const res = await call(`${h.url}/me/api-keys/${aliceKeyId}`, 'DELETE', undefined, bob.access);
      expect(res.status).to.equal(404);
      const still = await call(`${h.url}/me`, 'GET', undefined, alice.access);
      expect((still.body.api_keys as { revoked_at: unknown }[])[0]?.revoked_at).to.equal(null);
    });

    it('every protected route refuses a missing token with 401', async () => {
      for (const [method, path] of [
        ['GET', '/me'],
        ['PATCH', '/me'],
        ['POST', '/me/password'],
        ['POST', '/me/api-keys'],
        ['DELETE', `/me/api-keys/${aliceKeyId}`],
        ['GET', '/audit'],
      ] as const) {
        const res = await call(
          `${h.url}${path}`,
          method,
          method === 'GET' || method === 'DELETE' ? undefined : {},
        );
        expect(res.status, `${method} ${path}`).to.equal(401);
        expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
      }
    });
  });

  describe('audit log', () => {
    it('records accepted, rejected and refused attempts with actor, source, ip and correlation id', async () => {
      const admin = await registerUser(h, email());
      const ctx = { source: 'test' as const, correlationId: 'c' };
      await h.security.users.grantRole(SYSTEM_PRINCIPAL, admin.userId, 'admin', ctx);
      const victim = await registerUser(h, email());
      const key = await call(`${h.url}/me/api-keys`, 'POST', { name: 'v' }, victim.access);
      const intruder = await registerUser(h, email());
      const refused = await fetch(`${h.url}/me/api-keys/${String(key.body.id)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${intruder.access}`, 'x-request-id': 'corr-refused-1' },
      });
      expect(refused.status).to.equal(404);
      await h.runner.catchUp();
      const login = await call(`${h.url}/auth/login`, 'POST', {
        email: (
          await h.security.users.profile({ userId: admin.userId, roles: ['admin'], via: 'cli' })
        ).email,
        password: PASSWORD,
      });
      const token = String(login.body.access_token);
      const res = await call(
        `${h.url}/audit?correlation_id=corr-refused-1`,
        'GET',
        undefined,
        token,
      );
      expect(res.status).to.equal(200);
      const [entry] = res.body.entries as Record<string, unknown>[];
      expect(entry).to.include({
        outcome: 'refused',
        event_type: 'RevokeApiKey',
        actor: `user:${intruder.userId}`,
        role: 'trader',
        source: 'rest',
        code: 'api_key_not_found',
        correlation_id: 'corr-refused-1',
      });
      expect(entry?.ip).to.be.a('string');
      const accepted = await call(
        `${h.url}/audit?outcome=accepted&actor=user:${victim.userId}`,
        'GET',
        undefined,
        token,
      );
      expect(
        (accepted.body.entries as { event_type: string }[]).map((e) => e.event_type),
      ).to.include('ApiKeyCreated');
      const rejected = await call(
        `${h.url}/audit?outcome=rejected&limit=50`,
        'GET',
        undefined,
        token,
      );
      expect(
        (rejected.body.entries as { event_type: string }[]).map((e) => e.event_type),
      ).to.include('Login');
      expect((await call(`${h.url}/audit?outcome=maybe`, 'GET', undefined, token)).status).to.equal(
        422,
      );
    });
  });
});
