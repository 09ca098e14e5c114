/**
 * The standard normal distribution in double precision, fast enough for tight pricing loops.
 *
 * The cumulative distribution is Hart's algorithm 5666 (1968) as given by Graeme West, "Better
 * approximations to cumulative normal functions" (Wilmott Magazine, 2005): a rational function
 * of |x| times exp(−x²/2) below 7.07 and a continued fraction beyond, accurate to about 1e-14.
 * It takes exp(−x²/2) as an argument so a caller that also needs the density computes the
 * exponential once.
 */

/** 1 / √(2π). */
export const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * N(x) given `e` = exp(−x²/2) (pass it when you have it: the density is `e / √(2π)`).
 * Exact to about 1e-14 absolute.
 */
export function normalCdfWith(x: number, e: number): number {
  const a = x < 0 ? -x : x;
  let tail: number;
  if (a > 37) {
    tail = 0;
  } else if (a < 7.07106781186547) {
    let n = 3.52624965998911e-2 * a + 0.700383064443688;
    n = n * a + 6.37396220353165;
    n = n * a + 33.912866078383;
    n = n * a + 112.079291497871;
    n = n * a + 221.213596169931;
    n = n * a + 220.206867912376;
    let d = 8.83883476483184e-2 * a + 1.75566716318264;
    d = d * a + 16.064177579207;
    d = d * a + 86.7807322029461;
    d = d * a + 296.564248779674;
    d = d * a + 637.333633378831;
    d = d * a + 793.826512519948;
    d = d * a + 440.413735824752;
    tail = (e * n) / d;
  } else {
    let b = a + 0.65;
    b = a + 4 / b;
    b = a + 3 / b;
    b = a + 2 / b;
    b = a + 1 / b;
    tail = e / b / 2.506628274631;
  }
  return x > 0 ? 1 - tail : tail;
}

/** Standard normal cumulative distribution N(x). */
export function normalCdf(x: number): number {
  return normalCdfWith(x, Math.exp(-0.5 * x * x));
}
