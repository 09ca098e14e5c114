import type { Command } from 'commander';
import { bsm } from '../../domain/options/bsm.ts';
import { impliedVolatility, ImpliedVolatilityError } from '../../domain/options/implied-vol.ts';
import type { CliDeps } from '../deps.ts';

/**
 * `paper-trading options price|iv`: the Black–Scholes–Merton calculator behind the venue's
 * option quotes, on the command line. `price` prints the value and every greek (theta per year
 * and per day, vega per volatility point, rho per rate point); `iv` solves the implied
 * volatility of a price. Rates, yields and volatilities are fractions (`0.05`) or percentages
 * (`5%`). `--json` prints the numbers under the keys `price`, `delta`, `gamma`, `theta`,
 * `theta_per_day`, `vega`, `rho` (and `iv`). Bad input exits 1 with a message.
 */
export function register(program: Command, deps: CliDeps): void {
  const options = program
    .command('options')
    .description('option pricing: Black–Scholes–Merton value, greeks and implied volatility');

  options
    .command('price')
    .description('value and greeks of a European option (continuous dividend yield)')
    .requiredOption('--right <right>', 'call or put')
    .requiredOption('--spot <S>', 'underlying price')
    .requiredOption('--strike <K>', 'strike price')
    .requiredOption('--rate <r>', 'risk-free rate, continuously compounded (0.05 or 5%)')
    .requiredOption('--vol <sigma>', 'volatility (0.2 or 20%)')
    .requiredOption('--years <T>', 'years to expiration (0.5 = six months)')
    .option('--dividend <q>', 'continuous dividend yield (default 0)', '0')
    .option('--json', 'print JSON')
    .action((o: Record<string, string | boolean | undefined>) => {
      const inputs = {
        right: right(o.right),
        spot: number(o.spot, '--spot', { positive: true }),
        strike: number(o.strike, '--strike', { positive: true }),
        rate: number(o.rate, '--rate', { percent: true }),
        volatility: number(o.vol, '--vol', { percent: true, nonNegative: true }),
        years: number(o.years, '--years', { nonNegative: true }),
        dividendYield: number(o.dividend, '--dividend', { percent: true }),
      };
      const g = bsm(inputs);
      const out = {
        price: g.price,
        delta: g.delta,
        gamma: g.gamma,
        theta: g.theta,
        theta_per_day: g.thetaPerDay,
        vega: g.vega,
        rho: g.rho,
      };
      if (o.json === true) {
        deps.stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const pct = (x: number): string => `${+(x * 100).toFixed(6)}%`;
      deps.stdout.write(
        [
          `${inputs.right} S=${inputs.spot} K=${inputs.strike} r=${pct(inputs.rate)} q=${pct(inputs.dividendYield)} vol=${pct(inputs.volatility)} T=${inputs.years}y (Black–Scholes–Merton)`,
          `price          ${out.price.toFixed(4)}`,
          `delta          ${out.delta.toFixed(4)}`,
          `gamma          ${out.gamma.toFixed(4)}`,
          `theta          ${out.theta.toFixed(4)}  per year`,
          `theta_per_day  ${out.theta_per_day.toFixed(4)}  per calendar day`,
          `vega           ${out.vega.toFixed(4)}  per volatility point`,
          `rho            ${out.rho.toFixed(4)}  per rate point`,
          '',
        ].join('\n'),
      );
    });

  options
    .command('iv')
    .description('implied volatility of a European option price')
    .requiredOption('--right <right>', 'call or put')
    .requiredOption('--price <P>', 'option price')
    .requiredOption('--spot <S>', 'underlying price')
    .requiredOption('--strike <K>', 'strike price')
    .requiredOption('--rate <r>', 'risk-free rate (0.05 or 5%)')
    .requiredOption('--years <T>', 'years to expiration')
    .option('--dividend <q>', 'continuous dividend yield (default 0)', '0')
    .option('--json', 'print JSON')
    .action((o: Record<string, string | boolean | undefined>) => {
      let iv: number;
      try {
        iv = impliedVolatility({
          right: right(o.right),
          price: number(o.price, '--price', { nonNegative: true }),
          spot: number(o.spot, '--spot', { positive: true }),
          strike: number(o.strike, '--strike', { positive: true }),
          rate: number(o.rate, '--rate', { percent: true }),
          years: number(o.years, '--years', { positive: true }),
          dividendYield: number(o.dividend, '--dividend', { percent: true }),
        });
      } catch (error) {
        if (error instanceof ImpliedVolatilityError) {
          throw new Error(`${error.message} (${error.code})`, { cause: error });
        }
        throw error;
      }
      deps.stdout.write(
        o.json === true
          ? `${JSON.stringify({ iv })}\n`
          : `implied volatility ${(iv * 100).toFixed(4)}% (${iv.toFixed(6)})\n`,
      );
    });
}

function right(value: unknown): 'call' | 'put' {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'call' || text === 'put') return text;
  throw new Error(`--right must be call or put, got "${String(value)}"`);
}

/** A finite number from an option; `percent` accepts `5%` for 0.05. */
function number(
  value: unknown,
  flag: string,
  rule: {
    readonly percent?: boolean;
    readonly positive?: boolean;
    readonly nonNegative?: boolean;
  } = {},
): number {
  const text = typeof value === 'string' ? value.trim() : '';
  const isPercent = rule.percent === true && text.endsWith('%');
  const digits = isPercent ? text.slice(0, -1).trim() : text;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(digits)) {
    throw new Error(
      `${flag} must be a number${rule.percent === true ? ' (or a percentage such as 5%)' : ''}, got "${text}"`,
    );
  }
  const n = Number(digits) / (isPercent ? 100 : 1);
  if (rule.positive === true && !(n > 0))
    throw new Error(`${flag} must be greater than zero, got ${text}`);
  if (rule.nonNegative === true && n < 0)
    throw new Error(`${flag} must not be negative, got ${text}`);
  return n;
}
