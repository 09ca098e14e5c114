import { mkdirSync, mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { pino } from 'pino';
import { createSecurity, type Security } from '../../src/api/security.ts';
import { DataDirBusy, LOCK_FILE, lockDataDir } from '../../src/mcp/data-dir-lock.ts';
import {
  apiKeyIdentity,
  LOCAL_INITIAL_CASH,
  LOCAL_TRADER_EMAIL,
  localAccountId,
  localIdentity,
} from '../../src/mcp/local.ts';
import { TEST_SECRET, testHasher } from '../auth/harness.ts';
import { startVenue, type Venue } from './harness.ts';

describe('stdio identity: the local trader and PAPER_TRADING_API_KEY', function () {
  this.timeout(60_000);
  let venue: Venue;
  let security: Security;

  before(async () => {
    venue = await startVenue();
    security = await createSecurity({
      config: {
        jwtSecret: TEST_SECRET,
        dataDir: mkdtempSync(path.join(tmpdir(), 'opt-local-')),
        redisUrl: undefined,
      },
      eventStore: venue.store,
      readModels: venue.readModels,
      logger: pino({ level: 'silent' }),
      hasher: testHasher,
    });
  });

  after(async () => {
    await security.close();
    await venue.close();
  });

  it('creates the local trader and a 100,000 USD default account once, and finds them again', async () => {
    const deps = { users: security.users, accounts: venue.service };
    const first = await localIdentity(deps);
    expect(first.principal).to.include({ via: 'cli' });
    expect(first.principal.roles).to.deep.equal(['trader']);
    expect(first.defaultAccountId).to.equal(localAccountId(first.principal.userId));
    const { state } = await venue.service.load(first.defaultAccountId ?? '');
    expect(state).to.include({
      status: 'open',
      cash: LOCAL_INITIAL_CASH,
      ownerId: first.principal.userId,
    });
    expect(await security.users.findUserIdByEmail(LOCAL_TRADER_EMAIL)).to.equal(
      first.principal.userId,
    );

    const head = await venue.store.headPosition();
    const again = await localIdentity(deps);
    expect(again).to.deep.equal(first);
    expect(await venue.store.headPosition()).to.equal(head);
  });

  it('acts as the owner of a valid API key and refuses an invalid one by name', async () => {
    const context = { source: 'test' as const, correlationId: 'test' };
    const { userId } = await security.users.register(
      { email: 'agent-owner@example.com', password: 'agent-owner-password-1' },
      context,
    );
    const key = await security.users.createApiKey(
      { userId, roles: ['trader'], via: 'access_token' },
      { name: 'stdio', scopes: ['trade'] },
      context,
    );
    const identity = await apiKeyIdentity({ users: security.users }, ` ${key.key} `);
    expect(identity.principal).to.include({ userId, via: 'api_key', keyId: key.id });
    expect(identity.defaultAccountId).to.equal(undefined);
    let failure: unknown;
    try {
      await apiKeyIdentity({ users: security.users }, 'opt_nonsense');
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/PAPER_TRADING_API_KEY is not a valid API key here/);
  });

  it('derives the same account id from the same user id', () => {
    expect(localAccountId('u1')).to.equal(localAccountId('u1'));
    expect(localAccountId('u1')).to.not.equal(localAccountId('u2'));
    expect(localAccountId('u1')).to.match(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('DATA_DIR lock', () => {
  it('is taken, refused to a second holder while its holder lives, and released', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opt-lock-'));
    const release = lockDataDir(dir, 'mcp');
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(true);
    // A live process (the test runner's parent) holds it.
    writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.ppid, command: 'mcp', startedAt: '2025-03-03T15:00:00Z' }),
    );
    expect(() => lockDataDir(dir, 'mcp')).to.throw(
      DataDirBusy,
      new RegExp(`in use by \`paper-trading mcp\` \\(pid ${process.ppid}.*DATABASE_URL`),
    );
    release(); // not ours any more: left in place
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(true);
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opt-lock-'));
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid ?? 0;
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(
      path.join(dir, LOCK_FILE),
      JSON.stringify({ pid, command: 'mcp', startedAt: '' }),
    );
    mkdirSync(path.join(dir, 'pglite'));
    writeFileSync(path.join(dir, 'pglite', 'postmaster.pid'), '-42\n');
    const release = lockDataDir(dir, 'mcp');
    release();
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
  });

  it('refuses a database another process has open without a lock (serve)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opt-lock-'));
    mkdirSync(path.join(dir, 'pglite'));
    writeFileSync(path.join(dir, 'pglite', 'postmaster.pid'), '-42\n');
    expect(() => lockDataDir(dir, 'mcp')).to.throw(
      DataDirBusy,
      /paper-trading serve.*postmaster\.pid/,
    );
    expect(existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
  });
});
