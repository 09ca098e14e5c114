/**
 * Order management tools: list orders, cancel one or all, and explain a fill from the ledger
 * (the quote that priced it, the fill model applied, the cash and position it moved).
 * Reads come from the projections (after this session's writes are applied); cancels go
 * through `TradingCommands`; `explain_fill` reads the order's events from the account stream.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { FillModel } from '../../domain/fill-model.ts';
import {
  buyingPower,
  evolve,
  initialState,
  type AccountEvent,
  type AccountState,
  type FillExplanation,
} from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import { MAX_EVENTS_PAGE } from '../../commands/account-events.ts';
import type { RecordedEvent } from '../../eventstore/port.ts';
import { dec, fmt } from '../../domain/money.ts';
import type { OrderView } from '../../projections/trading-views.ts';
import {
  accountIdArg,
  choiceArg,
  clientOrderIdArg,
  idArg,
  integerArg,
  symbolsArg,
  ToolInputError,
  ARGUMENT_HINTS,
} from '../args.ts';
import { newYorkTime } from '../market-info.ts';
import {
  orderFromDomain,
  orderFromView,
  orderLabel,
  orderOut,
  orderStatusSentence,
  quoteFrom,
  quoteOut,
  type OrderOut,
} from '../present.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const LAGGING =
  ' (The read models had not caught up with your latest change within the wait; retry for fresher data.)';

const orderIdArg = idArg('order_id', `The order: ${ARGUMENT_HINTS.order_id ?? ''}.`);

/** One order per line for the text summary (at most `max`). */
function orderLines(orders: readonly OrderOut[], max = 10): string {
  const lines = orders.slice(0, max).map((o) => {
    const fill =
      o.filled_quantity === '0'
        ? ''
        : `, filled ${o.filled_quantity} @ ${o.filled_avg_price ?? '?'}`;
    return `• ${orderLabel(o)} — ${o.status}${fill} [id ${o.id}]`;
  });
  if (orders.length > max)
    lines.push(`• … and ${orders.length - max} more (see structuredContent)`);
  return lines.join('\n');
}

/** Resolves `order_id` or `client_order_id` (exactly one) to an order of the account. */
async function findOrder(
  session: ToolSession,
  accountId: string,
  args: { readonly order_id?: string | undefined; readonly client_order_id?: string | undefined },
): Promise<OrderView> {
  if ((args.order_id === undefined) === (args.client_order_id === undefined)) {
    throw new ToolInputError(
      'order_id',
      args.order_id === undefined
        ? 'Missing required argument "order_id"'
        : 'Give order_id or client_order_id, not both',
      `Pass order_id: ${ARGUMENT_HINTS.order_id ?? ''} (or only client_order_id, the id you chose).`,
    );
  }
  await session.readable();
  const { trading } = session.deps;
  return args.order_id !== undefined
    ? trading.order(session.principal, accountId, args.order_id)
    : trading.orderByClientOrderId(session.principal, accountId, args.client_order_id ?? '');
}

const listOutput = {
  account_id: z.string(),
  status: z.enum(['open', 'closed', 'all']),
  count: z.number().int(),
  orders: z.array(orderOut).describe('Newest first'),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last'),
};

// ─── explain_fill ───────────────────────────────────────────────────────────────────────────

const positionSnapshot = z.object({ quantity: z.string(), cost_basis: z.string() });

const fillExplained = z.object({
  fill_id: z.string(),
  at: z.string().describe('Simulated time of the fill'),
  side: z.enum(['buy', 'sell']),
  quantity: z.string(),
  price: z.string(),
  gross_amount: z.string().describe('quantity × price'),
  commission: z.string(),
  sec_fee: z.string(),
  finra_taf: z.string(),
  cash_change: z
    .string()
    .describe('Signed: −(gross + charges) for buys, gross − charges for sells'),
  cash_before: z.string(),
  cash_after: z.string(),
  position_before: positionSnapshot,
  position_after: positionSnapshot,
  realized_pl: z.string().describe('Realized P&L of this fill (average cost, before charges)'),
  priced_by: z.enum(['quote', 'auction']),
  quote: quoteOut.nullable().describe('The NBBO quote that priced the fill'),
  auction: z
    .object({ kind: z.enum(['open', 'close']), price: z.string(), time: z.string() })
    .nullable(),
  fill_model: z.object({
    base_price: z.string().describe('The touch (ask for buys, bid for sells) or the auction price'),
    slippage_per_share: z.string(),
    slippage_model: z.string(),
    commission_model: z.string(),
    regulatory_fees: z.string(),
    max_participation: z
      .string()
      .describe('Largest fraction of the displayed size one fill may take'),
    partial_fill_rule: z.enum(['displayed_size', 'auction']),
    limit_price: z.string().nullable(),
  }),
  explanation: z.string(),
});
type FillExplainedOut = z.infer<typeof fillExplained>;

const explainOutput = {
  account_id: z.string(),
  order: orderOut,
  events: z.array(
    z.object({
      position: z.number().int().describe('Global event position in the ledger'),
      type: z.string(),
      at: z.string(),
      description: z.string(),
    }),
  ),
  fills: z.array(fillExplained),
  totals: z.object({
    filled_quantity: z.string(),
    average_price: z.string().nullable(),
    cash_change: z.string(),
    charges: z.string().describe('Commission + regulatory fees'),
  }),
};

function slippageText(model: FillExplanation['slippage']): string {
  switch (model.kind) {
    case 'none':
      return 'none';
    case 'fixed_bps':
      return `fixed ${model.bps} bps of the touch price`;
    case 'spread_fraction':
      return `${model.fraction} of the quoted spread`;
    case 'volume_participation':
      return `${model.impactBps} bps × quantity / displayed size`;
  }
}

function commissionText(model: FillModel['commission']): string {
  switch (model.kind) {
    case 'none':
      return 'none';
    case 'per_share':
      return `${model.perShare} per share${model.minimum === null ? '' : `, minimum ${model.minimum}`}${model.maximum === null ? '' : `, maximum ${model.maximum}`} per order`;
    case 'per_order':
      return `${model.amount} per order`;
  }
}

function feesText(fees: FillModel['regulatoryFees']): string {
  return `on sells only: SEC fee ${fees.secFeeRate} × proceeds, FINRA TAF ${fees.tafPerShare} per share (max ${fees.tafMaxPerTrade})`;
}

/** True when an event is about `orderId`. */
function concerns(event: AccountEvent, orderId: string): boolean {
  switch (event.type) {
    case 'OrderPlaced':
      return event.data.order.id === orderId;
    case 'OrderReplaced':
      return event.data.orderId === orderId || event.data.newOrder.id === orderId;
    case 'OrderRejected':
    case 'OrderTriggered':
    case 'OrderActivated':
    case 'OrderFilled':
    case 'OrderCanceled':
    case 'OrderExpired':
    case 'OrderWaterMarkUpdated':
      return event.data.orderId === orderId;
    default:
      return false;
  }
}

function describeEvent(event: AccountEvent, orderId: string): string {
  switch (event.type) {
    case 'OrderPlaced':
      return `placed: ${orderLabel(orderFromDomain(event.data.order))}, status ${event.data.order.status}`;
    case 'OrderReplaced':
      return event.data.orderId === orderId
        ? `replaced by order ${event.data.replacedBy}`
        : `placed as the replacement of order ${event.data.orderId}: ${orderLabel(orderFromDomain(event.data.newOrder))}`;
    case 'OrderRejected':
      return `rejected: ${event.data.reason} — ${event.data.message}`;
    case 'OrderTriggered':
      return `stop ${event.data.stopPrice} triggered: ${event.data.triggerSource === 'last' ? 'last trade' : 'bid/ask'} ${event.data.triggerPrice} reached it (quote #${event.data.quote.seq})`;
    case 'OrderActivated':
      return `activated for ${event.data.qty} shares after parent ${event.data.parentId} filled`;
    case 'OrderFilled':
      return `${event.data.orderStatus === 'filled' ? 'filled' : 'partially filled'}: ${event.data.qty} at ${event.data.price} (cumulative ${event.data.cumulativeQty}, ${event.data.leavesQty} left)`;
    case 'OrderCanceled':
      return `canceled (${event.data.reason.replace(/_/g, ' ')})`;
    case 'OrderExpired':
      return `expired (${event.data.reason.replace(/_/g, ' ')})`;
    case 'OrderWaterMarkUpdated':
      return `water mark moved to ${event.data.hwm}; stop now ${event.data.stopPrice}`;
    default:
      return event.type;
  }
}

function explainFill(
  event: Extract<AccountEvent, { type: 'OrderFilled' }>,
  before: AccountState,
  after: AccountState,
  index: number,
): FillExplainedOut {
  const f = event.data;
  const m = f.model;
  const positionOf = (state: AccountState) => {
    const p = state.positions[f.symbol];
    return { quantity: p?.qty ?? '0', cost_basis: p?.costBasis ?? '0' };
  };
  const posBefore = positionOf(before);
  const posAfter = positionOf(after);
  const verb = f.side === 'buy' ? 'Bought' : 'Sold';
  const pricing =
    f.quote !== null
      ? `Priced by the ${f.quote.source} quote #${f.quote.seq} at ${newYorkTime(f.quote.time)} (bid ${f.quote.bid} × ${f.quote.bidSize}, ask ${f.quote.ask} × ${f.quote.askSize}, last ${f.quote.last}): a ${f.side} meets the ${f.side === 'buy' ? 'ask' : 'bid'}, ${m.basePrice}`
      : f.auction !== null
        ? `Priced by the ${f.auction.kind === 'open' ? 'opening' : 'closing'} auction at ${f.auction.price} (${newYorkTime(f.auction.time)})`
        : `Priced at ${m.basePrice}`;
  const slip = dec(m.slippagePerUnit).isZero()
    ? 'no slippage'
    : `slippage ${m.slippagePerUnit} per share (${slippageText(m.slippage)}) ${f.side === 'buy' ? 'added' : 'subtracted'}`;
  const limit = m.limitPrice === null ? '' : `; limit ${m.limitPrice} respected`;
  const charges = fmt(dec(f.commission).plus(dec(f.secFee)).plus(dec(f.taf)));
  const explanation =
    `Fill ${index + 1}: ${verb} ${f.qty} ${f.symbol} at ${f.price} at ${newYorkTime(f.at)}. ${pricing}; ${slip}${limit} → ${f.price}. ` +
    `Partial-fill rule: ${m.partialFillRule === 'auction' ? 'the auction fills the whole order' : `at most ${fmt(dec(m.maxParticipation).times(100))} % of the displayed size per quote`}. ` +
    `Charges ${charges} (commission ${f.commission}, SEC fee ${f.secFee}, TAF ${f.taf}). ` +
    `Cash ${before.cash} → ${after.cash} (${f.cashDelta}); position ${posBefore.quantity} → ${posAfter.quantity} shares.`;
  return {
    fill_id: f.fillId,
    at: f.at,
    side: f.side,
    quantity: f.qty,
    price: f.price,
    gross_amount: f.grossAmount,
    commission: f.commission,
    sec_fee: f.secFee,
    finra_taf: f.taf,
    cash_change: f.cashDelta,
    cash_before: before.cash,
    cash_after: after.cash,
    position_before: posBefore,
    position_after: posAfter,
    realized_pl: f.realizedPnl,
    priced_by: f.auction !== null ? 'auction' : 'quote',
    quote: f.quote === null ? null : quoteFrom(f.quote),
    auction: f.auction === null ? null : { ...f.auction },
    fill_model: {
      base_price: m.basePrice,
      slippage_per_share: m.slippagePerUnit,
      slippage_model: slippageText(m.slippage),
      commission_model: commissionText(m.commission),
      regulatory_fees: feesText(m.regulatoryFees),
      max_participation: m.maxParticipation,
      partial_fill_rule: m.partialFillRule,
      limit_price: m.limitPrice,
    },
    explanation,
  };
}

// ─── registration ───────────────────────────────────────────────────────────────────────────

/** Registers the order management tools. */
export function registerOrderManagementTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'stock_orders',
    title: 'List stock orders',
    group: 'order management',
    description:
      'List the stock orders of your account, newest first, with status, filled quantity and average price. Use it to find an order id, ' +
      'or to check what happened to earlier orders. status: "all" (default), "open" or "closed"; optional symbol filter; up to limit (default 50) per page, ' +
      'next_cursor pages on. Example: {"status": "closed", "symbol": "AAPL", "limit": 20}.',
    input: z.strictObject({
      status: choiceArg(
        'status',
        ['all', 'open', 'closed'] as const,
        'Optional: all (default), open or closed.',
      ).optional(),
      symbol: symbolsArg.optional(),
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
    }),
    output: listOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const status = args.status ?? 'all';
      const page = await session.deps.trading.listOrders(session.principal, accountId, {
        status,
        ...(args.symbol === undefined ? {} : { symbols: args.symbol }),
        ...(args.limit === undefined ? {} : { limit: args.limit }),
        ...(args.cursor === undefined ? {} : { cursor: args.cursor }),
      });
      const orders = page.items.filter((o) => o.assetClass === 'us_equity').map(orderFromView);
      const summary =
        orders.length === 0
          ? `No ${status === 'all' ? '' : `${status} `}stock orders${args.symbol === undefined ? '' : ` in ${args.symbol.join(', ')}`}.`
          : `${orders.length} ${status === 'all' ? '' : `${status} `}stock order${orders.length === 1 ? '' : 's'}, newest first${page.nextCursor === null ? '' : ' (more with next_cursor)'}:\n${orderLines(orders)}\n`;
      return {
        data: {
          account_id: accountId,
          status,
          count: orders.length,
          orders,
          next_cursor: page.nextCursor,
        },
        summary: summary + (fresh ? '' : LAGGING),
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'open_stock_orders',
    title: 'List open stock orders',
    group: 'order management',
    description:
      'List the stock orders still working or waiting (status new, accepted = queued for the open, partially_filled, held), newest first. ' +
      'Use it before placing or canceling orders, to see what is resting and what buying power is reserved. Optional symbol filter. ' +
      'Example: {} or {"symbol": "AAPL"}.',
    input: z.strictObject({ symbol: symbolsArg.optional(), account_id: accountIdArg }),
    output: listOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const page = await session.deps.trading.listOrders(session.principal, accountId, {
        status: 'open',
        limit: 500,
        ...(args.symbol === undefined ? {} : { symbols: args.symbol }),
      });
      const orders = page.items.filter((o) => o.assetClass === 'us_equity').map(orderFromView);
      const summary =
        orders.length === 0
          ? `No open stock orders${args.symbol === undefined ? '' : ` in ${args.symbol.join(', ')}`}.`
          : `${orders.length} open stock order${orders.length === 1 ? '' : 's'}:\n${orderLines(orders)}\n`;
      return {
        data: {
          account_id: accountId,
          status: 'open' as const,
          count: orders.length,
          orders,
          next_cursor: page.nextCursor,
        },
        summary: summary + (fresh ? '' : LAGGING),
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'cancel_stock_order_by_id',
    title: 'Cancel a stock order',
    group: 'order management',
    description:
      'Cancel one open stock order by its order_id (or by the client_order_id you gave it). The unfilled part stops working and the buying power it ' +
      'reserved is released; shares already filled stay filled. Canceling an order that is already canceled, filled or expired is refused with its status. ' +
      'Returns the order as it is after the cancel. Example: {"order_id": "3f0c9a52-…"}.',
    input: z.strictObject({
      order_id: orderIdArg.optional(),
      client_order_id: clientOrderIdArg.optional(),
      account_id: accountIdArg,
    }),
    output: {
      account_id: z.string(),
      order: orderOut,
      buying_power_after: z.string(),
      event_position: z.number().int().nullable(),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const orderId =
        args.order_id !== undefined && args.client_order_id === undefined
          ? args.order_id
          : (await findOrder(session, accountId, args)).id;
      const result = await session.deps.trading.cancelOrder(
        session.principal,
        accountId,
        orderId,
        session.callContext(),
      );
      session.wrote(result.position);
      const order = result.order === undefined ? undefined : orderFromDomain(result.order);
      if (order === undefined) throw new Error(`order ${orderId} missing after cancel`);
      const bp = fmt(buyingPower(result.state));
      return {
        data: {
          account_id: accountId,
          order,
          buying_power_after: bp,
          event_position: result.position ?? null,
        },
        summary: `${orderStatusSentence(order)} Order id ${order.id}. Buying power now ${bp}.`,
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'cancel_all_stock_orders_tool',
    title: 'Cancel all open stock orders',
    group: 'order management',
    description:
      'Cancel every open stock order of the account at once (working, queued and held orders; option orders are left alone — cancel_all_option_orders_tool cancels those). Filled shares stay filled; reserved buying power is released. ' +
      'Use it to flatten your working orders quickly, e.g. before a new plan. Calling it again when nothing is open changes nothing. ' +
      'Returns the orders it canceled. Example: {}.',
    input: z.strictObject({ account_id: accountIdArg }),
    output: {
      account_id: z.string(),
      canceled_count: z.number().int(),
      canceled: z.array(orderOut),
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
        'us_equity',
      );
      session.wrote(result.position);
      const canceled = result.events.flatMap((e) => {
        const order =
          e.type === 'OrderCanceled' ? orderById(result.state, e.data.orderId) : undefined;
        return order === undefined ? [] : [orderFromDomain(order)];
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
            ? `There were no open orders to cancel. Buying power ${bp}.`
            : `Canceled ${canceled.length} open order${canceled.length === 1 ? '' : 's'}:\n${orderLines(canceled)}\nBuying power now ${bp}.`,
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'explain_fill',
    title: 'Explain how an order was filled',
    group: 'order management',
    description:
      'Explain an order from the ledger: every event (placed, triggered, filled, canceled…) and, for each fill, the exact quote that priced it ' +
      '(bid, ask, sizes, time, sequence), the fill model applied (touch price, slippage, commission, regulatory fees, partial-fill rule) and the ' +
      'resulting change of cash and position. Use it when a fill price looks surprising or to audit a trade. ' +
      'Example: {"order_id": "3f0c9a52-…"}.',
    input: z.strictObject({
      order_id: orderIdArg.optional(),
      client_order_id: clientOrderIdArg.optional(),
      account_id: accountIdArg,
    }),
    output: explainOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      // Authorizes the read: the order must be visible to the caller.
      const view = await findOrder(session, accountId, args);
      const recorded: RecordedEvent[] = [];
      for (let from: number | null = 0; from !== null;) {
        const page = await session.deps.accountEvents.read(session.principal, accountId, {
          fromRevision: from,
          limit: MAX_EVENTS_PAGE,
        });
        recorded.push(...page.items);
        from = page.nextRevision;
      }
      let state = initialState();
      const events: z.output<typeof explainOutput.events> = [];
      const fills: FillExplainedOut[] = [];
      for (const r of recorded) {
        const event = { type: r.type, data: r.data } as AccountEvent;
        const before = state;
        state = evolve(state, event);
        if (!concerns(event, view.id)) continue;
        events.push({
          position: r.position,
          type: event.type,
          at: r.metadata.simTime ?? r.recordedAt.toISOString(),
          description: describeEvent(event, view.id),
        });
        if (event.type === 'OrderFilled')
          fills.push(explainFill(event, before, state, fills.length));
      }
      const current = orderById(state, view.id);
      const order = current === undefined ? orderFromView(view) : orderFromDomain(current);
      const cash = fills.reduce((sum, f) => sum.plus(dec(f.cash_change)), dec('0'));
      const charges = fills.reduce(
        (sum, f) => sum.plus(dec(f.commission)).plus(dec(f.sec_fee)).plus(dec(f.finra_taf)),
        dec('0'),
      );
      const lead =
        fills.length === 0
          ? `Order ${order.id} has no fills yet, so there is no price to explain. ${orderStatusSentence(order)}`
          : `Order ${order.id} (${orderLabel(order)}) has ${fills.length} fill${fills.length === 1 ? '' : 's'}: ${order.filled_quantity} shares at an average ${order.filled_avg_price ?? '?'}, cash change ${fmt(cash)}.`;
      return {
        data: {
          account_id: accountId,
          order,
          events,
          fills,
          totals: {
            filled_quantity: order.filled_quantity,
            average_price: order.filled_avg_price,
            cash_change: fmt(cash),
            charges: fmt(charges),
          },
        },
        summary: [lead, ...fills.map((f) => f.explanation)].join('\n'),
      };
    },
  });
}
