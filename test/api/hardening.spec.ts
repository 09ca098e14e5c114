import { Writable } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { pino } from 'pino';
import {
  call,
  PASSWORD,
  registerUser,
  startAuthHarness,
  type AuthHarness,
} from '../auth/harness.ts';

describe('api: hardening', function () {
  // The first suite to open the shared PGlite pays its start-up.
  this.timeout(60_000);
  describe('rate limits', () => {
    let h: AuthHarness;
    before(async () => {
      h = await startAuthHarness({ limits: { auth: 3, perUser: 4 } });
    });
    after(async () => {
      await h.close();
    });

    it('limits /auth/* per IP with 429 problem+json and Retry-After', async () => {
      const statuses: number[] = [];
      let last = await call(`${h.url}/auth/login`, 'POST', {
        email: 'a@example.com',
        password: 'x',
      });
      statuses.push(last.status);
      for (let i = 0; i < 3; i++) {
        last = await call(`${h.url}/auth/logout`, 'POST', { refresh_token: 'x' });
        statuses.push(last.status);
      }
      expect(statuses.at(-1)).to.equal(429);
      expect(last.body.code).to.equal('rate_limited');
      expect(last.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(Number(last.headers.get('retry-after'))).to.be.greaterThan(0);
    });

    it('limits authenticated requests per user', async () => {
      const user = await h.security.users.register(
        { email: 'limited@example.com', password: PASSWORD },
        { source: 'test', correlationId: 'c' },
      );
      const pair = await h.security.users.login(
        { email: 'limited@example.com', password: PASSWORD },
        { source: 'test', correlationId: 'c' },
      );
      expect(pair.userId).to.equal(user.userId);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await call(`${h.url}/me`, 'GET', undefined, pair.accessToken)).status);
      expect(statuses.slice(0, 4)).to.deep.equal([200, 200, 200, 200]);
      expect(statuses.at(-1)).to.equal(429);
    });
  });

  describe('headers, fuzzing and logs', () => {
    let h: AuthHarness;
    const lines: string[] = [];
    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      h = await startAuthHarness({ logger: pino({ level: 'trace' }, sink) });
    });
    after(async () => {
      await h.close();
    });

    it('sends no X-Powered-By and no CORS grant to an unlisted origin', async () => {
      const res = await fetch(`${h.url}/health`, { headers: { origin: 'https://evil.example' } });
      expect(res.headers.get('x-powered-by')).to.equal(null);
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('answers fuzzed auth bodies with 4xx, never 5xx', async () => {
      const body = fc.oneof(
        fc.anything(),
        fc.record(
          {
            email: fc.oneof(fc.string(), fc.emailAddress(), fc.integer()),
            password: fc.oneof(fc.string(), fc.constant(null)),
            display_name: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        fc.record(
          {
            refresh_token: fc.oneof(
              fc.string(),
              fc.string().map((s) => `rt_${s}`),
            ),
          },
          { requiredKeys: [] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('register', 'login', 'refresh', 'logout'),
          body,
          async (route, value) => {
            const text = (JSON.stringify(value) as string | undefined) ?? 'null';
            const res = await call(`${h.url}/auth/${route}`, 'POST', text);
            return (
              res.status < 500 &&
              (res.status >= 400 || res.status === 201 || res.status === 200 || res.status === 204)
            );
          },
        ),
        { numRuns: 60 },
      );
    });

    it('never logs a password, token or key', async () => {
      const user = await registerUser(h, 'logged@example.com');
      const key = await call(`${h.url}/me/api-keys`, 'POST', { name: 'k' }, user.access);
      await call(`${h.url}/auth/login`, 'POST', {
        email: 'logged@example.com',
        password: 'wrong password here',
      });
      await call(`${h.url}/auth/refresh`, 'POST', { refresh_token: user.refresh });
      await call(`${h.url}/me`, 'GET', undefined, String(key.body.key));
      // A handler that logs carelessly is still redacted.
      const log = lines.join('');
      expect(log.length).to.be.greaterThan(0);
      for (const secret of [
        PASSWORD,
        'wrong password here',
        user.access,
        user.refresh,
        String(key.body.key),
      ]) {
        expect(log).not.to.include(secret);
      }
    });
  });
});
