/**
 * Small, fast, seeded randomness. Every random draw in the simulator comes from a generator
 * keyed by (seed, symbol, purpose, index), so any quote or bar can be computed on its own,
 * in any order, and comes out the same on every machine.
 */

/** FNV-1a over UTF-16 code units, finished with a murmur3 avalanche. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avalanche(h);
}

/** murmur3's 32-bit finaliser. */
function avalanche(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines two 32-bit values into one, order-sensitive. */
export function mix(a: number, b: number): number {
  return avalanche(Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) + avalanche(b ^ 0x27d4eb2f));
}

const TWO_POW_32 = 4_294_967_296;

/**
 * The 32-bit seed of one random stream. `index` may be any non-negative integer up to 2^53
 * (a tick number, a day number, …).
 */
export function streamSeed(seed: number, symbol: string, purpose: string, index: number): number {
  const low = index % TWO_POW_32;
  const high = Math.floor(index / TWO_POW_32);
  return mix(mix(mix(seed, hashString(symbol)), hashString(purpose)), mix(low, high));
}

/** A mulberry32 generator: 32 bits of state, good enough statistics for a price model. */
export class Random {
  #state: number;
  #spareNormal: number | undefined;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A stream keyed by (seed, symbol, purpose, index). */
  static for(seed: number, symbol: string, purpose: string, index: number): Random {
    return new Random(streamSeed(seed, symbol, purpose, index));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    const spare = this.#spareNormal;
    if (spare !== undefined) {
      this.#spareNormal = undefined;
      return spare;
    }
    const u1 = 1 - this.next();
    const u2 = this.next();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** Exponential with mean 1 (cheaper than a normal where only a positive size is needed). */
  exponential(): number {
    return -Math.log(1 - this.next());
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Turns a configured seed (`MARKET_SEED` may be a number or any text) into 32 bits. */
export function normalizeSeed(seed: string | number): number {
  return hashString(`seed:${String(seed)}`);
}
