import { expect } from 'chai';
import pg from 'pg';
import {
  postgresBinDir,
  postgresUrl,
  redisKeyPrefix,
  redisServerBinary,
  redisUrl,
  startPostgresCluster,
  startRedisServer,
} from './services.ts';
import { redisCommands } from './resp.ts';

async function queryOne(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(sql);
    const [row] = rows;
    if (!row) throw new Error(`no row from ${sql}`);
    return row;
  } finally {
    await client.end();
  }
}

describe('test services', function () {
  this.timeout(120_000);

  describe('postgresUrl', () => {
    it('gives this run a database of its own, the same one on every call', async function () {
      const url = await postgresUrl(this);
      expect(await postgresUrl(this)).to.equal(url);
      const name = new URL(url).pathname.slice(1);
      expect(name).to.match(new RegExp(`^opt_test_${process.pid}_[0-9a-f]{8}$`));
      const row = await queryOne(url, 'SELECT current_database() AS db');
      expect(row.db).to.equal(name);
    });
  });

  describe('redisUrl', () => {
    it('answers PING and stores keys under the run prefix', async function () {
      const url = await redisUrl(this);
      const key = `${redisKeyPrefix()}probe`;
      expect(key).to.match(new RegExp(`^opt_test:${process.pid}_[0-9a-f]{8}:probe$`));
      const replies = await redisCommands(url, [['PING'], ['SET', key, 'v'], ['GET', key]]);
      expect(replies).to.deep.equal(['PONG', 'OK', 'v']);
    });
  });

  describe('throwaway servers', () => {
    it('starts and stops a PostgreSQL cluster on a loopback high port', async function () {
      const bin = postgresBinDir();
      if (!bin) this.skip();
      const cluster = await startPostgresCluster(bin);
      try {
        const port = Number(new URL(cluster.url).port);
        expect(port).to.be.at.least(20_000);
        const row = await queryOne(
          cluster.url,
          "SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen",
        );
        expect(row).to.deep.equal({ fsync: 'off', listen: '127.0.0.1' });
      } finally {
        await cluster.stop();
      }
      let refused = false;
      try {
        await queryOne(cluster.url, 'SELECT 1');
      } catch {
        refused = true;
      }
      expect(refused).to.be.true;
    });

    it('starts and stops a redis-server without persistence', async function () {
      const binary = redisServerBinary();
      if (!binary) this.skip();
      const server = await startRedisServer(binary);
      try {
        const [save, appendonly] = await redisCommands(server.url, [
          ['CONFIG', 'GET', 'save'],
          ['CONFIG', 'GET', 'appendonly'],
        ]);
        expect(save).to.deep.equal(['save', '']);
        expect(appendonly).to.deep.equal(['appendonly', 'no']);
      } finally {
        await server.stop();
      }
      let refused = false;
      try {
        await redisCommands(server.url, [['PING']]);
      } catch {
        refused = true;
      }
      expect(refused).to.be.true;
    });
  });
});
