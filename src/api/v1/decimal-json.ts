/**
 * Exact numbers from JSON. `JSON.parse` turns `"limit_price": 190.10000000000001` into the
 * double 190.1, silently; an order must be priced at what the client wrote. So routes that
 * take money or quantities re-read the request's raw text (kept by `express.json`'s `verify`,
 * see `app.ts`) with every number literal turned into the string of its digits, and the
 * schemas accept decimal strings only — a JSON number arrives as exactly the text it was.
 */
import type { Request } from 'express';
import { z } from 'zod';
import type { RawBodyRequest } from '../app.ts';
import { Dec } from '../../domain/decimal.ts';
import { fmt, type DecimalString } from '../../domain/money.ts';

/**
 * Rewrites valid JSON text so every number literal becomes a string literal of the same
 * characters (`{"qty":1.50}` → `{"qty":"1.50"}`). Strings, keys and escapes are untouched.
 */
export function quoteNumbers(json: string): string {
  let out = '';
  let i = 0;
  const n = json.length;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      i += 1;
      while (i < n) {
        const d = json.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) {
          i += 1;
          break;
        } else i += 1;
      }
      out += json.slice(start, i);
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i += 1;
      while (i < n && /[0-9eE.+-]/.test(json.charAt(i))) i += 1;
      out += `"${json.slice(start, i)}"`;
    } else {
      out += json.charAt(i);
      i += 1;
    }
  }
  return out;
}

/**
 * The request body with numbers as their exact text. Falls back to the parsed body (numbers
 * through their shortest string form) when the raw text is not available.
 */
export function exactBody(req: Request): unknown {
  const raw = (req as Request & RawBodyRequest).rawBody;
  if (raw === undefined || raw.length === 0) return req.body as unknown;
  try {
    return JSON.parse(quoteNumbers(raw.toString('utf8'))) as unknown;
  } catch {
    return req.body as unknown;
  }
}

const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Limits of a wire decimal. */
export interface DecimalRule {
  /** Largest number of fractional digits (after normalisation; trailing zeros do not count). */
  readonly maxDecimals: number;
  /** Inclusive upper bound. */
  readonly max: string;
  /** `positive` (> 0, default) or `non_negative` (≥ 0). */
  readonly sign?: 'positive' | 'non_negative';
}

/**
 * A decimal as JSON carries it: a string (`"190.10"`) or a number (`190.10`, read from the raw
 * text by {@link exactBody}), normalised to the canonical spelling (`"190.1"`). Exponents are
 * accepted (`1e2` → `"100"`); more fractional digits than `maxDecimals`, a value beyond `max`
 * or the wrong sign are validation errors naming the field.
 */
export function decimal(rule: DecimalRule) {
  const sign = rule.sign ?? 'positive';
  const max = new Dec(rule.max);
  return z
    .union([z.string(), z.number()], {
      error: (issue) =>
        issue.input === undefined
          ? 'is required'
          : 'must be a decimal number, as a string ("190.25") or a JSON number',
    })
    .transform((input, ctx): DecimalString => {
      const text = typeof input === 'number' ? String(input) : input.trim();
      if (!DECIMAL_TEXT.test(text) || text.length > 64) {
        ctx.addIssue({ code: 'custom', message: `must be a decimal number, got "${text}"` });
        return z.NEVER;
      }
      const value = new Dec(text);
      if (sign === 'positive' ? value.lte(0) : value.isNegative()) {
        ctx.addIssue({
          code: 'custom',
          message: sign === 'positive' ? 'must be greater than zero' : 'must be zero or more',
        });
        return z.NEVER;
      }
      if (value.decimalPlaces() > rule.maxDecimals) {
        ctx.addIssue({
          code: 'custom',
          message: `must have at most ${rule.maxDecimals} decimal places`,
        });
        return z.NEVER;
      }
      if (value.gt(max)) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${rule.max}` });
        return z.NEVER;
      }
      return fmt(value);
    })
    .meta({
      description: `A decimal as a string (preferred) or a JSON number, read exactly as written (no floating-point rounding); at most ${rule.maxDecimals} decimal places.`,
    });
}

/** A share quantity: positive, up to 9 decimals. */
export const quantity = () => decimal({ maxDecimals: 9, max: '100000000' });
/** A price: positive, up to 9 decimals (the tick size rule is the domain's). */
export const price = () => decimal({ maxDecimals: 9, max: '100000000' });
/** A cash amount: whole cents. */
export const cash = (sign: 'positive' | 'non_negative' = 'positive') =>
  decimal({ maxDecimals: 2, max: '1000000000000', sign });
/** A percentage (`"2.5"` = 2.5 %). */
export const percent = () => decimal({ maxDecimals: 4, max: '100' });
