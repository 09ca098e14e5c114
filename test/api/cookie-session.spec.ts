import { expect } from 'chai';
import { PASSWORD, registerUser, startAuthHarness, type AuthHarness } from '../auth/harness.ts';

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Set-Cookie lines by cookie name. */
  readonly cookies: Map<string, string>;
}

/** A request with optional cookies and headers (a browser, as far as the server can tell). */
async function send(
  url: string,
  method: string,
  options: { body?: unknown; cookies?: Record<string, string>; headers?: Record<string, string> },
): Promise<Reply> {
  const cookieHeader = Object.entries(options.cookies ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
  const res = await fetch(url, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(cookieHeader === '' ? {} : { cookie: cookieHeader }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  const cookies = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const name = line.slice(0, line.indexOf('='));
    cookies.set(name, line);
  }
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    cookies,
  };
}

/** The value of a Set-Cookie line. */
function valueOf(line: string | undefined): string {
  if (line === undefined) throw new Error('cookie not set');
  return decodeURIComponent(line.slice(line.indexOf('=') + 1, line.indexOf(';')));
}

interface Session {
  readonly userId: string;
  readonly csrf: string;
  readonly cookies: Record<string, string>;
}

describe('api: browser cookie sessions with CSRF protection', () => {
  let h: AuthHarness;
  before(async () => {
    h = await startAuthHarness();
  });
  after(async () => {
    await h.close();
  });

  let n = 0;
  const email = (): string => `cookie${++n}.${Date.now()}@example.com`;

  async function cookieLogin(address: string): Promise<Session & { reply: Reply }> {
    const reply = await send(`${h.url}/auth/login`, 'POST', {
      body: { email: address, password: PASSWORD, session: 'cookie' },
    });
    expect(reply.status).to.equal(200);
    const cookies = {
      opt_session: valueOf(reply.cookies.get('opt_session')),
      opt_refresh: valueOf(reply.cookies.get('opt_refresh')),
      opt_csrf: valueOf(reply.cookies.get('opt_csrf')),
    };
    return {
      reply,
      userId: String(reply.body.user_id),
      csrf: String(reply.body.csrf_token),
      cookies,
    };
  }

  async function keyCount(s: Session): Promise<number> {
    const me = await send(`${h.url}/me`, 'GET', { cookies: s.cookies });
    expect(me.status).to.equal(200);
    return (me.body.api_keys as unknown[]).length;
  }

  it('keeps the tokens out of the body, in HttpOnly SameSite=Strict cookies', async () => {
    const address = email();
    await registerUser(h, address);
    const { reply, csrf, cookies } = await cookieLogin(address);
    expect(reply.body).to.have.keys(['token_type', 'expires_in', 'user_id', 'csrf_token']);
    expect(reply.body).to.include({ token_type: 'cookie', expires_in: 900 });
    const session = reply.cookies.get('opt_session') ?? '';
    expect(session)
      .to.match(/; HttpOnly/)
      .and.match(/; SameSite=Strict/)
      .and.match(/; Path=\//);
    expect(session).to.match(/; Max-Age=900/);
    expect(reply.cookies.get('opt_refresh')).to.match(/; Path=\/api\/v1\/auth; /);
    expect(reply.cookies.get('opt_refresh')).to.match(/; HttpOnly/);
    // The page must read the CSRF cookie to echo it: not HttpOnly.
    expect(reply.cookies.get('opt_csrf')).to.not.match(/HttpOnly/);
    expect(cookies.opt_csrf).to.equal(csrf);
    // Plain HTTP outside production: no Secure flag (it would drop the cookie on http://).
    expect(session).to.not.match(/Secure/);
  });

  it('authenticates reads by the cookie alone', async () => {
    const address = email();
    await registerUser(h, address);
    const s = await cookieLogin(address);
    const me = await send(`${h.url}/me`, 'GET', { cookies: s.cookies });
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ email: address });
  });

  it('refuses a state change by cookie without the CSRF token, and writes nothing', async () => {
    const address = email();
    await registerUser(h, address);
    const s = await cookieLogin(address);
    const forged = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'forged' },
      cookies: s.cookies,
    });
    expect(forged.status).to.equal(403);
    expect(forged.body).to.include({ code: 'csrf_failed' });
    expect(await keyCount(s)).to.equal(0);
    // The header alone without its cookie, or a mismatch, fails the same way.
    const { opt_csrf: _csrf, ...withoutCsrfCookie } = s.cookies;
    const noCookie = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'forged' },
      cookies: withoutCsrfCookie,
      headers: { 'x-csrf-token': s.csrf },
    });
    expect(noCookie.status).to.equal(403);
    const mismatch = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'forged' },
      cookies: s.cookies,
      headers: { 'x-csrf-token': `${s.csrf}x` },
    });
    expect(mismatch.status).to.equal(403);
    expect(await keyCount(s)).to.equal(0);
  });

  it('accepts the change with the token, and refuses a token signed for another user', async () => {
    const alice = email();
    const mallory = email();
    await registerUser(h, alice);
    await registerUser(h, mallory);
    const a = await cookieLogin(alice);
    const m = await cookieLogin(mallory);
    // Cookie tossing: Mallory plants her own valid CSRF pair beside Alice's session cookie.
    const tossed = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'tossed' },
      cookies: { ...a.cookies, opt_csrf: m.csrf },
      headers: { 'x-csrf-token': m.csrf },
    });
    expect(tossed.status).to.equal(403);
    expect(tossed.body).to.include({ code: 'csrf_failed' });
    const ok = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'dashboard' },
      cookies: a.cookies,
      headers: { 'x-csrf-token': a.csrf },
    });
    expect(ok.status).to.equal(201);
    expect(await keyCount(a)).to.equal(1);
  });

  it('never takes an API key from the session cookie', async () => {
    const address = email();
    const user = await registerUser(h, address);
    const created = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'bot' },
      headers: { authorization: `Bearer ${user.access}` },
    });
    expect(created.status).to.equal(201);
    const key = String(created.body.key);
    expect(key).to.match(/^optk_/);
    const asCookie = await send(`${h.url}/me`, 'GET', { cookies: { opt_session: key } });
    expect(asCookie.status).to.equal(401);
    expect(asCookie.body).to.include({ code: 'invalid_token' });
  });

  it('a bearer header wins over cookies and needs no CSRF token', async () => {
    const address = email();
    const user = await registerUser(h, address);
    const res = await send(`${h.url}/me/api-keys`, 'POST', {
      body: { name: 'cli' },
      cookies: { opt_session: 'garbage' },
      headers: { authorization: `Bearer ${user.access}` },
    });
    expect(res.status).to.equal(201);
  });

  it('refreshes by the refresh cookie with the CSRF token, rotating the cookies', async () => {
    const address = email();
    await registerUser(h, address);
    const s = await cookieLogin(address);
    const forged = await send(`${h.url}/auth/refresh`, 'POST', { cookies: s.cookies });
    expect(forged.status).to.equal(403);
    expect(forged.body).to.include({ code: 'csrf_failed' });
    const refreshed = await send(`${h.url}/auth/refresh`, 'POST', {
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
    });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.body).to.include({ token_type: 'cookie' });
    const next = valueOf(refreshed.cookies.get('opt_refresh'));
    expect(next).to.not.equal(s.cookies.opt_refresh);
    // The old refresh token was exchanged: presenting it again revokes the family.
    const reuse = await send(`${h.url}/auth/refresh`, 'POST', {
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
    });
    expect(reuse.status).to.equal(401);
    const afterReuse = await send(`${h.url}/auth/refresh`, 'POST', {
      cookies: { ...s.cookies, opt_refresh: next, opt_csrf: String(refreshed.body.csrf_token) },
      headers: { 'x-csrf-token': String(refreshed.body.csrf_token) },
    });
    expect(afterReuse.status).to.equal(401);
  });

  it('logs out by cookie: revokes the family and clears the cookies', async () => {
    const address = email();
    await registerUser(h, address);
    const s = await cookieLogin(address);
    const out = await send(`${h.url}/auth/logout`, 'POST', {
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
    });
    expect(out.status).to.equal(204);
    for (const name of ['opt_session', 'opt_refresh', 'opt_csrf']) {
      expect(out.cookies.get(name), name).to.match(/Expires=Thu, 01 Jan 1970/);
    }
    const again = await send(`${h.url}/auth/refresh`, 'POST', {
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
    });
    expect(again.status).to.equal(401);
  });

  it('marks every cookie Secure in production (TLS ends at a proxy)', async () => {
    const prod = await startAuthHarness({ secureCookies: true });
    try {
      const address = email();
      await registerUser(prod, address);
      const reply = await send(`${prod.url}/auth/login`, 'POST', {
        body: { email: address, password: PASSWORD, session: 'cookie' },
      });
      expect([...reply.cookies.keys()]).to.have.members(['opt_session', 'opt_refresh', 'opt_csrf']);
      for (const line of reply.cookies.values()) expect(line).to.match(/; Secure/);
    } finally {
      await prod.close();
    }
  });

  it('answers a refresh or logout with neither body token nor cookie 422, naming the field', async () => {
    for (const path of ['/auth/refresh', '/auth/logout']) {
      const res = await send(`${h.url}${path}`, 'POST', { body: {} });
      expect(res.status, path).to.equal(422);
      expect(res.body.errors).to.deep.equal([{ field: 'refresh_token', message: 'Required' }]);
    }
    const bad = await send(`${h.url}/auth/login`, 'POST', {
      body: { email: email(), password: PASSWORD, session: 'jar' },
    });
    expect(bad.status).to.equal(422);
    expect(JSON.stringify(bad.body.errors)).to.contain('session');
  });
});
