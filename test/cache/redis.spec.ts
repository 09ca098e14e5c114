import { randomBytes } from 'node:crypto';
import { RedisCache } from '../../src/cache/redis.ts';
import { redisKeyPrefix, redisUrl } from '../support/services.ts';
import { cacheContract } from './contract.ts';
import { cachedKindsContract } from './kinds.ts';

describe('cache contract: redis', () => {
  let url: string;
  before(async function () {
    url = await redisUrl(this);
  });

  const target = {
    async open() {
      // A prefix per test: every test starts from an empty keyspace on the shared server.
      const cache = await RedisCache.connect({
        url,
        keyPrefix: `${redisKeyPrefix()}cache:${randomBytes(4).toString('hex')}:`,
      });
      return { cache, dispose: () => cache.close() };
    },
  };
  cacheContract(target);
  cachedKindsContract(target);
});
