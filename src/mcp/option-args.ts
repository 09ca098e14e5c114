/**
 * Arguments of the option tools, as lenient as the stock ones (`args.ts`) and as strict where
 * meaning is at stake: a contract is an OCC symbol in any spacing or case, or its parts
 * (underlying, expiration, option_type, strike); legs are objects or JSON text; quantities
 * are whole contracts.
 */
import * as z from 'zod';
import type { OrderSide, PositionIntent } from '../domain/account/index.ts';
import { isValidEquitySymbol, normalizeSymbol } from '../domain/instrument.ts';
import { fmt, parseDecimal } from '../domain/money.ts';
import {
  canonicalOcc,
  ContractError,
  isCalendarDate,
  optionContract,
  parseOcc,
  type OptionContract,
} from '../domain/options/contract.ts';
import { choiceArg, ToolInputError } from './args.ts';

export const OPTION_HINTS: Readonly<Record<string, string>> = {
  symbol:
    'an OCC option symbol such as "AAPL  260116C00280000" (padded) or "AAPL260116C00280000"; options_chain lists them',
  underlying: 'the stock or ETF ticker the options are on, e.g. "AAPL"',
  expiration: 'the expiration date, YYYY-MM-DD (options_chain lists the listed ones)',
  option_type: 'call or put',
  strike: 'the strike price in dollars, e.g. 280 or "282.5"',
  quantity: 'whole contracts (1 contract = 100 shares), e.g. 1 or "2"',
  limit_price:
    'the limit price per share in dollars, e.g. 2.35 ($0.01 steps below $3, $0.05 at or above)',
  legs: 'a list of legs, each {"symbol": "<OCC>", "side": "buy" | "sell", "ratio_qty": 1}, as JSON objects or as JSON text',
};

/** Whole contracts. */
export const contractsArg = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const text = typeof v === 'number' ? String(v) : v.trim().replace(/\s*contracts?$/i, '');
    let qty;
    try {
      qty = parseDecimal(text, 'quantity');
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `quantity must be a number (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    if (!qty.isInteger() || qty.lte(0) || qty.gt(100_000)) {
      ctx.addIssue({
        code: 'custom',
        message: `quantity must be a whole number of contracts from 1 to 100000 (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    return fmt(qty);
  })
  .meta({ description: `Contracts: ${OPTION_HINTS.quantity ?? ''}.`, examples: [1, '2'] });

/** An OCC symbol, normalized to the padded form. */
export const occArg = z
  .string()
  .transform((v, ctx) => {
    const occ = canonicalOcc(v);
    if (occ === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `symbol must be an OCC option symbol such as "AAPL  260116C00280000" (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    return occ;
  })
  .meta({ description: `The option contract: ${OPTION_HINTS.symbol ?? ''}.` });

export const underlyingArg = z
  .string()
  .transform((v, ctx) => {
    const s = normalizeSymbol(v).replace(/^\$/, '');
    if (!isValidEquitySymbol(s)) {
      ctx.addIssue({
        code: 'custom',
        message: `underlying must be a ticker such as "AAPL" (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    return s;
  })
  .meta({ description: `The underlying: ${OPTION_HINTS.underlying ?? ''}.`, examples: ['AAPL'] });

export const expirationArg = z
  .string()
  .transform((v, ctx) => {
    const text = v.trim();
    if (!isCalendarDate(text)) {
      ctx.addIssue({
        code: 'custom',
        message: `expiration must be a date YYYY-MM-DD (got ${JSON.stringify(v)})`,
      });
      return z.NEVER;
    }
    return text;
  })
  .meta({ description: `Expiration: ${OPTION_HINTS.expiration ?? ''}.` });

export const optionTypeArg = choiceArg('option_type', ['call', 'put'] as const, 'call or put.');

/** A positive dollar amount (a strike, a premium, a net price): `$` and numbers as strings accepted. */
export function dollarsArg(name: string, description: string) {
  return z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const text = typeof v === 'number' ? String(v) : v.trim().replace(/^\$\s*/, '');
      let value;
      try {
        if (text.includes(',')) throw new Error('separator');
        value = parseDecimal(text, name);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a number of dollars without thousands separators (got ${JSON.stringify(v)})`,
        });
        return z.NEVER;
      }
      if (!value.gt(0) || value.gte(1_000_000)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be greater than zero (got ${JSON.stringify(v)})`,
        });
        return z.NEVER;
      }
      return fmt(value);
    })
    .meta({ description, examples: [1.2, '2.35'] });
}

/** The contract arguments every single-contract tool takes. */
export const contractShape = {
  symbol: occArg.optional(),
  underlying: underlyingArg.optional(),
  expiration: expirationArg.optional(),
  option_type: optionTypeArg.optional(),
  strike: dollarsArg(
    'strike',
    `Optional with underlying, expiration and option_type: ${OPTION_HINTS.strike ?? ''}.`,
  ).optional(),
};

/** The contract named by `symbol`, or by its parts. */
export function contractFrom(args: {
  readonly symbol?: string | undefined;
  readonly underlying?: string | undefined;
  readonly expiration?: string | undefined;
  readonly option_type?: 'call' | 'put' | undefined;
  readonly strike?: string | undefined;
}): OptionContract {
  if (args.symbol !== undefined) {
    const parsed = parseOcc(args.symbol);
    if (parsed !== undefined) return parsed;
  }
  const missing = (['underlying', 'expiration', 'option_type', 'strike'] as const).find(
    (k) => args[k] === undefined,
  );
  if (args.symbol === undefined && missing !== undefined) {
    throw new ToolInputError(
      args.underlying === undefined ? 'symbol' : missing,
      args.underlying === undefined
        ? 'Missing required argument "symbol"'
        : `Missing argument "${missing}" to name the contract`,
      `Pass symbol: ${OPTION_HINTS.symbol ?? ''} — or underlying, expiration, option_type and strike together.`,
    );
  }
  try {
    return optionContract({
      root: args.underlying ?? '',
      expiration: args.expiration ?? '',
      right: args.option_type ?? 'call',
      strike: args.strike ?? '',
    });
  } catch (error) {
    if (error instanceof ContractError) {
      throw new ToolInputError(
        error.field ?? 'symbol',
        error.message,
        `Pass ${OPTION_HINTS.symbol ?? ''}.`,
      );
    }
    throw error;
  }
}

/** A leg as a tool receives it. */
export interface LegArg {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly ratioQty: string;
  readonly positionIntent?: PositionIntent;
}

const INTENTS = ['buy_to_open', 'buy_to_close', 'sell_to_open', 'sell_to_close'] as const;

/** Legs: an array of objects, or JSON text of one. */
export const legsArg = z
  .union([z.string(), z.array(z.unknown())])
  .transform((v, ctx): LegArg[] => {
    let raw: unknown = v;
    if (typeof v === 'string') {
      try {
        raw = JSON.parse(v);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'legs must be a JSON list of legs (the text is not valid JSON)',
        });
        return z.NEVER;
      }
    }
    if (!Array.isArray(raw) || raw.length < 2 || raw.length > 4) {
      ctx.addIssue({ code: 'custom', message: 'legs must be a list of 2 to 4 legs' });
      return z.NEVER;
    }
    const legs: LegArg[] = [];
    for (const [i, item] of raw.entries()) {
      const leg = (typeof item === 'string' ? safeJson(item) : item) as
        Record<string, unknown> | undefined;
      const symbol = typeof leg?.symbol === 'string' ? canonicalOcc(leg.symbol) : undefined;
      const sideText =
        typeof leg?.side === 'string'
          ? leg.side.trim().toLowerCase()
          : (leg?.action as string | undefined)?.toLowerCase();
      const side = sideText === 'buy' || sideText === 'sell' ? sideText : undefined;
      const ratioRaw = leg?.ratio_qty ?? leg?.ratioQty ?? leg?.ratio ?? 1;
      const ratio =
        typeof ratioRaw === 'number' || typeof ratioRaw === 'string'
          ? Number(ratioRaw)
          : Number.NaN;
      const intentRaw = leg?.position_intent ?? leg?.positionIntent;
      const intent = INTENTS.find((x) => x === intentRaw);
      if (symbol === undefined || side === undefined || !Number.isInteger(ratio) || ratio < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `legs[${i}] must be {"symbol": "<OCC symbol>", "side": "buy" or "sell", "ratio_qty": a whole number ≥ 1} (got ${JSON.stringify(item)})`,
        });
        return z.NEVER;
      }
      if (intentRaw !== undefined && intent === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `legs[${i}].position_intent must be one of ${INTENTS.join(', ')}`,
        });
        return z.NEVER;
      }
      legs.push({
        symbol,
        side,
        ratioQty: String(ratio),
        ...(intent === undefined ? {} : { positionIntent: intent }),
      });
    }
    return legs;
  })
  .meta({ description: `The legs: ${OPTION_HINTS.legs ?? ''}.` });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
