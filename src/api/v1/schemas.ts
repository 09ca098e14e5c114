/**
 * Wire schemas of the trading routes (`/api/v1/accounts…`), with Alpaca's field names. The
 * request schemas are what the handlers parse; the response schemas describe what the
 * serializers in `serialize.ts` write (tests check real answers against them). Both feed the
 * OpenAPI document.
 */
import { z } from 'zod';
import { PreTradeRiskSchema } from './risk-schemas.ts';
import { REJECTION_REASONS } from '../../domain/rejections.ts';
import { cash, percent, price, quantity } from './decimal-json.ts';

// ─── shared ─────────────────────────────────────────────────────────────────────────────────

const Decimal = z.string().meta({
  description: 'An exact decimal number as a string',
  example: '190.25',
});
const NullableDecimal = Decimal.nullable();
const Timestamp = z.string().meta({ description: 'RFC 3339', example: '2026-01-05T15:04:05.000Z' });
const NullableTimestamp = Timestamp.nullable();

export const ORDER_SIDES = ['buy', 'sell'] as const;
export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const;
export const TIMES_IN_FORCE = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'] as const;
export const ORDER_CLASSES = ['simple', 'bracket', 'oco', 'oto'] as const;
/** Order classes an order may have (`mleg`: a multi-leg option order, see `option-schemas.ts`). */
export const ORDER_CLASSES_OUT = [...ORDER_CLASSES, 'mleg'] as const;
export const POSITION_INTENTS = [
  'buy_to_open',
  'buy_to_close',
  'sell_to_open',
  'sell_to_close',
] as const;
export const ORDER_STATUSES = [
  'new',
  'accepted',
  'pending_new',
  'partially_filled',
  'filled',
  'canceled',
  'expired',
  'rejected',
  'replaced',
  'held',
  'pending_cancel',
] as const;

/** Path parameters. */
export const AccountParams = z.object({
  id: z.string().min(1).max(100).meta({ description: 'Account id', example: 'b7e1d1c2-…' }),
});
export const OrderParams = AccountParams.extend({
  orderId: z.string().min(1).max(100).meta({ description: 'Order id' }),
});
export const PositionParams = AccountParams.extend({
  symbol: z.string().min(1).max(32).meta({ description: 'Ticker', example: 'AAPL' }),
});

/** `limit` + `cursor` of every list. */
const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .meta({ description: 'Items per page, 1–500 (default 50)', example: 50 }),
  cursor: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: '`next_cursor` of the previous page' }),
};

const instant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .meta({ description: 'RFC 3339 date-time or YYYY-MM-DD', example: '2026-01-05T14:30:00Z' });

const booleanQuery = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .meta({ description: '`true` or `false`' });

/** Wraps an item schema into `{ items, next_cursor }`. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    })
    .meta({ id });
}

// ─── accounts ───────────────────────────────────────────────────────────────────────────────

export const OpenAccountBody = z
  .object({
    name: z.string().trim().min(1).max(100).meta({ example: 'Main' }),
    initial_cash: cash('non_negative').meta({ example: '100000' }),
    account_type: z
      .enum(['cash', 'margin'])
      .optional()
      .meta({ description: '`cash` (default): no leverage, no shorting; `margin`: Reg-T 2×' }),
  })
  .strict()
  .meta({ id: 'OpenAccountRequest' });

export const CashMovementBody = z
  .object({
    amount: cash().meta({ example: '2500' }),
    reference: z.string().min(1).max(200).optional().meta({ example: 'wire 2026-01-05' }),
  })
  .strict()
  .meta({ id: 'CashMovementRequest' });

const RiskLimits = z.object({
  max_position_qty: NullableDecimal,
  max_order_notional: NullableDecimal,
  max_gross_exposure: NullableDecimal,
});

export const AccountSettingsSchema = z
  .object({
    account_type: z.enum(['cash', 'margin']),
    margin_multiplier: Decimal,
    shorting_enabled: z.boolean(),
    fractional_trading: z.boolean(),
    market_order_buffer: Decimal,
    stop_trigger_source: z.enum(['last', 'bid_ask']),
    fill_model: z.record(z.string(), z.unknown()),
    limits: RiskLimits,
  })
  .meta({ id: 'AccountSettings' });

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner_id: z.string(),
    status: z.literal('ACTIVE'),
    currency: z.literal('USD'),
    account_type: z.enum(['cash', 'margin']),
    cash: Decimal,
    buying_power: Decimal,
    equity: Decimal,
    portfolio_value: Decimal.meta({ description: 'Same as equity (Alpaca field)' }),
    last_equity: Decimal.meta({ description: 'Equity at the previous regular-session close' }),
    day_pl: Decimal.meta({ description: 'equity − last_equity' }),
    long_market_value: Decimal,
    short_market_value: Decimal,
    realized_pl: Decimal,
    fees_paid: Decimal,
    total_deposits: Decimal,
    total_withdrawals: Decimal,
    open_orders: z.number().int(),
    shorting_enabled: z.boolean(),
    multiplier: Decimal,
    settings: AccountSettingsSchema,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Account' });

export const AccountPage = pageOf(AccountSchema, 'AccountPage');

/** What a cash movement answers: the new balance (written side, no projection needed). */
export const CashMovementResult = z
  .object({
    account_id: z.string(),
    cash: Decimal,
    total_deposits: Decimal,
    total_withdrawals: Decimal,
  })
  .meta({ id: 'CashMovementResult' });

// ─── orders ─────────────────────────────────────────────────────────────────────────────────

const orderCommon = {
  symbol: z.string().trim().min(1).max(32).meta({
    description: 'Ticker, or an OCC option symbol (`AAPL  260116C00280000`)',
    example: 'AAPL',
  }),
  qty: quantity()
    .optional()
    .meta({ description: 'Shares (fractional for market day orders)', example: '10' }),
  notional: z
    .union([z.string(), z.number()])
    .optional()
    .meta({ description: 'Dollar amount instead of qty: not supported yet (422)' }),
  side: z.enum(ORDER_SIDES),
  time_in_force: z.enum(TIMES_IN_FORCE).default('day'),
  extended_hours: z.boolean().optional(),
  client_order_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .meta({ description: 'Your id; placing the same id again answers the original (200)' }),
  order_class: z.enum(ORDER_CLASSES).optional(),
  position_intent: z.enum(POSITION_INTENTS).optional().meta({
    description:
      'Options: buy_to_open, buy_to_close, sell_to_open or sell_to_close; checked against the position (inferred when omitted)',
  }),
  take_profit: z.object({ limit_price: price() }).strict().optional(),
  stop_loss: z.object({ stop_price: price(), limit_price: price().optional() }).strict().optional(),
};

const MarketOrder = z.object({ type: z.literal('market'), ...orderCommon }).strict();
const LimitOrder = z
  .object({ type: z.literal('limit'), ...orderCommon, limit_price: price() })
  .strict();
const StopOrder = z
  .object({ type: z.literal('stop'), ...orderCommon, stop_price: price() })
  .strict();
const StopLimitOrder = z
  .object({
    type: z.literal('stop_limit'),
    ...orderCommon,
    stop_price: price(),
    limit_price: price(),
  })
  .strict();
const TrailingStopOrder = z
  .object({
    type: z.literal('trailing_stop'),
    ...orderCommon,
    trail_price: price().optional(),
    trail_percent: percent().optional(),
  })
  .strict();

/** `POST /accounts/{id}/orders` and `/orders/preview`: discriminated on `type`. */
export const PlaceOrderBody = z
  .discriminatedUnion('type', [
    MarketOrder,
    LimitOrder,
    StopOrder,
    StopLimitOrder,
    TrailingStopOrder,
  ])
  .meta({
    id: 'OrderRequest',
    description:
      'An order, discriminated on `type`: `limit` needs `limit_price`, `stop` needs `stop_price`, `stop_limit` both, `trailing_stop` exactly one of `trail_price` / `trail_percent`. Fields that do not apply to the type are rejected.',
  });
export type PlaceOrderBody = z.output<typeof PlaceOrderBody>;

/** `PATCH /accounts/{id}/orders/{orderId}`: replace an open order (Alpaca names). */
export const ReplaceOrderBody = z
  .object({
    qty: quantity().optional(),
    limit_price: price().optional(),
    stop_price: price().optional(),
    trail: decimalTrail().optional(),
    time_in_force: z.enum(TIMES_IN_FORCE).optional(),
    client_order_id: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, {
    message:
      'Give at least one of qty, limit_price, stop_price, trail, time_in_force, client_order_id',
  })
  .meta({ id: 'ReplaceOrderRequest' });
export type ReplaceOrderBody = z.output<typeof ReplaceOrderBody>;

function decimalTrail() {
  return price().meta({
    description: "The new trail in the order's unit: dollars (trail_price) or percent",
  });
}

const OrderBase = z.object({
  id: z.string(),
  client_order_id: z.string(),
  account_id: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  submitted_at: Timestamp,
  filled_at: NullableTimestamp,
  expired_at: NullableTimestamp,
  canceled_at: NullableTimestamp,
  failed_at: NullableTimestamp,
  replaced_at: NullableTimestamp,
  replaced_by: z.string().nullable(),
  replaces: z.string().nullable(),
  asset_class: z.enum(['us_equity', 'us_option']),
  symbol: z.string(),
  notional: NullableDecimal,
  qty: Decimal,
  filled_qty: Decimal,
  filled_avg_price: NullableDecimal,
  order_class: z.enum(ORDER_CLASSES_OUT),
  order_type: z.enum(ORDER_TYPES).meta({ description: 'Deprecated alias of `type` (Alpaca)' }),
  type: z.enum(ORDER_TYPES),
  side: z.enum(ORDER_SIDES),
  time_in_force: z.enum(TIMES_IN_FORCE),
  limit_price: NullableDecimal,
  stop_price: NullableDecimal,
  trail_price: NullableDecimal,
  trail_percent: NullableDecimal,
  hwm: NullableDecimal.meta({ description: 'Trailing stops: the high (or low) water mark' }),
  status: z.enum(ORDER_STATUSES),
  extended_hours: z.boolean(),
  parent_id: z.string().nullable(),
  leg_role: z.enum(['entry', 'take_profit', 'stop_loss', 'option_leg']).nullable(),
  position_intent: z
    .enum(POSITION_INTENTS)
    .nullable()
    .meta({ description: 'Options: whether the order opens or closes a position' }),
  ratio_qty: NullableDecimal.meta({
    description: "A multi-leg order's leg: contracts per unit of the order (`qty` of the parent)",
  }),
  strategy: z.string().nullable().meta({
    description:
      'A multi-leg order: the strategy its legs form (call_credit_spread, iron_condor, long_straddle…)',
  }),
  reject_reason: z.enum(REJECTION_REASONS as [string, ...string[]]).nullable(),
  event_position: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'Global position of the last event that changed the order' }),
});

const OrderLeg = OrderBase.extend({ legs: z.null() }).meta({ id: 'OrderLeg' });

export const OrderSchema = OrderBase.extend({
  legs: z.array(OrderLeg).nullable().meta({
    description:
      'Child orders of bracket / OCO / OTO orders and the legs of a multi-leg (mleg) option order; null for simple orders',
  }),
}).meta({ id: 'Order' });

export const OrderPage = pageOf(OrderSchema, 'OrderPage');

export const CancelAllResult = z
  .object({ canceled: z.array(OrderSchema).meta({ description: 'The orders canceled' }) })
  .meta({ id: 'CancelAllResult' });

export const ListOrdersQuery = z
  .object({
    status: z.enum(['open', 'closed', 'all']).default('open'),
    ...pageQuery,
    after: instant
      .optional()
      .meta({ description: 'Only orders created after this instant (exclusive)' }),
    until: instant
      .optional()
      .meta({ description: 'Only orders created before this instant (exclusive)' }),
    direction: z.enum(['asc', 'desc']).default('desc'),
    symbols: z
      .string()
      .max(1000)
      .optional()
      .meta({ description: 'Comma-separated tickers', example: 'AAPL,MSFT' }),
    nested: booleanQuery
      .optional()
      .meta({ description: 'Legs only under their parent (default true)' }),
  })
  .strict();

export const PreviewSchema = z
  .object({
    accepted: z.boolean(),
    status: z.enum(ORDER_STATUSES).nullable().meta({
      description: 'The status the order would have right after placement',
    }),
    rejection: z
      .object({ reason: z.enum(REJECTION_REASONS as [string, ...string[]]), message: z.string() })
      .nullable(),
    buying_power_before: Decimal,
    buying_power_after: Decimal,
    cash_before: Decimal,
    cash_after: Decimal,
    findings: z.array(
      z.object({
        severity: z.enum(['info', 'warning', 'rejection']),
        code: z.string(),
        message: z.string(),
      }),
    ),
    events: z
      .array(z.object({ type: z.string(), data: z.record(z.string(), z.unknown()) }))
      .meta({ description: 'The events the order would append now (nothing is written)' }),
    risk: PreTradeRiskSchema,
  })
  .meta({ id: 'OrderPreview' });

// ─── positions, fills, history, events ──────────────────────────────────────────────────────

export const PositionSchema = z
  .object({
    symbol: z.string(),
    asset_class: z.enum(['us_equity', 'us_option']),
    exchange: z.string(),
    qty: Decimal.meta({ description: 'Signed: negative for a short' }),
    qty_available: Decimal,
    side: z.enum(['long', 'short']),
    avg_entry_price: Decimal,
    cost_basis: Decimal,
    current_price: NullableDecimal,
    market_value: NullableDecimal,
    unrealized_pl: NullableDecimal,
    unrealized_plpc: NullableDecimal,
    lastday_price: NullableDecimal,
    change_today: NullableDecimal,
    realized_pl: Decimal,
    updated_at: Timestamp,
  })
  .meta({ id: 'Position' });

export const PositionList = z
  .object({ items: z.array(PositionSchema), next_cursor: z.null() })
  .meta({ id: 'PositionList' });

const QuoteSchema = z
  .object({
    symbol: z.string(),
    bid: Decimal,
    ask: Decimal,
    bid_size: z.number().int(),
    ask_size: z.number().int(),
    last: Decimal,
    time: Timestamp,
    seq: z.number().int(),
    source: z.enum(['simulated', 'replay', 'test']),
  })
  .meta({ id: 'PricingQuote' });

export const FillSchema = z
  .object({
    id: z.string(),
    order_id: z.string(),
    account_id: z.string(),
    symbol: z.string(),
    side: z.enum(ORDER_SIDES),
    qty: Decimal,
    price: Decimal,
    gross_amount: Decimal,
    commission: Decimal,
    regulatory_fees: Decimal,
    cash_delta: Decimal.meta({ description: 'Signed change of cash' }),
    realized_pl: Decimal,
    order_status: z.enum(['partially_filled', 'filled']),
    cum_qty: Decimal,
    leaves_qty: Decimal,
    quote: QuoteSchema.nullable().meta({ description: 'The NBBO quote that priced the fill' }),
    auction: z
      .object({ kind: z.enum(['open', 'close']), price: Decimal, time: Timestamp })
      .nullable(),
    fill_model: z.record(z.string(), z.unknown()).meta({
      description: 'How the fill was priced: base price, slippage, commission model, limit',
    }),
    position_after: z.object({ qty: Decimal, cost_basis: Decimal }),
    transaction_time: Timestamp,
    event_position: z.number().int(),
  })
  .meta({ id: 'Fill' });

export const FillPage = pageOf(FillSchema, 'FillPage');

export const ListFillsQuery = z
  .object({
    ...pageQuery,
    order_id: z.string().max(100).optional(),
    symbol: z.string().max(32).optional(),
    after: instant.optional().meta({ description: 'Only fills after this instant (exclusive)' }),
    until: instant.optional().meta({ description: 'Only fills before this instant (exclusive)' }),
    direction: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

export const HISTORY_TIMEFRAMES = ['1Min', '5Min', '15Min', '1H', '1D'] as const;
export const HISTORY_PERIODS = /^(\d{1,3})(D|W|M|A)$/;

export const PortfolioHistoryQuery = z
  .object({
    period: z
      .string()
      .regex(HISTORY_PERIODS, { message: 'must be a number followed by D, W, M or A (e.g. 1M)' })
      .optional()
      .meta({
        description: 'Length ending at `end`: `1D`, `1W`, `1M`, `3M`, `1A`…',
        example: '1W',
      }),
    timeframe: z.enum(HISTORY_TIMEFRAMES).optional(),
    start: instant.optional(),
    end: instant.optional(),
  })
  .strict();

export const PortfolioHistorySchema = z
  .object({
    timestamp: z.array(z.number().int()).meta({ description: 'Unix seconds (Alpaca)' }),
    equity: z.array(z.number()).meta({ description: 'As numbers, for charts (Alpaca)' }),
    profit_loss: z.array(z.number()),
    profit_loss_pct: z.array(z.number()).meta({ description: 'Fraction: 0.0125 = 1.25 %' }),
    base_value: z.number(),
    base_value_asof: z.string().nullable().meta({ description: 'YYYY-MM-DD of the first point' }),
    timeframe: z.enum(HISTORY_TIMEFRAMES),
    exact: z
      .object({
        time: z.array(Timestamp),
        equity: z.array(Decimal),
        cash: z.array(Decimal),
        profit_loss: z.array(Decimal),
        profit_loss_pct: z.array(Decimal),
        base_value: Decimal,
      })
      .meta({ description: 'The same series as exact decimal strings and RFC 3339 times' }),
  })
  .meta({ id: 'PortfolioHistory' });

export const ListEventsQuery = z
  .object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: '1–1000 (default 100)' }),
    cursor: z
      .string()
      .max(40)
      .optional()
      .meta({ description: '`next_cursor` of the previous page' }),
    from_revision: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'First revision to read (inclusive)' }),
    direction: z.enum(['forwards', 'backwards']).default('forwards'),
  })
  .strict();

export const RecordedEventSchema = z
  .object({
    id: z.string(),
    stream_id: z.string(),
    type: z.string(),
    revision: z.number().int(),
    position: z.number().int().meta({ description: 'Global position in $all' }),
    data: z.record(z.string(), z.unknown()),
    metadata: z
      .record(z.string(), z.unknown())
      .meta({ description: 'actor, source, correlationId, simTime and the hash chain' }),
    recorded_at: Timestamp,
  })
  .meta({ id: 'RecordedEvent' });

export const EventPage = pageOf(RecordedEventSchema, 'AccountEventPage');
