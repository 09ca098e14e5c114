import { expect } from 'chai';
import { ConfigError, MIN_JWT_SECRET_LENGTH, loadConfig, parsePort } from '../src/config.ts';

const SECRET = 'x'.repeat(MIN_JWT_SECRET_LENGTH);

/** The one-line message `loadConfig` throws for `env`. */
function errorFor(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).to.match(/^Invalid configuration: /);
    expect(message).not.to.include('\n');
    return message;
  }
  expect.fail(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('config', () => {
  it('has documented defaults for an empty environment', () => {
    expect(loadConfig({})).to.deep.equal({
      port: 8080,
      dataDir: './.data',
      databaseUrl: undefined,
      eventStore: 'postgres',
      eventStoreAdapter: 'pglite',
      esdbConnectionString: undefined,
      redisUrl: undefined,
      jwtSecret: undefined,
      nodeEnv: 'development',
      marketFeed: 'simulated',
      replayFrom: undefined,
      replayTo: undefined,
      replaySpeed: 1,
      marketSeed: 42,
      marketClock: 'simulated',
      logLevel: 'info',
      corsOrigins: [],
      trustProxy: 0,
      readWaitMs: 2000,
      pgliteVacuumMs: 10_000,
      marketStart: undefined,
      marketSpeed: 1,
      riskFreeRate: 0.04,
      dividendYields: {},
    });
  });

  it('reads READ_WAIT_MS as milliseconds up to a minute', () => {
    expect(loadConfig({ READ_WAIT_MS: '500' }).readWaitMs).to.equal(500);
    expect(loadConfig({ RISK_FREE_RATE: '0.05' }).riskFreeRate).to.equal(0.05);
    expect(
      loadConfig({ MARKET_START: '2025-03-07T20:59:00Z' }).marketStart?.toISOString(),
    ).to.equal('2025-03-07T20:59:00.000Z');
    expect(loadConfig({ MARKET_SPEED: '60' }).marketSpeed).to.equal(60);
    expect(() => loadConfig({ MARKET_SPEED: '0' })).to.throw(
      /MARKET_SPEED must be a positive number/,
    );
    expect(loadConfig({ DIVIDEND_YIELDS: 'aapl=0.01, KO=0.03' }).dividendYields).to.deep.equal({
      AAPL: 0.01,
      KO: 0.03,
    });
    expect(() => loadConfig({ RISK_FREE_RATE: '4%' })).to.throw(
      /RISK_FREE_RATE must be a decimal fraction/,
    );
    expect(() => loadConfig({ DIVIDEND_YIELDS: 'AAPL' })).to.throw(
      /DIVIDEND_YIELDS must be SYMBOL=yield/,
    );
    expect(loadConfig({ READ_WAIT_MS: '0' }).readWaitMs).to.equal(0);
    expect(errorFor({ READ_WAIT_MS: '60001' })).to.include('READ_WAIT_MS must be an integer');
    expect(errorFor({ READ_WAIT_MS: '2s' })).to.include('READ_WAIT_MS must be an integer');
  });

  it('reads PGLITE_VACUUM_MS as milliseconds up to an hour, 0 turning it off', () => {
    expect(loadConfig({ PGLITE_VACUUM_MS: '2500' }).pgliteVacuumMs).to.equal(2500);
    expect(loadConfig({ PGLITE_VACUUM_MS: '0' }).pgliteVacuumMs).to.equal(0);
    expect(errorFor({ PGLITE_VACUUM_MS: '3600001' })).to.include(
      'PGLITE_VACUUM_MS must be an integer between 0 and 3600000',
    );
    expect(errorFor({ PGLITE_VACUUM_MS: '-1' })).to.include('PGLITE_VACUUM_MS must be an integer');
  });

  it('reads CORS_ORIGINS as a trimmed list of origins', () => {
    expect(
      loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,' }).corsOrigins,
    ).to.deep.equal(['https://app.example.com', 'http://localhost:5173']);
  });

  it('refuses a CORS origin with a path or another scheme', () => {
    expect(errorFor({ CORS_ORIGINS: 'https://app.example.com/path' })).to.include(
      'CORS_ORIGINS must be a comma-separated list of origins',
    );
    expect(errorFor({ CORS_ORIGINS: 'ftp://x.example' })).to.include('CORS_ORIGINS');
  });

  it('reads TRUST_PROXY as a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(errorFor({ TRUST_PROXY: 'yes' })).to.include('TRUST_PROXY must be an integer');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', EVENT_STORE: '', LOG_LEVEL: '' })).to.include({
      port: 8080,
      eventStore: 'postgres',
      logLevel: 'info',
    });
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).to.equal(8080);
  });

  it('reports every invalid variable on one line', () => {
    const message = errorFor({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(message).to.include('PORT must be');
    expect(message).to.include('LOG_LEVEL must be');
  });

  it('lists the issues with their variables', () => {
    try {
      loadConfig({ PORT: 'abc', MARKET_SEED: '-1' });
      expect.fail('expected a ConfigError');
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.variable)).to.deep.equal([
        'PORT',
        'MARKET_SEED',
      ]);
    }
  });

  describe('PORT', () => {
    for (const [value, port] of [
      ['1', 1],
      ['3000', 3000],
      ['65535', 65535],
    ] as const) {
      it(`accepts ${value}`, () => {
        expect(loadConfig({ PORT: value }).port).to.equal(port);
      });
    }
    for (const value of ['abc', '0', '65536', '-1', '80.5', '1e3', ' 80', '0x50']) {
      it(`rejects ${JSON.stringify(value)}`, () => {
        expect(errorFor({ PORT: value })).to.equal(
          `Invalid configuration: PORT must be an integer between 1 and 65535 (got ${JSON.stringify(value)})`,
        );
      });
    }
    it('parsePort applies the same rule to --port', () => {
      expect(parsePort('8081')).to.equal(8081);
      expect(parsePort('0')).to.equal(undefined);
      expect(parsePort('http')).to.equal(undefined);
    });
  });

  describe('DATA_DIR', () => {
    it('accepts a path', () => {
      expect(loadConfig({ DATA_DIR: '/var/lib/paper-trading' }).dataDir).to.equal(
        '/var/lib/paper-trading',
      );
    });
  });

  describe('DATABASE_URL and EVENT_STORE', () => {
    it('selects PostgreSQL when DATABASE_URL is set', () => {
      const config = loadConfig({ DATABASE_URL: 'postgres://app@db:5432/trading' });
      expect(config.databaseUrl).to.equal('postgres://app@db:5432/trading');
      expect(config.eventStoreAdapter).to.equal('postgres');
    });
    it('accepts the postgresql:// scheme', () => {
      expect(loadConfig({ DATABASE_URL: 'postgresql://db/trading' }).eventStoreAdapter).to.equal(
        'postgres',
      );
    });
    it('rejects another scheme without echoing the password', () => {
      const message = errorFor({ DATABASE_URL: 'mysql://app:hunter2@db/trading' });
      expect(message).to.include('DATABASE_URL must be a PostgreSQL URL');
      expect(message).not.to.include('hunter2');
    });
    it('rejects a value that is not a URL without echoing it', () => {
      const message = errorFor({ DATABASE_URL: 'hunter2' });
      expect(message).to.equal(
        'Invalid configuration: DATABASE_URL must be a PostgreSQL URL (postgres:// or postgresql://) (got a value that is not a URL)',
      );
    });
    it('selects the memory store', () => {
      expect(loadConfig({ EVENT_STORE: 'memory' })).to.include({
        eventStore: 'memory',
        eventStoreAdapter: 'memory',
      });
    });
    it('rejects an unknown EVENT_STORE', () => {
      expect(errorFor({ EVENT_STORE: 'mongo' })).to.equal(
        'Invalid configuration: EVENT_STORE must be one of postgres, esdb, memory (got "mongo")',
      );
    });
  });

  describe('ESDB_CONNECTION_STRING', () => {
    it('is required when EVENT_STORE=esdb', () => {
      expect(errorFor({ EVENT_STORE: 'esdb' })).to.equal(
        'Invalid configuration: ESDB_CONNECTION_STRING is required when EVENT_STORE=esdb',
      );
    });
    it('selects the esdb adapter', () => {
      const config = loadConfig({
        EVENT_STORE: 'esdb',
        ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false',
      });
      expect(config.eventStoreAdapter).to.equal('esdb');
      expect(config.esdbConnectionString).to.equal('esdb://localhost:2113?tls=false');
    });
    it('accepts kurrentdb:// and esdb+discover://', () => {
      for (const url of ['kurrentdb://localhost:2113', 'esdb+discover://cluster.dns:2113']) {
        expect(loadConfig({ ESDB_CONNECTION_STRING: url }).esdbConnectionString).to.equal(url);
      }
    });
    it('rejects an http URL', () => {
      expect(errorFor({ ESDB_CONNECTION_STRING: 'http://localhost:2113' })).to.include(
        'ESDB_CONNECTION_STRING must be an EventStoreDB URL',
      );
    });
  });

  describe('REDIS_URL', () => {
    it('accepts redis:// and rediss://', () => {
      expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl).to.equal(
        'redis://127.0.0.1:6379/2',
      );
      expect(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).redisUrl).to.equal(
        'rediss://cache:6380',
      );
    });
    it('rejects another scheme and masks the password', () => {
      const message = errorFor({ REDIS_URL: 'http://:s3cret@cache:6379' });
      expect(message).to.equal(
        'Invalid configuration: REDIS_URL must be a Redis URL (redis:// or rediss://) (got "http://:***@cache:6379/")',
      );
    });
  });

  describe('JWT_SECRET and NODE_ENV', () => {
    it('is optional outside production', () => {
      expect(loadConfig({ NODE_ENV: 'development' }).jwtSecret).to.equal(undefined);
      expect(loadConfig({ NODE_ENV: 'test' }).nodeEnv).to.equal('test');
    });
    it('is required in production', () => {
      expect(errorFor({ NODE_ENV: 'production' })).to.equal(
        `Invalid configuration: JWT_SECRET is required when NODE_ENV=production (at least ${MIN_JWT_SECRET_LENGTH} characters)`,
      );
    });
    it('is accepted in production when long enough', () => {
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET })).to.include({
        nodeEnv: 'production',
        jwtSecret: SECRET,
      });
    });
    it('rejects a short secret without echoing it', () => {
      const message = errorFor({ JWT_SECRET: 'swordfish' });
      expect(message).to.equal(
        `Invalid configuration: JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters long (got 9 characters)`,
      );
    });
    it('rejects an unknown NODE_ENV', () => {
      expect(errorFor({ NODE_ENV: 'prod' })).to.equal(
        'Invalid configuration: NODE_ENV must be one of development, test, production (got "prod")',
      );
    });
  });

  describe('MARKET_FEED and REPLAY_*', () => {
    it('defaults to the simulated feed', () => {
      expect(loadConfig({}).marketFeed).to.equal('simulated');
    });
    it('accepts a replay window and speed', () => {
      const config = loadConfig({
        MARKET_FEED: 'replay',
        REPLAY_FROM: '2024-01-02',
        REPLAY_TO: '2024-03-28T20:00:00Z',
        REPLAY_SPEED: '60',
      });
      expect(config.marketFeed).to.equal('replay');
      expect(config.replayFrom?.toISOString()).to.equal('2024-01-02T00:00:00.000Z');
      expect(config.replayTo?.toISOString()).to.equal('2024-03-28T20:00:00.000Z');
      expect(config.replaySpeed).to.equal(60);
    });
    it('accepts fractional speeds and offsets', () => {
      const config = loadConfig({ REPLAY_FROM: '2024-01-02T09:30:00-05:00', REPLAY_SPEED: '0.5' });
      expect(config.replayFrom?.toISOString()).to.equal('2024-01-02T14:30:00.000Z');
      expect(config.replaySpeed).to.equal(0.5);
    });
    it('needs REPLAY_FROM for a replay', () => {
      expect(errorFor({ MARKET_FEED: 'replay' })).to.equal(
        'Invalid configuration: REPLAY_FROM is required when MARKET_FEED=replay',
      );
    });
    it('rejects an unknown feed', () => {
      expect(errorFor({ MARKET_FEED: 'live' })).to.include(
        'MARKET_FEED must be one of simulated, replay (got "live")',
      );
    });
    for (const value of [
      'yesterday',
      '2024-02-30',
      '2024-13-01',
      '2024-01-02T25:00:00Z',
      '2024-01-02T10:00',
    ]) {
      it(`rejects REPLAY_FROM=${value}`, () => {
        expect(errorFor({ REPLAY_FROM: value })).to.include(
          `REPLAY_FROM must be an ISO-8601 date (2024-01-31) or date-time with offset (2024-01-31T14:30:00Z) (got "${value}")`,
        );
      });
    }
    it('rejects a REPLAY_TO that is not after REPLAY_FROM', () => {
      expect(errorFor({ REPLAY_FROM: '2024-02-01', REPLAY_TO: '2024-02-01' })).to.equal(
        'Invalid configuration: REPLAY_TO must be later than REPLAY_FROM (got "2024-02-01")',
      );
    });
    for (const value of ['0', '-1', 'fast', '1e3']) {
      it(`rejects REPLAY_SPEED=${value}`, () => {
        expect(errorFor({ REPLAY_SPEED: value })).to.equal(
          `Invalid configuration: REPLAY_SPEED must be a positive number (got "${value}")`,
        );
      });
    }
  });

  describe('MARKET_SEED', () => {
    it('accepts a non-negative integer', () => {
      expect(loadConfig({ MARKET_SEED: '0' }).marketSeed).to.equal(0);
      expect(loadConfig({ MARKET_SEED: '20240102' }).marketSeed).to.equal(20240102);
    });
    for (const value of ['-5', '1.5', 'seed', '9007199254740992']) {
      it(`rejects ${value}`, () => {
        expect(errorFor({ MARKET_SEED: value })).to.include(
          `MARKET_SEED must be a non-negative integer (at most 2^53 - 1) (got "${value}")`,
        );
      });
    }
  });

  describe('MARKET_CLOCK', () => {
    it('accepts real', () => {
      expect(loadConfig({ MARKET_CLOCK: 'real' }).marketClock).to.equal('real');
    });
    it('rejects an unknown clock', () => {
      expect(errorFor({ MARKET_CLOCK: 'wall' })).to.include(
        'MARKET_CLOCK must be one of simulated, real (got "wall")',
      );
    });
  });

  describe('LOG_LEVEL', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
      it(`accepts ${level}`, () => {
        expect(loadConfig({ LOG_LEVEL: level }).logLevel).to.equal(level);
      });
    }
    it('rejects an unknown level', () => {
      expect(errorFor({ LOG_LEVEL: 'verbose' })).to.include('LOG_LEVEL must be one of');
    });
  });
});
