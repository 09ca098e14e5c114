/**
 * Option tools: trade single contracts (buy_option_limit, sell_option_limit) and vertical
 * spreads as one multi-leg order (option_credit_spread, option_debit_spread); list and cancel
 * option orders; read chains, one contract's greeks and its price history; see option
 * positions, by underlying with net greeks and the strategies they form; exercise early.
 * Thin calls into `TradingCommands` and `OptionsDesk`: the decider decides; this file turns
 * arguments into requests and results into words a model reads correctly — a spread's answer
 * says its maximum profit, maximum loss and breakeven in plain words.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type {
  OptionsDesk,
  UnderlyingOptions,
  ValuedOptionPosition,
} from '../../commands/options-desk.ts';
import {
  buyingPower,
  type AccountEvent,
  type AccountState,
  type Order,
  type OrderLegRequest,
  type OrderRequest,
  type OrderSide,
} from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import { Dec } from '../../domain/decimal.ts';
import { fmt } from '../../domain/money.ts';
import {
  describeContract,
  optionInstrument,
  parseOcc,
  payoffProfile,
  STRATEGY_LABELS,
  type OptionContract,
  type StrategyName,
} from '../../domain/options/index.ts';
import { REJECTION_MESSAGES, type RejectionReason } from '../../domain/rejections.ts';
import type { PricedOption } from '../../market/options/index.ts';
import type { OrderView } from '../../projections/trading-views.ts';
import {
  accountIdArg,
  choiceArg,
  clientOrderIdArg,
  idArg,
  instantArg,
  integerArg,
  ToolInputError,
  ARGUMENT_HINTS,
} from '../args.ts';
import { INPUT_REJECTIONS, REJECTION_ADVICE, ToolFailure } from '../errors.ts';
import {
  contractFrom,
  contractShape,
  contractsArg,
  dollarsArg,
  expirationArg,
  legsArg,
  optionTypeArg,
  OPTION_HINTS,
  underlyingArg,
  type LegArg,
} from '../option-args.ts';
import { orderFromDomain, orderFromView, orderOut, orderStatusSentence } from '../present.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog, type ToolSpec } from '../tool.ts';

const SAFE_RETRY =
  'Pass client_order_id to make retries safe: the same client_order_id again returns the original order instead of placing a second one.';

// ─── shared ─────────────────────────────────────────────────────────────────────────────────

function desk(session: ToolSession): OptionsDesk {
  const options = session.deps.options;
  if (options === undefined) {
    throw new ToolFailure(
      'options_unavailable',
      'This server was started without the options market',
      undefined,
      'Use a server started with `paper-trading serve` or `paper-trading mcp`.',
    );
  }
  return options;
}

/** What to do about an option rejection. */
const OPTION_ADVICE: Partial<
  Record<RejectionReason, { readonly field?: string; readonly fix: string }>
> = {
  invalid_tick_size: {
    field: 'limit_price',
    fix: 'Single options trade in $0.01 below $3.00 and $0.05 at or above; spread net prices in whole cents.',
  },
  options_level_insufficient: {
    fix: 'account_details shows the options level; level 2 allows long options and spreads (settings can raise it).',
  },
  uncovered_call_not_allowed: {
    field: 'symbol',
    fix: 'Hold 100 shares per call sold (a covered call), or sell it as part of a spread with option_credit_spread; naked calls need options level 3.',
  },
  invalid_legs: {
    field: 'legs',
    fix: 'Give 2 to 4 different contracts of one underlying, each with a whole ratio.',
  },
  contract_expired: { field: 'symbol', fix: 'Pick a listed expiration: options_chain lists them.' },
  position_intent_mismatch: {
    field: 'quantity',
    fix: 'Close at most what you hold (open_option_positions), and open new positions in a separate order.',
  },
  insufficient_buying_power: {
    field: 'quantity',
    fix: 'Trade fewer contracts: long premium is paid in full, cash-secured puts hold the strike, spreads their maximum loss (account_info shows buying power).',
  },
  insufficient_position: {
    field: 'quantity',
    fix: 'Sell at most the contracts you hold that are not already promised to open sell orders (open_option_positions, open_option_orders).',
  },
  no_quote: { field: 'symbol', fix: 'options_chain lists the contracts quoted now.' },
};

/** Option rejections about the order as written: refused before anything is written. */
const OPTION_INPUT_REJECTIONS: ReadonlySet<RejectionReason> = new Set<RejectionReason>([
  ...INPUT_REJECTIONS,
  'invalid_legs',
  'contract_expired',
  'no_quote',
]);

function rejectionOf(reason: RejectionReason): {
  reason: string;
  message: string;
  argument: string | null;
  fix: string | null;
} {
  const advice = OPTION_ADVICE[reason] ?? REJECTION_ADVICE[reason];
  return {
    reason,
    message: REJECTION_MESSAGES[reason],
    argument: advice?.field ?? null,
    fix: advice?.fix ?? null,
  };
}

function failureOf(reason: RejectionReason): ToolFailure {
  const r = rejectionOf(reason);
  return new ToolFailure(reason, r.message, r.argument ?? undefined, r.fix ?? undefined);
}

/** The contract if the market quotes it now; a readable failure otherwise. */
function listed(session: ToolSession, contract: OptionContract): PricedOption {
  const priced = desk(session).market.contract(contract.symbol);
  if (priced === undefined) {
    throw new ToolFailure(
      'unknown_symbol',
      `${contract.symbol} (${describeContract(contract)}) is not a listed, unexpired contract`,
      'symbol',
      `options_chain {"underlying": "${contract.underlying}"} lists the listed expirations and strikes.`,
    );
  }
  return priced;
}

const optionOrderOut = orderOut.extend({
  position_intent: z
    .string()
    .nullable()
    .describe('buy_to_open, buy_to_close, sell_to_open, sell_to_close'),
  strategy: z.string().nullable().describe('A multi-leg order: the strategy its legs form'),
  legs: z
    .array(
      orderOut.extend({ ratio_qty: z.string().nullable(), position_intent: z.string().nullable() }),
    )
    .describe('A multi-leg order: its legs (each fills with the order, all or none)'),
});
type OptionOrderOut = z.infer<typeof optionOrderOut>;

function optionOrderFromDomain(order: Order, state: AccountState): OptionOrderOut {
  return {
    ...orderFromDomain(order),
    position_intent: order.positionIntent ?? null,
    strategy: order.strategy ?? null,
    legs: order.legIds.flatMap((id) => {
      const leg = orderById(state, id);
      return leg === undefined
        ? []
        : [
            {
              ...orderFromDomain(leg),
              ratio_qty: leg.ratioQty ?? null,
              position_intent: leg.positionIntent ?? null,
            },
          ];
    }),
  };
}

function optionOrderFromView(view: OrderView): OptionOrderOut {
  return {
    ...orderFromView(view),
    position_intent: view.positionIntent ?? null,
    strategy: view.strategy ?? null,
    legs: view.legs.map((leg) => ({
      ...orderFromView(leg),
      ratio_qty: leg.ratioQty ?? null,
      position_intent: leg.positionIntent ?? null,
    })),
  };
}

/** `AAPL 2026-01-16 280 call` from an OCC symbol. */
function nameOf(symbol: string): string {
  const c = parseOcc(symbol);
  return c === undefined ? symbol : describeContract(c);
}

/** One line for an option order. */
function optionOrderLine(o: OptionOrderOut): string {
  const what =
    o.order_class === 'mleg'
      ? `${STRATEGY_LABELS[(o.strategy ?? 'custom') as StrategyName]} ×${o.quantity} (${o.legs.map((l) => `${l.side} ${nameOf(l.symbol)}`).join(', ')}) net ${o.limit_price ?? 'market'}`
      : `${o.side} ${o.quantity} ${nameOf(o.symbol)} ${o.type === 'limit' ? `limit ${o.limit_price ?? '?'}` : 'at market'}`;
  const fill =
    o.filled_quantity === '0' ? '' : `, filled ${o.filled_quantity} @ ${o.filled_avg_price ?? '?'}`;
  return `• ${what} — ${o.status}${fill} [id ${o.id}]`;
}

const fillBrief = z.object({
  fill_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  quantity: z.string().describe('Contracts'),
  price: z.string().describe('Per share'),
  cash_change: z.string(),
});

const orderResult = {
  account_id: z.string(),
  status: z
    .string()
    .describe('The order status (filled, new = working, accepted = queued) or rejected'),
  order: optionOrderOut.nullable(),
  rejection: z
    .object({
      reason: z.string(),
      message: z.string(),
      argument: z.string().nullable(),
      fix: z.string().nullable(),
    })
    .nullable(),
  duplicate: z
    .boolean()
    .describe('True when client_order_id was already used: the original order, nothing new'),
  fills: z.array(fillBrief).describe('Fills of this call (one per leg for a spread)'),
  spread: z
    .object({
      strategy: z.string(),
      net_price: z
        .string()
        .describe('Per share: positive a debit paid, negative a credit received'),
      max_profit: z.string().nullable().describe('Dollars at expiry; null when unlimited'),
      max_loss: z.string().nullable().describe('Dollars at expiry; null when unlimited'),
      breakevens: z.array(z.string()),
    })
    .nullable()
    .describe('For a spread: what it can make or lose at expiry, at the fill (or limit) price'),
  cash_after: z.string(),
  buying_power_after: z.string(),
  event_position: z.number().int().nullable(),
};
type OrderResultOut = z.output<z.ZodObject<typeof orderResult>>;

function fillsOf(events: readonly AccountEvent[]): OrderResultOut['fills'] {
  return events.flatMap((e) =>
    e.type === 'OrderFilled'
      ? [
          {
            fill_id: e.data.fillId,
            symbol: e.data.symbol,
            side: e.data.side,
            quantity: e.data.qty,
            price: e.data.price,
            cash_change: e.data.cashDelta,
          },
        ]
      : [],
  );
}

/** The expiry economics of a placed multi-leg order, and a sentence saying them. */
function spreadOf(
  order: Order,
  state: AccountState,
): { data: NonNullable<OrderResultOut['spread']>; words: string } | undefined {
  if (order.orderClass !== 'mleg') return undefined;
  const legs = order.legIds.flatMap((id) => {
    const leg = orderById(state, id);
    const contract = leg === undefined ? undefined : parseOcc(leg.symbol);
    return leg === undefined || contract === undefined ? [] : [{ leg, contract }];
  });
  const net =
    order.status === 'filled' && !new Dec(order.filledQty).isZero()
      ? new Dec(order.filledNotional).dividedBy(new Dec(order.filledQty))
      : order.limitPrice === null
        ? undefined
        : new Dec(order.limitPrice);
  if (net === undefined || legs.length === 0) return undefined;
  const units = new Dec(order.qty);
  const m = legs[0]?.contract.multiplier ?? 100;
  const sameExpiry = legs.every((l) => l.contract.expiration === legs[0]?.contract.expiration);
  const profile = sameExpiry
    ? payoffProfile(
        legs.map(({ leg, contract }) => ({
          right: contract.right,
          strike: new Dec(contract.strike),
          qty: new Dec(leg.ratioQty ?? '1').times(units).times(leg.side === 'buy' ? 1 : -1),
          multiplier: contract.multiplier,
        })),
        net.times(m).times(units),
      )
    : undefined;
  const money = (d: Dec | null | undefined): string | null =>
    d === null || d === undefined ? null : fmt(d.toDecimalPlaces(2));
  const strategy = (order.strategy ?? 'custom') as StrategyName;
  const data = {
    strategy,
    net_price: fmt(net.toDecimalPlaces(4)),
    max_profit: profile === undefined ? null : money(profile.maxProfit),
    max_loss: profile === undefined ? null : money(profile.maxLoss),
    breakevens:
      profile === undefined ? [] : profile.breakevens.map((b) => fmt(b.toDecimalPlaces(2))),
  };
  const underlying = legs[0]?.contract.underlying ?? order.symbol;
  const expiration = legs[0]?.contract.expiration ?? '';
  const strikes = legs.map((l) => new Dec(l.contract.strike)).sort((a, b) => a.comparedTo(b));
  const low = strikes[0]?.toString() ?? '?';
  const high = strikes.at(-1)?.toString() ?? '?';
  const kind = net.isNegative()
    ? `a net credit of ${net.abs().toFixed(2)} per share`
    : `a net debit of ${net.toFixed(2)} per share`;
  const total = `$${fmt(net.abs().times(m).times(units).toDecimalPlaces(2))}`;
  const where: Partial<Record<StrategyName, { profit: string; loss: string }>> = {
    call_credit_spread: { profit: `at or below ${low}`, loss: `at or above ${high}` },
    put_credit_spread: { profit: `at or above ${high}`, loss: `at or below ${low}` },
    call_debit_spread: { profit: `at or above ${high}`, loss: `at or below ${low}` },
    put_debit_spread: { profit: `at or below ${low}`, loss: `at or above ${high}` },
  };
  const place = where[strategy];
  const hopeless = data.max_profit !== null && new Dec(data.max_profit).lte(0);
  const profit =
    data.max_profit === null
      ? 'unlimited profit'
      : hopeless
        ? `no profit possible (at best ${new Dec(data.max_profit).isZero() ? 'break even' : `a loss of $${new Dec(data.max_profit).negated().toString()}`})`
        : `max profit $${data.max_profit}`;
  const loss = data.max_loss === null ? 'unlimited loss' : `max loss $${data.max_loss}`;
  const words =
    `${STRATEGY_LABELS[strategy]} on ${underlying} ${low}/${high} expiring ${expiration} ×${order.qty} for ${kind} (${total} ${net.isNegative() ? 'received' : 'paid'}): ` +
    (place === undefined
      ? `${profit}, ${loss} at expiry`
      : `${profit} if ${underlying} closes ${place.profit} at expiry, ${loss} if it closes ${place.loss}`) +
    (data.breakevens.length === 0 ? '.' : `; breakeven ${data.breakevens.join(' and ')}.`) +
    (hopeless
      ? ' WARNING: the net price is beyond what the spread can be worth at expiry (its width), so it cannot make money if held.'
      : '');
  return { data, words };
}

/** The answer to a write that placed (or found) an option order, or rejected it. */
function orderAnswer(
  written: {
    readonly accountId: string;
    readonly state: AccountState;
    readonly events: readonly AccountEvent[];
    readonly position: number | undefined;
  },
  orderId: string,
  extra: { readonly duplicate?: boolean; readonly rejection?: RejectionReason | undefined },
): { data: OrderResultOut; summary: string; isError: boolean } {
  const order = orderById(written.state, orderId);
  const out = order === undefined ? null : optionOrderFromDomain(order, written.state);
  const rejection = extra.rejection === undefined ? null : rejectionOf(extra.rejection);
  const spread =
    order === undefined || rejection !== null ? undefined : spreadOf(order, written.state);
  const bp = fmt(buyingPower(written.state));
  const data: OrderResultOut = {
    account_id: written.accountId,
    status: rejection !== null ? 'rejected' : (out?.status ?? 'rejected'),
    order: out,
    rejection,
    duplicate: extra.duplicate ?? false,
    fills: fillsOf(written.events),
    spread: spread?.data ?? null,
    cash_after: written.state.cash,
    buying_power_after: bp,
    event_position: written.position ?? null,
  };
  const parts: string[] = [];
  if (data.duplicate) {
    parts.push(
      'This client_order_id was already used, so nothing new was placed; this is the original order as it stands now.',
    );
  }
  if (rejection !== null) {
    parts.push(
      `REJECTED (${rejection.reason}): ${rejection.message} Nothing was traded; the rejection is recorded on the account.${rejection.fix === null ? '' : ` Fix: ${rejection.fix}`}`,
    );
  } else if (out !== null && order !== undefined) {
    if (order.orderClass === 'mleg') {
      const state =
        out.status === 'filled'
          ? 'FILLED (all legs at once)'
          : out.status === 'new'
            ? 'WORKING, NOT FILLED YET (all legs fill together or not at all, at the net limit or better)'
            : out.status === 'accepted'
              ? 'ACCEPTED AND QUEUED, NOT FILLED (until the session opens)'
              : out.status.toUpperCase();
      parts.push(
        `${state}: ${spread?.words ?? `${STRATEGY_LABELS[(order.strategy ?? 'custom') as StrategyName]} ×${order.qty}.`}`,
      );
    } else {
      parts.push(
        orderStatusSentence(out).replace(order.symbol, `${order.symbol} (${nameOf(order.symbol)})`),
      );
      parts.push(
        `Prices are per share; one contract is ${order.instrument.kind === 'option' ? order.instrument.multiplier : 100} shares.`,
      );
    }
    parts.push(`Order id ${out.id}.`);
  }
  parts.push(`Cash ${written.state.cash}, buying power ${bp}.`);
  return { data, summary: parts.join(' '), isError: rejection !== null };
}

/** Places an option order: obvious mistakes are refused before anything is written. */
async function placeOptionOrder(
  session: ToolSession,
  request: OrderRequest,
  args: { readonly account_id?: string | undefined; readonly client_order_id?: string | undefined },
): Promise<{ data: OrderResultOut; summary: string; isError: boolean }> {
  const { trading } = session.deps;
  const accountId = await session.accountId(args.account_id);
  const options = args.client_order_id === undefined ? {} : { clientOrderId: args.client_order_id };
  const preview = await trading.previewOrder(session.principal, accountId, request, options);
  if (preview.rejection !== null && OPTION_INPUT_REJECTIONS.has(preview.rejection.reason)) {
    throw failureOf(preview.rejection.reason);
  }
  const placed = await trading.placeOrder(
    session.principal,
    accountId,
    request,
    options,
    session.callContext(),
  );
  session.wrote(placed.position);
  return orderAnswer(placed, placed.orderId, {
    duplicate: placed.duplicate,
    rejection: placed.rejection?.reason,
  });
}

// ─── contracts and positions out ────────────────────────────────────────────────────────────

const greeksOut = z.object({
  delta: z.number(),
  gamma: z.number(),
  theta: z.number().describe('Per year'),
  theta_per_day: z.number().describe('Per calendar day'),
  vega: z.number().describe('Per volatility point'),
  rho: z.number().describe('Per percentage point of the rate'),
});

const contractOut = z.object({
  symbol: z.string().describe('OCC symbol: pass it as symbol to the other option tools'),
  underlying: z.string(),
  expiration: z.string(),
  option_type: z.enum(['call', 'put']),
  strike: z.string(),
  bid: z.string().describe('Per share'),
  ask: z.string().describe('Per share'),
  bid_size: z.number().int().describe('Contracts'),
  ask_size: z.number().int().describe('Contracts'),
  last: z.string(),
  theoretical_price: z.number().describe('Black–Scholes–Merton value per share'),
  implied_volatility: z.number(),
  greeks: greeksOut.describe('Per share of one contract'),
  volume: z.number().int(),
  open_interest: z.number().int(),
  days_to_expiration: z.number().int(),
  underlying_price: z.number(),
  quote_time: z.string(),
  source: z.enum(['simulated', 'replay', 'test']),
});
type ContractOut = z.infer<typeof contractOut>;

function greeksFrom(g: {
  delta: number;
  gamma: number;
  theta: number;
  thetaPerDay: number;
  vega: number;
  rho: number;
}): z.infer<typeof greeksOut> {
  const r = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;
  return {
    delta: r(g.delta),
    gamma: r(g.gamma, 5),
    theta: r(g.theta),
    theta_per_day: r(g.thetaPerDay),
    vega: r(g.vega),
    rho: r(g.rho),
  };
}

function contractFromPriced(p: PricedOption): ContractOut {
  return {
    symbol: p.contract.symbol,
    underlying: p.contract.underlying,
    expiration: p.contract.expiration,
    option_type: p.contract.right,
    strike: p.contract.strike,
    bid: p.quote.bid,
    ask: p.quote.ask,
    bid_size: p.quote.bidSize,
    ask_size: p.quote.askSize,
    last: p.quote.last,
    theoretical_price: Math.round(p.theoreticalPrice * 10_000) / 10_000,
    implied_volatility: Math.round(p.impliedVolatility * 10_000) / 10_000,
    greeks: greeksFrom(p.greeks),
    volume: p.volume,
    open_interest: p.openInterest,
    days_to_expiration: Math.ceil(p.years * 365),
    underlying_price: p.underlyingPrice,
    quote_time: p.quote.time,
    source: p.quote.source,
  };
}

const positionOut = z.object({
  symbol: z.string(),
  underlying: z.string(),
  expiration: z.string(),
  option_type: z.enum(['call', 'put']),
  strike: z.string(),
  quantity: z.string().describe('Signed contracts: negative for a short; 0 once ended'),
  side: z.enum(['long', 'short', 'flat']),
  avg_entry_price: z.string().describe('Per share'),
  cost_basis: z.string().describe('Signed dollars'),
  mark: z.string().nullable().describe('Mid of the option quote, per share'),
  market_value: z.string().nullable(),
  unrealized_pl: z.string().nullable(),
  realized_pl: z.string(),
  implied_volatility: z.number().nullable(),
  position_greeks: greeksOut
    .nullable()
    .describe('The whole position: per-share greeks × contracts × 100'),
  days_to_expiration: z.number().int(),
  status: z.enum(['open', 'closed', 'exercised', 'assigned', 'expired']),
  opened_at: z.string(),
  closed_at: z.string().nullable(),
});
type PositionOut = z.infer<typeof positionOut>;

function positionFrom(p: ValuedOptionPosition): PositionOut {
  const qty = Number(p.qty);
  return {
    symbol: p.symbol,
    underlying: p.underlying,
    expiration: p.expiration,
    option_type: p.right,
    strike: p.strike,
    quantity: p.qty,
    side: qty > 0 ? 'long' : qty < 0 ? 'short' : 'flat',
    avg_entry_price: p.avgEntryPrice,
    cost_basis: p.costBasis,
    mark: p.mark,
    market_value: p.marketValue,
    unrealized_pl: p.unrealizedPl,
    realized_pl: p.realizedPl,
    implied_volatility:
      p.impliedVolatility === null ? null : Math.round(p.impliedVolatility * 10_000) / 10_000,
    position_greeks: p.positionGreeks === null ? null : greeksFrom(p.positionGreeks),
    days_to_expiration: p.daysToExpiration,
    status: p.status,
    opened_at: p.openedAt,
    closed_at: p.closedAt,
  };
}

function positionLine(p: PositionOut): string {
  const value =
    p.market_value === null
      ? ''
      : `, value ${p.market_value}, unrealized ${p.unrealized_pl ?? '?'}`;
  const ended =
    p.status === 'open'
      ? ''
      : ` — ${p.status}${p.closed_at === null ? '' : ` ${p.closed_at.slice(0, 10)}`}, realized ${p.realized_pl}`;
  const delta =
    p.position_greeks === null ? '' : `, delta ${p.position_greeks.delta.toFixed(1)} sh`;
  return `• ${p.quantity} × ${nameOf(p.symbol)} @ ${p.avg_entry_price}${p.mark === null ? '' : `, mark ${p.mark}`}${value}${delta}${ended}`;
}

const netGreeksOut = z.object({
  delta: z.number().describe('Share-equivalent'),
  gamma: z.number(),
  theta_per_day: z.number().describe('Dollars per day'),
  vega: z.number().describe('Dollars per volatility point'),
  rho: z.number(),
});

const underlyingOut = z.object({
  underlying: z.string(),
  underlying_price: z.string().nullable(),
  shares: z.string(),
  net_greeks: netGreeksOut,
  net_delta_with_shares: z.number(),
  cost_basis: z.string(),
  market_value: z.string().nullable(),
  unrealized_pl: z.string().nullable(),
  strategies: z.array(
    z.object({
      strategy: z.string(),
      label: z.string(),
      symbols: z.array(z.string()),
      expiration: z.string().nullable(),
      cost: z.string().describe('Net paid (negative: net credit received)'),
      max_profit: z.string().nullable().describe('At expiry; null when unlimited'),
      max_loss: z.string().nullable().describe('At expiry; null when unlimited'),
      breakevens: z.array(z.string()),
    }),
  ),
  positions: z.array(positionOut),
});

function underlyingFrom(u: UnderlyingOptions): z.infer<typeof underlyingOut> {
  const r = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
  return {
    underlying: u.underlying,
    underlying_price: u.underlyingPrice,
    shares: u.shares,
    net_greeks: {
      delta: r(u.netGreeks.delta),
      gamma: r(u.netGreeks.gamma, 4),
      theta_per_day: r(u.netGreeks.thetaPerDay),
      vega: r(u.netGreeks.vega),
      rho: r(u.netGreeks.rho),
    },
    net_delta_with_shares: r(u.netDeltaWithShares),
    cost_basis: u.costBasis,
    market_value: u.marketValue,
    unrealized_pl: u.unrealizedPl,
    strategies: u.strategies.map((s) => ({
      strategy: s.strategy,
      label: s.label,
      symbols: [...s.symbols],
      expiration: s.expiration,
      cost: s.cost,
      max_profit: s.maxProfit,
      max_loss: s.maxLoss,
      breakevens: [...s.breakevens],
    })),
    positions: u.positions.map(positionFrom),
  };
}

function underlyingLines(u: z.infer<typeof underlyingOut>): string {
  const g = u.net_greeks;
  const strategies = u.strategies.map((s) => {
    const strikes = s.symbols.map((sym) => parseOcc(sym)?.strike ?? '?').join('/');
    const profit = s.max_profit === null ? 'unlimited profit' : `max profit $${s.max_profit}`;
    const loss = s.max_loss === null ? 'unlimited loss' : `max loss $${s.max_loss}`;
    const be = s.breakevens.length === 0 ? '' : `, breakeven ${s.breakevens.join(' / ')}`;
    return `  – ${s.label} ${strikes}${s.expiration === null ? '' : ` exp ${s.expiration}`}: ${profit}, ${loss}${be} (cost ${s.cost})`;
  });
  return [
    `${u.underlying} (price ${u.underlying_price ?? '?'}, shares ${u.shares}): net delta ${g.delta} shares (${u.net_delta_with_shares} with shares), gamma ${g.gamma}, theta ${g.theta_per_day}/day, vega ${g.vega} per vol point; value ${u.market_value ?? '?'}, unrealized ${u.unrealized_pl ?? '?'}`,
    ...strategies,
    ...u.positions.map((p) => `  ${positionLine(p)}`),
  ].join('\n');
}

// ─── the spread builders ────────────────────────────────────────────────────────────────────

const spreadInput = z.strictObject({
  legs: legsArg.optional(),
  underlying: underlyingArg.optional(),
  expiration: expirationArg.optional(),
  option_type: optionTypeArg.optional(),
  short_strike: dollarsArg(
    'short_strike',
    'With underlying/expiration/option_type: the strike you sell, e.g. 280.',
  ).optional(),
  long_strike: dollarsArg(
    'long_strike',
    'With underlying/expiration/option_type: the strike you buy, e.g. 285.',
  ).optional(),
  quantity: contractsArg.describe('How many spreads (each is one contract per leg).'),
  limit_price: dollarsArg(
    'limit_price',
    'The net price per share: for a credit spread the least credit you accept, for a debit spread the most you pay, e.g. 1.20.',
  ),
  account_id: accountIdArg,
  client_order_id: clientOrderIdArg.optional(),
});
type SpreadArgs = z.output<typeof spreadInput>;

/** The two legs of a vertical, checked, and whether it is a credit spread. */
function verticalLegs(args: SpreadArgs): {
  legs: LegArg[];
  credit: boolean;
  contracts: OptionContract[];
} {
  let legs: LegArg[];
  if (args.legs !== undefined) {
    legs = args.legs;
  } else {
    const need = (
      ['underlying', 'expiration', 'option_type', 'short_strike', 'long_strike'] as const
    ).find((k) => args[k] === undefined);
    if (need !== undefined) {
      throw new ToolInputError(
        args.underlying === undefined ? 'legs' : need,
        args.underlying === undefined
          ? 'Missing the legs of the spread'
          : `Missing argument "${need}"`,
        `Pass legs: ${OPTION_HINTS.legs ?? ''} — or underlying, expiration, option_type, short_strike and long_strike.`,
      );
    }
    const symbol = (strike: string): string =>
      contractFrom({
        underlying: args.underlying,
        expiration: args.expiration,
        option_type: args.option_type,
        strike,
      }).symbol;
    legs = [
      { symbol: symbol(args.short_strike ?? ''), side: 'sell', ratioQty: '1' },
      { symbol: symbol(args.long_strike ?? ''), side: 'buy', ratioQty: '1' },
    ];
  }
  const contracts = legs
    .map((l) => parseOcc(l.symbol))
    .filter((c): c is OptionContract => c !== undefined);
  const [a, b] = contracts;
  const sells = legs.filter((l) => l.side === 'sell');
  if (
    legs.length !== 2 ||
    a === undefined ||
    b === undefined ||
    a.underlying !== b.underlying ||
    a.right !== b.right ||
    a.expiration !== b.expiration ||
    a.strike === b.strike ||
    sells.length !== 1 ||
    legs.some((l) => l.ratioQty !== '1')
  ) {
    throw new ToolInputError(
      'legs',
      'A vertical spread is two options of one underlying, the same type and expiration, different strikes: one sold, one bought, one contract each per spread',
      'Pass exactly one "sell" and one "buy" leg (or underlying, expiration, option_type, short_strike, long_strike). For other combinations place the legs one by one.',
    );
  }
  const short = legs[0]?.side === 'sell' ? a : b;
  const long = short === a ? b : a;
  const shortLower = new Dec(short.strike).lt(new Dec(long.strike));
  // A call spread sold below the bought strike, or a put spread sold above it, takes in a credit.
  const credit = short.right === 'call' ? shortLower : !shortLower;
  return { legs, credit, contracts };
}

function spreadRequest(legs: readonly LegArg[], quantity: string, netLimit: string): OrderRequest {
  const orderLegs: OrderLegRequest[] = legs.map((l) => {
    const contract = parseOcc(l.symbol);
    if (contract === undefined)
      throw new ToolInputError('legs', `${l.symbol} is not an OCC symbol`, OPTION_HINTS.legs);
    return {
      instrument: optionInstrument(contract),
      side: l.side,
      ratioQty: l.ratioQty,
      ...(l.positionIntent === undefined ? {} : { positionIntent: l.positionIntent }),
    };
  });
  const first = orderLegs[0];
  if (first === undefined) throw new ToolInputError('legs', 'Missing the legs', OPTION_HINTS.legs);
  return {
    instrument: first.instrument,
    side: first.side,
    type: 'limit',
    timeInForce: 'day',
    qty: quantity,
    orderClass: 'mleg',
    limitPrice: netLimit,
    legs: orderLegs,
  };
}

// ─── registration ───────────────────────────────────────────────────────────────────────────

const TRADE = { readOnlyHint: false, destructiveHint: true, idempotentHint: false } as const;
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;

/** Option tools' symbols are OCC contracts and their quantities contracts: their own fixes. */
const OPTION_ARGUMENT_HINTS: Readonly<Record<string, string>> = {
  ...ARGUMENT_HINTS,
  ...OPTION_HINTS,
};

function registerOptionTool<I extends z.ZodObject, O extends z.ZodRawShape>(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
  spec: ToolSpec<I, O>,
): void {
  registerTool(server, session, catalog, { argumentHints: OPTION_ARGUMENT_HINTS, ...spec });
}

/** Registers the option tools. */
export function registerOptionTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  const singleInput = z.strictObject({
    ...contractShape,
    quantity: contractsArg,
    limit_price: dollarsArg(
      'limit_price',
      'The limit price per share, e.g. 2.35 ($0.01 steps below $3, $0.05 at or above).',
    ),
    account_id: accountIdArg,
    client_order_id: clientOrderIdArg.optional(),
  });

  for (const side of ['buy', 'sell'] as const satisfies readonly OrderSide[]) {
    registerOptionTool(server, session, catalog, {
      name: `${side}_option_limit`,
      title:
        side === 'buy' ? 'Buy an option with a limit price' : 'Sell an option with a limit price',
      group: 'orders',
      description:
        (side === 'buy'
          ? 'Buy option contracts (calls or puts) at limit_price per share or better: to open a long position (the premium, limit × 100 per contract, is paid in full) or to close a short one. '
          : 'Sell option contracts at limit_price per share or better: to close a long position, or to open a short one — a covered call needs 100 shares per contract, a cash-secured put holds the strike × 100 of buying power, an uncovered call needs options level 3. ') +
        'Day orders only; whole contracts; it fills at once when the market is already there, otherwise it works until the close. Name the contract by its OCC symbol (options_chain lists them) or by underlying, expiration, option_type and strike. ' +
        `Returns the order with its honest status. ${SAFE_RETRY} ` +
        `Example: {"symbol": "AAPL  260116C00280000", "quantity": 1, "limit_price": ${side === 'buy' ? '12.5' : '12.3'}}.`,
      input: singleInput,
      output: orderResult,
      annotations: TRADE,
      run: async (args) => {
        const contract = contractFrom(args);
        listed(session, contract);
        return placeOptionOrder(
          session,
          {
            instrument: optionInstrument(contract),
            side,
            type: 'limit',
            timeInForce: 'day',
            qty: args.quantity,
            limitPrice: args.limit_price,
          },
          args,
        );
      },
    });
  }

  for (const credit of [true, false]) {
    registerOptionTool(server, session, catalog, {
      name: credit ? 'option_credit_spread' : 'option_debit_spread',
      title: credit ? 'Open a credit spread (vertical)' : 'Open a debit spread (vertical)',
      group: 'orders',
      description:
        (credit
          ? 'Sell a vertical credit spread as ONE order: sell one option and buy a further out-of-the-money one of the same type and expiration (a bear call spread sells the lower call strike; a bull put spread sells the higher put strike), for a net credit of at least limit_price per share. Its risk is defined: the buying power it holds is its maximum loss (width − credit) × 100. '
          : 'Buy a vertical debit spread as ONE order: buy one option and sell a further out-of-the-money one of the same type and expiration (a bull call spread buys the lower call strike; a bear put spread buys the higher put strike), for a net debit of at most limit_price per share; the debit is the most it can lose. ') +
        'Both legs fill together or not at all (all-or-none, one fill per leg) at the net price or better; day order. Give the legs as a list (objects or JSON text) or as underlying, expiration, option_type, short_strike and long_strike. ' +
        `The answer says in plain words the maximum profit, maximum loss and breakeven at expiry. ${SAFE_RETRY} ` +
        (credit
          ? 'Example: {"underlying": "AAPL", "expiration": "2026-01-16", "option_type": "call", "short_strike": 280, "long_strike": 285, "quantity": 1, "limit_price": 1.20}.'
          : 'Example: {"legs": [{"symbol": "AAPL  260116C00280000", "side": "buy"}, {"symbol": "AAPL  260116C00285000", "side": "sell"}], "quantity": 1, "limit_price": 2.10}.'),
      input: spreadInput,
      output: orderResult,
      annotations: TRADE,
      run: async (args) => {
        const spread = verticalLegs(args);
        if (spread.credit !== credit) {
          throw new ToolInputError(
            'legs',
            credit
              ? 'These legs form a debit spread (the bought option is the more expensive one)'
              : 'These legs form a credit spread (the sold option is the more expensive one)',
            credit
              ? 'Use option_debit_spread, or swap which strike you sell: a credit call spread sells the lower strike, a credit put spread the higher one.'
              : 'Use option_credit_spread, or swap which strike you buy: a debit call spread buys the lower strike, a debit put spread the higher one.',
          );
        }
        for (const c of spread.contracts) listed(session, c);
        const net = credit ? `-${args.limit_price}` : args.limit_price;
        return placeOptionOrder(session, spreadRequest(spread.legs, args.quantity, net), args);
      },
    });
  }

  const listInput = z.strictObject({
    status: choiceArg(
      'status',
      ['all', 'open', 'closed'] as const,
      'Optional: all (default), open or closed.',
    ).optional(),
    underlying: underlyingArg.optional(),
    limit: integerArg(
      'limit',
      1,
      500,
      'Optional: how many orders per page, 1-500 (default 50).',
    ).optional(),
    cursor: z
      .string()
      .optional()
      .meta({ description: `Optional: ${ARGUMENT_HINTS.cursor ?? ''}.` }),
    account_id: accountIdArg,
  });
  const listOutput = {
    account_id: z.string(),
    status: z.enum(['open', 'closed', 'all']),
    count: z.number().int(),
    orders: z.array(optionOrderOut).describe('Newest first; spreads with their legs'),
    next_cursor: z.string().nullable(),
  };
  const listOrders = async (
    args: z.output<typeof listInput>,
    status: 'all' | 'open' | 'closed',
  ) => {
    const accountId = await session.accountId(args.account_id);
    const fresh = await session.readable();
    const page = await session.deps.trading.listOrders(session.principal, accountId, {
      status,
      assetClass: 'us_option',
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
    });
    const orders = page.items
      .map(optionOrderFromView)
      .filter(
        (o) =>
          args.underlying === undefined ||
          (parseOcc(o.symbol)?.underlying ?? o.symbol) === args.underlying,
      );
    const summary =
      orders.length === 0
        ? `No ${status === 'all' ? '' : `${status} `}option orders.`
        : `${orders.length} ${status === 'all' ? '' : `${status} `}option order${orders.length === 1 ? '' : 's'}, newest first${page.nextCursor === null ? '' : ' (more with next_cursor)'}:\n${orders.slice(0, 15).map(optionOrderLine).join('\n')}\n`;
    return {
      data: {
        account_id: accountId,
        status,
        count: orders.length,
        orders,
        next_cursor: page.nextCursor,
      },
      summary:
        summary +
        (fresh ? '' : ' (The read models had not caught up yet; retry for fresher data.)'),
    };
  };
  registerOptionTool(server, session, catalog, {
    name: 'options_orders',
    title: 'List option orders',
    group: 'order management',
    description:
      'List the option orders of your account (single contracts and spreads with their legs), newest first, with status and fill price. status "all" (default), "open" or "closed"; optional underlying filter; paged with limit/next_cursor. ' +
      'Example: {"status": "closed", "underlying": "AAPL"}.',
    input: listInput,
    output: listOutput,
    annotations: READ,
    run: (args) => listOrders(args, args.status ?? 'all'),
  });
  registerOptionTool(server, session, catalog, {
    name: 'open_option_orders',
    title: 'List open option orders',
    group: 'order management',
    description:
      'List the option orders still working (new, partially filled) or queued (accepted), spreads with their legs. Use it before canceling, or to see what holds buying power. Example: {}.',
    input: listInput.omit({ status: true }),
    output: listOutput,
    annotations: READ,
    run: (args) => listOrders({ ...args, limit: args.limit ?? 500 }, 'open'),
  });

  registerOptionTool(server, session, catalog, {
    name: 'cancel_option_order_by_id',
    title: 'Cancel an option order',
    group: 'order management',
    description:
      'Cancel one open option order by order_id (or your client_order_id): a single contract or a whole spread (its legs are canceled with it; a single leg of a spread cannot be canceled alone). Contracts already filled stay filled; held buying power is released. ' +
      'Example: {"order_id": "3f0c9a52-…"}.',
    input: z.strictObject({
      order_id: idArg('order_id', `The order: ${ARGUMENT_HINTS.order_id ?? ''}.`).optional(),
      client_order_id: clientOrderIdArg.optional(),
      account_id: accountIdArg,
    }),
    output: {
      account_id: z.string(),
      order: optionOrderOut,
      buying_power_after: z.string(),
      event_position: z.number().int().nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      if ((args.order_id === undefined) === (args.client_order_id === undefined)) {
        throw new ToolInputError(
          'order_id',
          args.order_id === undefined
            ? 'Missing required argument "order_id"'
            : 'Give order_id or client_order_id, not both',
          'Pass order_id (open_option_orders lists them) or only client_order_id.',
        );
      }
      await session.readable();
      const { trading } = session.deps;
      const view =
        args.order_id !== undefined
          ? await trading.order(session.principal, accountId, args.order_id)
          : await trading.orderByClientOrderId(
              session.principal,
              accountId,
              args.client_order_id ?? '',
            );
      if (view.assetClass !== 'us_option') {
        throw new ToolFailure(
          'not_an_option_order',
          `Order ${view.id} is a stock order`,
          'order_id',
          'Use cancel_stock_order_by_id for stock orders.',
        );
      }
      const result = await trading.cancelOrder(
        session.principal,
        accountId,
        view.id,
        session.callContext(),
      );
      session.wrote(result.position);
      const order = orderById(result.state, view.id);
      if (order === undefined) throw new Error(`order ${view.id} missing after cancel`);
      const out = optionOrderFromDomain(order, result.state);
      const bp = fmt(buyingPower(result.state));
      return {
        data: {
          account_id: accountId,
          order: out,
          buying_power_after: bp,
          event_position: result.position ?? null,
        },
        summary: `CANCELED: ${optionOrderLine(out).slice(2)}; nothing more will fill. Buying power now ${bp}.`,
      };
    },
  });

  registerOptionTool(server, session, catalog, {
    name: 'cancel_all_option_orders_tool',
    title: 'Cancel all open option orders',
    group: 'order management',
    description:
      'Cancel every open option order (single contracts and spreads with their legs); stock orders are left alone. Calling it when nothing is open changes nothing. Example: {}.',
    input: z.strictObject({ account_id: accountIdArg }),
    output: {
      account_id: z.string(),
      canceled_count: z.number().int().describe('Orders canceled, spreads counted once'),
      canceled: z.array(optionOrderOut),
      buying_power_after: z.string(),
      event_position: z.number().int().nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const result = await session.deps.trading.cancelAll(
        session.principal,
        accountId,
        session.callContext(),
        'us_option',
      );
      session.wrote(result.position);
      const canceled = result.events.flatMap((e) => {
        const order =
          e.type === 'OrderCanceled' ? orderById(result.state, e.data.orderId) : undefined;
        return order === undefined || order.legRole === 'option_leg'
          ? []
          : [optionOrderFromDomain(order, result.state)];
      });
      const bp = fmt(buyingPower(result.state));
      return {
        data: {
          account_id: accountId,
          canceled_count: canceled.length,
          canceled,
          buying_power_after: bp,
          event_position: result.position ?? null,
        },
        summary:
          canceled.length === 0
            ? `There were no open option orders to cancel. Buying power ${bp}.`
            : `Canceled ${canceled.length} option order${canceled.length === 1 ? '' : 's'}:\n${canceled.map(optionOrderLine).join('\n')}\nBuying power now ${bp}.`,
      };
    },
  });

  registerOptionTool(server, session, catalog, {
    name: 'options_chain',
    title: 'Option chain of an underlying',
    group: 'options',
    description:
      'The listed options of a stock or ETF: every expiration, and for the chosen one (default: the nearest) the calls and puts around the money with bid, ask, sizes, implied volatility, delta, theta and open interest. Quotes are simulated, priced with Black–Scholes–Merton from the underlying price. ' +
      'Filter with expiration, option_type, strike_min/strike_max; max_contracts (default 30) keeps the answer short, nearest the money first. Use the symbol of a row with the order tools. ' +
      'Example: {"underlying": "AAPL", "expiration": "2026-01-16", "option_type": "call"}.',
    input: z.strictObject({
      underlying: underlyingArg,
      expiration: expirationArg.optional(),
      option_type: optionTypeArg.optional(),
      strike_min: dollarsArg('strike_min', 'Optional: lowest strike.').optional(),
      strike_max: dollarsArg('strike_max', 'Optional: highest strike.').optional(),
      max_contracts: integerArg(
        'max_contracts',
        1,
        500,
        'Optional: at most this many contracts, nearest the money (default 30).',
      ).optional(),
    }),
    output: {
      underlying: z.string(),
      underlying_price: z.number(),
      as_of: z.string(),
      expirations: z.array(z.string()).describe('Every listed expiration'),
      expiration: z.string().describe('The expiration shown'),
      risk_free_rate: z.number(),
      dividend_yield: z.number(),
      total_contracts: z
        .number()
        .int()
        .describe('Contracts matching the filter before max_contracts'),
      contracts: z.array(contractOut),
    },
    annotations: READ,
    run: async (args) => {
      const options = desk(session);
      const all = await options.chain(args.underlying);
      if (all === undefined) {
        throw new ToolFailure(
          'unknown_symbol',
          `${args.underlying} has no listed options on this venue`,
          'underlying',
          'Options are listed on the simulated stocks and ETFs above $3 (not the penny names); get_quote tells whether a ticker is listed.',
        );
      }
      const expiration = args.expiration ?? all.expirations[0] ?? '';
      if (!all.expirations.includes(expiration)) {
        throw new ToolFailure(
          'unknown_expiration',
          `${args.underlying} has no options expiring ${expiration}`,
          'expiration',
          `Use one of the listed expirations: ${all.expirations.join(', ')}.`,
        );
      }
      const chain = await options.chain(args.underlying, {
        expiration,
        ...(args.option_type === undefined ? {} : { right: args.option_type }),
        ...(args.strike_min === undefined ? {} : { strikeMin: Number(args.strike_min) }),
        ...(args.strike_max === undefined ? {} : { strikeMax: Number(args.strike_max) }),
      });
      const spot = all.contracts[0]?.underlyingPrice ?? 0;
      const rows = [...(chain?.contracts ?? [])]
        .sort(
          (a, b) =>
            Math.abs(Number(a.contract.strike) - spot) - Math.abs(Number(b.contract.strike) - spot),
        )
        .slice(0, args.max_contracts ?? 30)
        .sort(
          (a, b) =>
            Number(a.contract.strike) - Number(b.contract.strike) ||
            (a.contract.right < b.contract.right ? -1 : 1),
        )
        .map(contractFromPriced);
      const lines = rows.map(
        (c) =>
          `• ${c.strike} ${c.option_type}: bid ${c.bid} × ${c.bid_size}, ask ${c.ask} × ${c.ask_size}, IV ${(c.implied_volatility * 100).toFixed(1)} %, delta ${c.greeks.delta.toFixed(2)}, OI ${c.open_interest} [${c.symbol}]`,
      );
      return Promise.resolve({
        data: {
          underlying: all.underlying,
          underlying_price: spot,
          as_of: all.asOf,
          expirations: [...all.expirations],
          expiration,
          risk_free_rate: all.riskFreeRate,
          dividend_yield: all.dividendYield,
          total_contracts: chain?.contracts.length ?? 0,
          contracts: rows,
        },
        summary:
          `${all.underlying} at ${spot.toFixed(2)} (simulated): options expiring ${expiration} (${rows.length} of ${chain?.contracts.length ?? 0} contracts shown, nearest the money; prices per share, 100 shares per contract). Listed expirations: ${all.expirations.join(', ')}.\n` +
          `${lines.join('\n')}\n`,
      });
    },
  });

  registerOptionTool(server, session, catalog, {
    name: 'option_greeks',
    title: 'Quote and greeks of one option',
    group: 'options',
    description:
      'One option contract now: bid/ask, model (Black–Scholes–Merton) value, implied volatility and the greeks — delta, gamma, theta per year and per day, vega per volatility point, rho per rate point — plus volume and open interest. ' +
      'Name it by OCC symbol or by underlying, expiration, option_type and strike. Example: {"symbol": "AAPL  260116C00280000"}.',
    input: z.strictObject(contractShape),
    output: { contract: contractOut },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    run: (args) => {
      const priced = listed(session, contractFrom(args));
      const c = contractFromPriced(priced);
      return Promise.resolve({
        data: { contract: c },
        summary: `${nameOf(c.symbol)} [${c.symbol}] (simulated): bid ${c.bid}, ask ${c.ask}, model ${c.theoretical_price}, IV ${(c.implied_volatility * 100).toFixed(2)} %, with ${c.underlying} at ${c.underlying_price.toFixed(2)} and ${priced.years * 365 < 1 ? 'expiring today' : `${c.days_to_expiration} days to expiry`}. Greeks per share: delta ${c.greeks.delta}, gamma ${c.greeks.gamma}, theta ${c.greeks.theta}/year (${c.greeks.theta_per_day}/day), vega ${c.greeks.vega} per vol point, rho ${c.greeks.rho} per rate point.`,
      });
    },
  });

  registerOptionTool(server, session, catalog, {
    name: 'option_historicals',
    title: 'Price history of an option',
    group: 'options',
    description:
      'The simulated price history of one option: its model value at the end of each underlying bar (1Day default, or 1Min), with implied volatility and delta, from start (default: 30 days back) to end (default now), at most limit points. ' +
      'Example: {"symbol": "AAPL  260116C00280000", "timeframe": "1Day", "start": "2025-12-01"}.',
    input: z.strictObject({
      ...contractShape,
      timeframe: choiceArg(
        'timeframe',
        ['1Day', '1Min'] as const,
        'Optional: 1Day (default) or 1Min.',
      ).optional(),
      start: instantArg('start', `Optional: ${ARGUMENT_HINTS.start ?? ''}.`).optional(),
      end: instantArg('end', `Optional: ${ARGUMENT_HINTS.end ?? ''}.`).optional(),
      limit: integerArg(
        'limit',
        1,
        1000,
        'Optional: at most this many points (default 100).',
      ).optional(),
    }),
    output: {
      symbol: z.string(),
      timeframe: z.enum(['1Day', '1Min']),
      points: z.array(
        z.object({
          time: z.string(),
          underlying_close: z.number(),
          mark: z.number().describe('Model value per share'),
          implied_volatility: z.number(),
          delta: z.number(),
        }),
      ),
    },
    annotations: READ,
    run: async (args) => {
      const contract = contractFrom(args);
      const market = desk(session).market;
      const timeframe = args.timeframe ?? '1Day';
      const end = args.end === undefined ? market.clock.now() : new Date(args.end);
      const start =
        args.start === undefined
          ? new Date(end.getTime() - (timeframe === '1Day' ? 30 : 1) * 86_400_000)
          : new Date(args.start);
      const points = await market.historicals(contract.symbol, {
        timeframe,
        start,
        end,
        limit: args.limit ?? 100,
      });
      const last = points.at(-1);
      return {
        data: {
          symbol: contract.symbol,
          timeframe,
          points: points.map((p) => ({
            time: p.time,
            underlying_close: p.underlyingClose,
            mark: p.mark,
            implied_volatility: Math.round(p.impliedVolatility * 10_000) / 10_000,
            delta: Math.round(p.delta * 10_000) / 10_000,
          })),
        },
        summary:
          points.length === 0
            ? `No history for ${nameOf(contract.symbol)} in that range (bars only exist for completed sessions before expiry).`
            : `${points.length} ${timeframe} points of ${nameOf(contract.symbol)} (simulated model values): from ${points[0]?.mark ?? '?'} on ${points[0]?.time.slice(0, 10) ?? '?'} to ${last?.mark ?? '?'} on ${last?.time.slice(0, 10) ?? '?'} (underlying ${last?.underlyingClose ?? '?'}).`,
      };
    },
  });

  registerOptionTool(server, session, catalog, {
    name: 'aggregate_option_positions',
    title: 'Option positions by underlying, with net greeks and risk',
    group: 'options',
    description:
      'Your open option positions grouped by underlying: net greeks (delta in shares, with and without the shares you hold; gamma; theta per day; vega per volatility point), value and unrealized P&L, and the strategies the legs form (credit/debit spreads, straddles, strangles, iron condors, calendars, covered calls…) with their maximum profit, maximum loss and breakevens at expiry. ' +
      'Use it to see the risk of what you hold. Example: {}.',
    input: z.strictObject({ account_id: accountIdArg }),
    output: { account_id: z.string(), underlyings: z.array(underlyingOut) },
    annotations: READ,
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const groups = (await desk(session).aggregate(session.principal, accountId)).map(
        underlyingFrom,
      );
      return {
        data: { account_id: accountId, underlyings: groups },
        summary:
          (groups.length === 0
            ? 'No open option positions.'
            : `Open option positions on ${groups.length} underlying${groups.length === 1 ? '' : 's'}:\n${groups.map(underlyingLines).join('\n')}\n`) +
          (fresh ? '' : ' (The read models had not caught up yet; retry for fresher data.)'),
      };
    },
  });

  const positionsTool = (
    name: string,
    title: string,
    status: 'open' | 'all',
    description: string,
  ): void => {
    registerOptionTool(server, session, catalog, {
      name,
      title,
      group: 'options',
      description,
      input: z.strictObject({ underlying: underlyingArg.optional(), account_id: accountIdArg }),
      output: { account_id: z.string(), count: z.number().int(), positions: z.array(positionOut) },
      annotations: READ,
      run: async (args) => {
        const accountId = await session.accountId(args.account_id);
        const fresh = await session.readable();
        const positions = (
          await desk(session).positions(session.principal, accountId, {
            status,
            ...(args.underlying === undefined ? {} : { underlying: args.underlying }),
          })
        ).map(positionFrom);
        return {
          data: { account_id: accountId, count: positions.length, positions },
          summary:
            (positions.length === 0
              ? `No ${status === 'open' ? 'open ' : ''}option positions.`
              : `${positions.length} ${status === 'open' ? 'open ' : ''}option position${positions.length === 1 ? '' : 's'}:\n${positions.map(positionLine).join('\n')}\n`) +
            (fresh ? '' : ' (The read models had not caught up yet; retry for fresher data.)'),
        };
      },
    });
  };
  positionsTool(
    'all_option_positions',
    'Every option position, open and ended',
    'all',
    'Every option contract you have held: open positions valued now, and ended ones with how they ended (closed, exercised, assigned, expired), when, and their realized P&L. Optional underlying filter. Example: {} or {"underlying": "AAPL"}.',
  );
  positionsTool(
    'open_option_positions',
    'Open option positions',
    'open',
    'Your open option positions: contracts (negative for short), average entry per share, mark, market value, unrealized P&L, implied volatility, position greeks and days to expiry. Optional underlying filter. Example: {}.',
  );

  registerOptionTool(server, session, catalog, {
    name: 'exercise_option',
    title: 'Exercise a long option early',
    group: 'options',
    description:
      'Exercise long option contracts now (American style): a call buys 100 shares per contract at the strike, a put sells them, priced against the underlying’s last trade. quantity defaults to every contract not promised to an open sell order. ' +
      'Usually selling the option is better (it keeps its time value); at expiry the venue exercises contracts in the money by $0.01 or more by itself. Refused for short positions, expired contracts, and when the cash for the strike is missing. ' +
      'Example: {"symbol": "AAPL  260116C00250000", "quantity": 1}.',
    input: z.strictObject({
      ...contractShape,
      quantity: contractsArg.optional(),
      account_id: accountIdArg,
    }),
    output: {
      account_id: z.string(),
      symbol: z.string(),
      contracts: z.string(),
      underlying_price: z.string(),
      shares: z
        .object({
          symbol: z.string(),
          quantity: z.string().describe('Signed: + received, − delivered'),
          price: z.string(),
        })
        .nullable(),
      cash_change: z.string(),
      option_realized_pl: z.string(),
      cash_after: z.string(),
      buying_power_after: z.string(),
      event_position: z.number().int().nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (args) => {
      const contract = contractFrom(args);
      const accountId = await session.accountId(args.account_id);
      const written = await session.deps.trading.exerciseOption(
        session.principal,
        accountId,
        contract.symbol,
        args.quantity,
        session.callContext(),
      );
      session.wrote(written.position);
      const event = written.events.find((e) => e.type === 'OptionExercised');
      if (event?.type !== 'OptionExercised') throw new Error('no OptionExercised event');
      const d = event.data;
      const bp = fmt(buyingPower(written.state));
      return {
        data: {
          account_id: accountId,
          symbol: d.symbol,
          contracts: d.qty,
          underlying_price: d.underlyingPrice,
          shares:
            d.shares === null
              ? null
              : { symbol: d.shares.symbol, quantity: d.shares.qty, price: d.shares.price },
          cash_change: d.cashDelta,
          option_realized_pl: d.optionRealizedPnl,
          cash_after: written.state.cash,
          buying_power_after: bp,
          event_position: written.position ?? null,
        },
        summary: `EXERCISED ${d.qty} × ${nameOf(d.symbol)} with ${d.underlying} at ${d.underlyingPrice}: ${contract.right === 'call' ? 'bought' : 'sold'} ${Math.abs(Number(d.shares?.qty ?? 0))} shares at the strike ${d.strike} (cash ${d.cashDelta}); the option's realized P&L is ${d.optionRealizedPnl}. Cash ${written.state.cash}, buying power ${bp}.`,
      };
    },
  });
}
