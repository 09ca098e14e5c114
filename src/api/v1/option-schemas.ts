/**
 * Wire schemas of the option routes: chains and contracts (market data with greeks), the
 * multi-leg order body accepted by `POST /accounts/{id}/orders`, option positions grouped by
 * underlying, and exercise. Prices of record are exact decimal strings; greeks, implied
 * volatility and model values are JSON numbers (analytics, not money).
 */
import { z } from 'zod';
import { Dec } from '../../domain/decimal.ts';
import { fmt, type DecimalString } from '../../domain/money.ts';
import { ORDER_SIDES, POSITION_INTENTS } from './schemas.ts';
import { quantity } from './decimal-json.ts';

const Decimal = z
  .string()
  .meta({ description: 'An exact decimal number as a string', example: '2.35' });
const NullableDecimal = Decimal.nullable();

/** A signed decimal (a net price: positive a debit, negative a credit). */
export function signedDecimal(maxDecimals = 9) {
  return z
    .union([z.string(), z.number()], {
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'must be a decimal number such as "-1.25"',
    })
    .transform((input, ctx): DecimalString => {
      const text = typeof input === 'number' ? String(input) : input.trim();
      if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(text) || text.length > 32) {
        ctx.addIssue({ code: 'custom', message: `must be a decimal number, got "${text}"` });
        return z.NEVER;
      }
      const value = new Dec(text);
      if (value.decimalPlaces() > maxDecimals || value.abs().gt(100_000)) {
        ctx.addIssue({
          code: 'custom',
          message: `must have at most ${maxDecimals} decimal places and be within ±100000`,
        });
        return z.NEVER;
      }
      return fmt(value);
    });
}

/** An OCC option symbol: padded (`AAPL  260116C00280000`) or compact (`AAPL260116C00280000`). */
export const OccSymbol = z
  .string()
  .trim()
  .min(16)
  .max(32)
  .meta({ description: 'OCC option symbol, padded or compact', example: 'AAPL  260116C00280000' });

export const OrderLegBody = z
  .object({
    symbol: OccSymbol,
    side: z.enum(ORDER_SIDES),
    ratio_qty: quantity()
      .default('1')
      .meta({ description: 'Contracts per unit of qty (default 1)' }),
    position_intent: z.enum(POSITION_INTENTS).optional(),
  })
  .strict()
  .meta({ id: 'OrderLeg' });

/** `POST /accounts/{id}/orders` with `legs`: a multi-leg option order (Alpaca's `mleg`). */
export const MultiLegOrderBody = z
  .object({
    order_class: z.literal('mleg').default('mleg'),
    type: z.enum(['market', 'limit']),
    qty: quantity().meta({ description: 'Units of the combination (whole)', example: '1' }),
    limit_price: signedDecimal().optional().meta({
      description:
        'Net price per unit, per share: positive a debit you pay, negative a credit you receive (`-1.20` = at least 1.20 credit). Required for limit orders; in cents.',
      example: '-1.20',
    }),
    time_in_force: z.literal('day').default('day').meta({ description: 'Options are day only' }),
    client_order_id: z.string().min(1).max(128).optional(),
    legs: z.array(OrderLegBody).min(2).max(4),
  })
  .strict()
  .meta({
    id: 'MultiLegOrderRequest',
    description:
      'A multi-leg option order: 2–4 legs on one underlying, filled all-or-none at a net price in one decision (one fill per leg).',
  });
export type MultiLegOrderBody = z.output<typeof MultiLegOrderBody>;

const Greeks = z
  .object({
    delta: z.number(),
    gamma: z.number(),
    theta: z.number().meta({ description: 'Per year' }),
    theta_per_day: z.number().meta({ description: 'Per calendar day (÷ 365)' }),
    vega: z.number().meta({ description: 'Per volatility point (1 % of σ)' }),
    rho: z.number().meta({ description: 'Per percentage point of the rate' }),
  })
  .meta({ id: 'Greeks', description: 'Black–Scholes–Merton greeks per share of one contract' });

const OptionQuote = z
  .object({
    bid: Decimal,
    ask: Decimal,
    bid_size: z.number().int().meta({ description: 'Contracts at the bid' }),
    ask_size: z.number().int().meta({ description: 'Contracts at the ask' }),
    last: Decimal,
    time: z.string(),
    seq: z.number().int(),
    source: z.enum(['simulated', 'replay', 'test']),
  })
  .meta({ id: 'OptionQuote' });

export const OptionContractSchema = z
  .object({
    symbol: z.string().meta({ description: 'OCC symbol (padded)' }),
    underlying: z.string(),
    expiration: z.string().meta({ description: 'Last trading day, YYYY-MM-DD' }),
    type: z.enum(['call', 'put']),
    strike: Decimal,
    multiplier: z.number().int(),
    style: z.literal('american'),
    quote: OptionQuote,
    theoretical_price: z.number().meta({ description: 'Model value per share' }),
    implied_volatility: z.number(),
    greeks: Greeks,
    volume: z.number().int(),
    open_interest: z.number().int(),
    underlying_price: z.number(),
    days_to_expiration: z.number().int(),
    simulated: z.boolean(),
  })
  .meta({ id: 'OptionContract' });

export const OptionChainSchema = z
  .object({
    underlying: z.string(),
    underlying_price: z.number(),
    as_of: z.string().meta({ description: 'Valuation instant (the underlying quote time)' }),
    risk_free_rate: z.number(),
    dividend_yield: z.number(),
    expirations: z.array(z.string()).meta({ description: 'Every listed expiration' }),
    simulated: z.boolean(),
    count: z.number().int(),
    contracts: z.array(OptionContractSchema),
  })
  .meta({ id: 'OptionChain' });

export const ChainQuery = z
  .object({
    expiration: z.iso.date().optional().meta({ description: 'Only this expiration (YYYY-MM-DD)' }),
    strike_gte: z.coerce.number().positive().optional(),
    strike_lte: z.coerce.number().positive().optional(),
    type: z.enum(['call', 'put']).optional(),
  })
  .strict();

export const UnderlyingParams = z.object({
  underlying: z
    .string()
    .regex(/^[A-Za-z][A-Za-z.]{0,9}$/, 'A ticker such as AAPL')
    .meta({ example: 'AAPL' }),
});

export const ContractParams = z.object({ symbol: OccSymbol });

const PositionGreeks = z
  .object({
    delta: z.number().meta({ description: 'Share-equivalent delta' }),
    gamma: z.number(),
    theta: z.number(),
    theta_per_day: z.number(),
    vega: z.number(),
    rho: z.number(),
  })
  .meta({ id: 'PositionGreeks', description: 'Greeks × signed contracts × multiplier' });

export const OptionPositionSchema = z
  .object({
    symbol: z.string(),
    underlying: z.string(),
    expiration: z.string(),
    type: z.enum(['call', 'put']),
    strike: Decimal,
    multiplier: z.number().int(),
    qty: Decimal.meta({ description: 'Signed contracts (negative: short); 0 once ended' }),
    side: z.enum(['long', 'short', 'flat']),
    avg_entry_price: Decimal,
    cost_basis: Decimal,
    mark: NullableDecimal.meta({ description: 'Mid of the option quote; null when not quoted' }),
    market_value: NullableDecimal,
    unrealized_pl: NullableDecimal,
    realized_pl: Decimal,
    implied_volatility: z.number().nullable(),
    greeks: Greeks.nullable(),
    position_greeks: PositionGreeks.nullable(),
    days_to_expiration: z.number().int(),
    status: z.enum(['open', 'closed', 'exercised', 'assigned', 'expired']),
    opened_at: z.string(),
    closed_at: z.string().nullable(),
    updated_at: z.string(),
    event_position: z.number().int(),
  })
  .meta({ id: 'OptionPosition' });

export const OptionPositionList = z
  .object({ items: z.array(OptionPositionSchema) })
  .meta({ id: 'OptionPositionList' });

export const OptionPositionsQuery = z
  .object({
    status: z.enum(['open', 'ended', 'all']).default('open'),
    underlying: z.string().max(12).optional(),
  })
  .strict();

const StrategySchema = z
  .object({
    strategy: z.string().meta({ example: 'call_credit_spread' }),
    label: z.string().meta({ example: 'call credit spread (bear call)' }),
    symbols: z.array(z.string()),
    expiration: z.string().nullable(),
    cost: Decimal.meta({ description: 'Net paid for the legs (negative: a net credit)' }),
    max_profit: NullableDecimal.meta({ description: 'At expiry; null when unlimited' }),
    max_loss: NullableDecimal.meta({
      description: 'At expiry, a positive amount; null when unlimited',
    }),
    breakevens: z.array(Decimal),
  })
  .meta({ id: 'OptionStrategy' });

export const UnderlyingOptionsSchema = z
  .object({
    underlying: z.string(),
    underlying_price: NullableDecimal,
    shares: Decimal,
    net_greeks: PositionGreeks,
    net_delta_with_shares: z.number(),
    cost_basis: Decimal,
    market_value: NullableDecimal,
    unrealized_pl: NullableDecimal,
    strategies: z.array(StrategySchema),
    positions: z.array(OptionPositionSchema),
  })
  .meta({ id: 'UnderlyingOptions' });

export const OptionAggregate = z
  .object({ underlyings: z.array(UnderlyingOptionsSchema) })
  .meta({ id: 'OptionPositionsByUnderlying' });

export const ExerciseBody = z
  .object({
    symbol: OccSymbol,
    qty: quantity()
      .optional()
      .meta({ description: 'Contracts (default: all not promised to sell orders)' }),
  })
  .strict()
  .meta({ id: 'ExerciseRequest' });

export const ExerciseResult = z
  .object({
    account_id: z.string(),
    symbol: z.string(),
    event: z
      .record(z.string(), z.unknown())
      .meta({ description: 'The OptionExercised event data' }),
    cash: Decimal,
    buying_power: Decimal,
  })
  .meta({ id: 'ExerciseResult' });
