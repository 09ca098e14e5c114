import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` of @node-rs/argon2 (an ambient const enum, not importable as a value). */
const ARGON2ID = 2;

/**
 * argon2id parameters: OWASP's first recommended configuration (19 MiB memory, 2 passes,
 * 1 lane), about 20-40 ms per hash on one core of a small server. Parameters are stored in the
 * PHC string, so raising them later only affects new hashes (docs/security.md).
 */
export const ARGON2_PARAMS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or a malformed hash; never throws for those. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Verifies against a fixed hash of a random password, so a login for an unknown e-mail costs
   * what a wrong password costs and answers the same way.
   */
  verifyDummy(password: string): Promise<void>;
}

export function argon2Hasher(
  params: { readonly memoryCost?: number; readonly timeCost?: number } = {},
): PasswordHasher {
  const options = { ...ARGON2_PARAMS, ...params };
  let dummy: Promise<string> | undefined;
  const check = async (passwordHash: string, password: string): Promise<boolean> => {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => hash(password, options),
    verify: check,
    async verifyDummy(password) {
      dummy ??= hash(crypto.randomUUID(), options);
      await check(await dummy, password);
    },
  };
}
