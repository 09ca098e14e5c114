/**
 * Order tools: buy and sell stocks at market, with a limit, a stop (stop-loss, optionally
 * stop-limit) or a trailing stop; preview an order without placing it; replace an open order.
 * Each is a thin call into `TradingCommands` with `source: 'mcp'` — the decider decides; this
 * file only translates arguments in and the result out, in words a model reads correctly.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { OrderRequest, OrderSide, OrderType } from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import { buyingPower } from '../../domain/account/index.ts';
import type { AccountEvent, AccountState } from '../../domain/account/index.ts';
import { equity } from '../../domain/instrument.ts';
import { optionInstrument, parseOcc } from '../../domain/options/contract.ts';
import { fmt } from '../../domain/money.ts';
import type { PlaceOrderResult } from '../../commands/accounts.ts';
import {
  accountIdArg,
  booleanArg,
  choiceArg,
  clientOrderIdArg,
  idArg,
  priceArg,
  quantityArg,
  stockOrOptionSymbolArg,
  symbolArg,
  timeInForceArg,
  ToolInputError,
  trailPercentArg,
  ARGUMENT_HINTS,
} from '../args.ts';
import { INPUT_REJECTIONS, REJECTION_ADVICE, rejectionFailure, ToolFailure } from '../errors.ts';
import { orderFromDomain, orderOut, orderStatusSentence, type OrderOut } from '../present.ts';
import type { ToolSession } from '../session.ts';
import { previewRiskFrom, previewRiskOut, previewRiskSentence } from './preview-risk.ts';
import { registerTool, type ToolAnswer, type ToolCatalog } from '../tool.ts';
import { REJECTION_MESSAGES, type RejectionReason } from '../../domain/rejections.ts';

const SAFE_RETRY =
  'Pass client_order_id to make retries safe: sending the same client_order_id again returns the original order instead of placing a second one.';

// ─── arguments ──────────────────────────────────────────────────────────────────────────────

const common = {
  symbol: symbolArg,
  quantity: quantityArg,
  time_in_force: timeInForceArg.optional(),
  account_id: accountIdArg,
  client_order_id: clientOrderIdArg.optional(),
};

const limitPrice = priceArg('limit_price', `The limit price: ${ARGUMENT_HINTS.limit_price ?? ''}.`);
const stopPrice = priceArg(
  'stop_price',
  `The stop (trigger) price: ${ARGUMENT_HINTS.stop_price ?? ''}.`,
);
const trailAmount = priceArg(
  'trail_amount',
  `Trailing distance in dollars (give this or trail_percent): ${ARGUMENT_HINTS.trail_amount ?? ''}.`,
);
const extendedHours = booleanArg(
  'extended_hours',
  `Optional: ${ARGUMENT_HINTS.extended_hours ?? ''}.`,
);

const marketInput = z.strictObject({ ...common });
const limitInput = z.strictObject({
  ...common,
  limit_price: limitPrice,
  extended_hours: extendedHours.optional(),
});
const stopInput = z.strictObject({
  ...common,
  stop_price: stopPrice,
  limit_price: priceArg(
    'limit_price',
    'Optional: makes it a stop-limit order that, once triggered, fills only at this price or better.',
  ).optional(),
});
const trailingInput = z.strictObject({
  ...common,
  trail_percent: trailPercentArg.optional(),
  trail_amount: trailAmount.optional(),
});

type CommonArgs = z.output<typeof marketInput>;

/** Everything an order tool may carry, after validation. */
interface OrderArgs extends CommonArgs {
  readonly limit_price?: string | undefined;
  readonly stop_price?: string | undefined;
  readonly trail_percent?: string | undefined;
  readonly trail_amount?: string | undefined;
  readonly extended_hours?: boolean | undefined;
}

function onlyOneTrail(args: OrderArgs): void {
  if ((args.trail_percent === undefined) === (args.trail_amount === undefined)) {
    throw new ToolInputError(
      args.trail_percent === undefined ? 'trail_percent' : 'trail_amount',
      args.trail_percent === undefined
        ? 'A trailing stop needs trail_percent or trail_amount'
        : 'Give trail_percent or trail_amount, not both',
      'Pass trail_percent (e.g. 2.5 for 2.5 %) or trail_amount (e.g. 3 for $3.00).',
    );
  }
}

/** The domain's order request for validated arguments. */
function orderRequest(side: OrderSide, type: OrderType, args: OrderArgs): OrderRequest {
  return {
    instrument: equity(args.symbol),
    side,
    type,
    timeInForce: args.time_in_force ?? 'day',
    qty: args.quantity,
    ...(args.limit_price === undefined ? {} : { limitPrice: args.limit_price }),
    ...(args.stop_price === undefined ? {} : { stopPrice: args.stop_price }),
    ...(args.trail_amount === undefined ? {} : { trailPrice: args.trail_amount }),
    ...(args.trail_percent === undefined ? {} : { trailPercent: args.trail_percent }),
    ...(args.extended_hours === true ? { extendedHours: true } : {}),
  };
}

// ─── results ────────────────────────────────────────────────────────────────────────────────

const rejectionOut = z.object({
  reason: z.string().describe('Machine-readable reason, e.g. insufficient_buying_power'),
  message: z.string(),
  argument: z.string().nullable().describe('The argument to change, when one is at fault'),
  fix: z.string().nullable().describe('What to do instead'),
});

const fillBrief = z.object({
  fill_id: z.string(),
  quantity: z.string(),
  price: z.string(),
  cash_change: z.string().describe('Signed change of cash, charges included'),
  at: z.string().describe('Simulated time of the fill'),
});

const orderResult = {
  account_id: z.string(),
  status: z
    .string()
    .describe('The order status (filled, new, accepted = queued for the open, …) or rejected'),
  order: orderOut.nullable().describe('The order; null when it was rejected'),
  rejection: rejectionOut.nullable().describe('Why the order was rejected; null otherwise'),
  duplicate: z
    .boolean()
    .describe(
      'True when client_order_id was already used: this is the original order and nothing new was placed',
    ),
  fills: z.array(fillBrief).describe('Fills that happened during this call'),
  cash_after: z.string().describe('Account cash after the call'),
  buying_power_after: z.string().describe('Buying power after the call'),
  event_position: z
    .number()
    .int()
    .nullable()
    .describe('Global position of the last event written; null when nothing was written'),
};
type OrderResult = z.output<z.ZodObject<typeof orderResult>>;

function fillsOf(events: readonly AccountEvent[], orderId: string): OrderResult['fills'] {
  return events.flatMap((e) =>
    e.type === 'OrderFilled' && e.data.orderId === orderId
      ? [
          {
            fill_id: e.data.fillId,
            quantity: e.data.qty,
            price: e.data.price,
            cash_change: e.data.cashDelta,
            at: e.data.at,
          },
        ]
      : [],
  );
}

function rejectionOf(reason: RejectionReason): NonNullable<OrderResult['rejection']> {
  const advice = REJECTION_ADVICE[reason];
  return {
    reason,
    message: REJECTION_MESSAGES[reason],
    argument: advice?.field ?? null,
    fix: advice?.fix ?? null,
  };
}

/** The answer to a write that produced (or found) an order, or a rejection. */
function orderAnswer(
  session: ToolSession,
  written: {
    readonly accountId: string;
    readonly state: AccountState;
    readonly events: readonly AccountEvent[];
    readonly position: number | undefined;
  },
  orderId: string,
  extra: {
    readonly duplicate?: boolean;
    readonly rejection?: RejectionReason | undefined;
    readonly lead?: string;
  },
): ToolAnswer<OrderResult> {
  const order = orderById(written.state, orderId);
  const out: OrderOut | null = order === undefined ? null : orderFromDomain(order);
  const rejection = extra.rejection === undefined ? null : rejectionOf(extra.rejection);
  const cash = written.state.cash;
  const bp = fmt(buyingPower(written.state));
  const data: OrderResult = {
    account_id: written.accountId,
    status: rejection !== null ? 'rejected' : (out?.status ?? 'rejected'),
    order: out,
    rejection,
    duplicate: extra.duplicate ?? false,
    fills: fillsOf(written.events, orderId),
    cash_after: cash,
    buying_power_after: bp,
    event_position: written.position ?? null,
  };
  const parts: string[] = [];
  if (extra.lead !== undefined) parts.push(extra.lead);
  if (data.duplicate) {
    parts.push(
      'This client_order_id was already used, so nothing new was placed; this is the original order as it stands now.',
    );
  }
  if (rejection !== null) {
    parts.push(
      `REJECTED (${rejection.reason}): ${rejection.message} Nothing was traded; the rejection is recorded on the account.${rejection.fix === null ? '' : ` Fix: ${rejection.fix}`}`,
    );
  } else if (out !== null) {
    parts.push(orderStatusSentence(out, session.market().next_open));
    parts.push(`Order id ${out.id}.`);
  }
  parts.push(`Cash ${cash}, buying power ${bp}.`);
  return { data, summary: parts.join(' '), isError: rejection !== null };
}

/**
 * Places an order for the session's caller. Unknown symbols and mistakes in the order as
 * written (the decider's own input checks, asked through a preview) are refused before
 * anything is written; business rejections (buying power, market closed…) are recorded.
 */
async function placeOrder(
  session: ToolSession,
  request: OrderRequest,
  args: OrderArgs,
): Promise<ToolAnswer<OrderResult>> {
  const { trading, market } = session.deps;
  const accountId = await session.accountId(args.account_id);
  if (market.asset(args.symbol) === undefined) {
    const failure = rejectionFailure('unknown_symbol');
    throw new ToolFailure(
      failure.code,
      `${args.symbol} is not listed on this venue`,
      'symbol',
      failure.fix,
    );
  }
  const options = args.client_order_id === undefined ? {} : { clientOrderId: args.client_order_id };
  const preview = await trading.previewOrder(session.principal, accountId, request, options);
  if (preview.rejection !== null && INPUT_REJECTIONS.has(preview.rejection.reason)) {
    throw rejectionFailure(preview.rejection.reason);
  }
  const placed: PlaceOrderResult = await trading.placeOrder(
    session.principal,
    accountId,
    request,
    options,
    session.callContext(),
  );
  session.wrote(placed.position);
  return orderAnswer(session, placed, placed.orderId, {
    duplicate: placed.duplicate,
    rejection: placed.rejection?.reason,
  });
}

// ─── registration ───────────────────────────────────────────────────────────────────────────

const PLACE_ANNOTATIONS = {
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
} as const;

/** Registers the order tools. */
export function registerOrderTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  const register = <I extends z.ZodObject>(
    name: string,
    title: string,
    description: string,
    input: I,
    run: (args: z.output<I>) => Promise<ToolAnswer<OrderResult>>,
  ): void => {
    registerTool(server, session, catalog, {
      name,
      title,
      group: 'orders',
      description,
      input,
      output: orderResult,
      annotations: PLACE_ANNOTATIONS,
      run: (args) => run(args),
    });
  };

  for (const side of ['buy', 'sell'] as const) {
    const verb = side === 'buy' ? 'Buy' : 'Sell';
    const touch = side === 'buy' ? 'ask' : 'bid';
    const purpose =
      side === 'buy'
        ? 'open or add to a long position, or cover a short'
        : 'reduce or close a long position (or open a short, where the account allows it)';

    register(
      `${side}_stock_market`,
      `${verb} stock at market`,
      `${verb} shares of a stock at the market price on this paper-trading venue (simulated money and prices). ` +
        `Use it to ${purpose} now, at whatever the ${touch} is. In the regular session it fills at once at the ${touch}; ` +
        `outside the session it is ACCEPTED AND QUEUED until the next open, not filled — the answer says which. ` +
        `Returns the order (status, filled quantity, average price), the fills of this call, cash and buying power after. ${SAFE_RETRY} ` +
        `Example: {"symbol": "AAPL", "quantity": 10}.`,
      marketInput,
      (args) => placeOrder(session, orderRequest(side, 'market', args), args),
    );

    register(
      `${side}_stock_limit`,
      `${verb} stock with a limit price`,
      `${verb} shares only at limit_price or better (simulated venue). Use it to control the price: it fills at once when the ${touch} is already ` +
        `${side === 'buy' ? 'at or below' : 'at or above'} the limit, otherwise it rests until the market gets there. ` +
        `time_in_force "day" (default) expires at today's close, "gtc" works until canceled; extended_hours true lets a day order also work in pre/post-market. ` +
        `Returns the order and its honest status (working, filled, queued). ${SAFE_RETRY} ` +
        `Example: {"symbol": "AAPL", "quantity": 10, "limit_price": 180.5, "time_in_force": "gtc"}.`,
      limitInput,
      (args) => placeOrder(session, orderRequest(side, 'limit', args), args),
    );

    register(
      `${side}_stock_stop_loss`,
      side === 'buy' ? 'Buy stop (stop-loss for a short)' : 'Sell stop-loss',
      (side === 'sell'
        ? 'Place a sell stop order, the classic stop-loss for a long position: when the price falls to stop_price it becomes a market order and sells at the bid (in a gap, below the stop). '
        : 'Place a buy stop order: when the price rises to stop_price it becomes a market order and buys at the ask. Use it as the stop-loss of a short position or to buy a breakout. ') +
        `Add limit_price to make it a stop-limit order that, once triggered, fills only at limit_price or better. ` +
        `Nothing fills until the stop is reached; use time_in_force "gtc" to keep it past today's close. Returns the order (status "new" while it waits). ${SAFE_RETRY} ` +
        `Example: {"symbol": "AAPL", "quantity": 10, "stop_price": ${side === 'sell' ? 170 : 200}, "time_in_force": "gtc"}.`,
      stopInput,
      (args) =>
        placeOrder(
          session,
          orderRequest(side, args.limit_price === undefined ? 'stop' : 'stop_limit', args),
          args,
        ),
    );

    register(
      `${side}_stock_trailing_stop`,
      `${verb} trailing stop`,
      (side === 'sell'
        ? 'Place a sell trailing stop: the stop follows the highest price since placement, trail_percent (or trail_amount dollars) below it, and sells at market when the price falls back to the stop. Use it to protect gains on a long position while letting it run. '
        : 'Place a buy trailing stop: the stop follows the lowest price since placement, trail_percent (or trail_amount dollars) above it, and buys at market when the price rises back to the stop. Use it to protect a short or to buy after a rebound. ') +
        `Give exactly one of trail_percent or trail_amount. Returns the order with its current stop_price and water_mark. ${SAFE_RETRY} ` +
        `Example: {"symbol": "AAPL", "quantity": 10, "trail_percent": 2.5, "time_in_force": "gtc"}.`,
      trailingInput,
      (args) => {
        onlyOneTrail(args);
        return placeOrder(session, orderRequest(side, 'trailing_stop', args), args);
      },
    );
  }

  registerPreview(server, session, catalog);
  registerReplace(server, session, catalog);
}

// ─── preview_order ──────────────────────────────────────────────────────────────────────────

const previewInput = z.strictObject({
  side: choiceArg('side', ['buy', 'sell'] as const, 'buy or sell.'),
  type: choiceArg(
    'type',
    ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const,
    'Optional: market, limit, stop, stop_limit or trailing_stop; inferred from the prices given when omitted.',
  ).optional(),
  symbol: stockOrOptionSymbolArg,
  quantity: quantityArg,
  limit_price: limitPrice.optional(),
  stop_price: stopPrice.optional(),
  trail_percent: trailPercentArg.optional(),
  trail_amount: trailAmount.optional(),
  time_in_force: timeInForceArg.optional(),
  extended_hours: extendedHours.optional(),
  account_id: accountIdArg,
  client_order_id: clientOrderIdArg.optional(),
});

/** The order type the prices given imply, or the one named (checked against them). */
function previewType(args: z.output<typeof previewInput>): OrderType {
  const trailing = args.trail_percent !== undefined || args.trail_amount !== undefined;
  const inferred: OrderType = trailing
    ? 'trailing_stop'
    : args.stop_price !== undefined
      ? args.limit_price !== undefined
        ? 'stop_limit'
        : 'stop'
      : args.limit_price !== undefined
        ? 'limit'
        : 'market';
  const type = args.type ?? inferred;
  const needs: Readonly<Record<OrderType, readonly string[]>> = {
    market: [],
    limit: ['limit_price'],
    stop: ['stop_price'],
    stop_limit: ['stop_price', 'limit_price'],
    trailing_stop: [],
  };
  for (const field of needs[type]) {
    if (args[field as 'limit_price' | 'stop_price'] === undefined) {
      throw new ToolInputError(
        field,
        `A ${type} order needs ${field}`,
        `Pass ${field}: ${ARGUMENT_HINTS[field] ?? ''}.`,
      );
    }
  }
  if (type === 'trailing_stop') onlyOneTrail(args);
  return type;
}

const previewOutput = {
  account_id: z.string(),
  would_be_accepted: z.boolean(),
  status_after: z
    .string()
    .nullable()
    .describe(
      'Status the order would have right after placement (filled, new, accepted = queued…)',
    ),
  rejection: rejectionOut.nullable(),
  estimated_fills: z
    .array(z.object({ quantity: z.string(), price: z.string() }))
    .describe('Fills that would happen at once against the current quote'),
  cash_before: z.string(),
  cash_after: z.string(),
  buying_power_before: z.string(),
  buying_power_after: z.string(),
  findings: z.array(
    z.object({
      severity: z.enum(['info', 'warning', 'rejection']),
      code: z.string(),
      message: z.string(),
    }),
  ),
  events: z.array(z.string()).describe('Types of the events placing it would write'),
  risk: previewRiskOut,
};

function registerPreview(server: McpServer, session: ToolSession, catalog: ToolCatalog): void {
  registerTool(server, session, catalog, {
    name: 'preview_order',
    title: 'Preview an order (what-if)',
    group: 'orders',
    description:
      'Show what an order WOULD do right now without placing it: whether it would be accepted or rejected (and why), whether it would fill at once ' +
      'and at what price, cash and buying power before and after, and its RISK once filled: the position and its % of equity, gross and net exposure, leverage, margin loan, ' +
      'every account risk limit it uses, and findings (concentration, limit nearly reached, day trade, short sale). For an option contract (OCC symbol; quantity in contracts, prices per share) it also gives option_max_loss — the most the order can lose at expiry, or option_max_loss_unbounded true for a naked short call — and option_risk with max profit and breakevens. Nothing is written. Use it before a large or unusual order, ' +
      'or to check a price is valid. type is inferred from the prices when omitted (limit_price → limit, stop_price → stop, both → stop_limit, trail_* → trailing_stop). ' +
      'Example: {"side": "buy", "symbol": "AAPL", "quantity": 100, "limit_price": 180}.',
    input: previewInput,
    output: previewOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    run: async (args) => {
      const type = previewType(args);
      const accountId = await session.accountId(args.account_id);
      const contract = parseOcc(args.symbol);
      const request = orderRequest(args.side, type, args);
      const preview = await session.deps.trading.previewOrder(
        session.principal,
        accountId,
        contract === undefined ? request : { ...request, instrument: optionInstrument(contract) },
        args.client_order_id === undefined ? {} : { clientOrderId: args.client_order_id },
      );
      const estimated = preview.events.flatMap((e) =>
        e.type === 'OrderFilled' ? [{ quantity: e.data.qty, price: e.data.price }] : [],
      );
      const rejection = preview.rejection === null ? null : rejectionOf(preview.rejection.reason);
      const label = `${args.side} ${args.quantity} ${args.symbol} ${type}`;
      let verdict: string;
      if (rejection !== null) {
        verdict = `Preview of ${label}: it WOULD BE REJECTED (${rejection.reason}): ${rejection.message}${rejection.fix === null ? '' : ` Fix: ${rejection.fix}`}`;
      } else if (estimated.length > 0) {
        verdict = `Preview of ${label}: it would fill at once: ${estimated.map((f) => `${f.quantity} at ${f.price}`).join(', ')}; status ${preview.status ?? '?'}.`;
      } else {
        verdict = `Preview of ${label}: it would be accepted with status ${preview.status ?? '?'} and not fill at once${preview.status === 'accepted' ? ' (queued until the open)' : ''}.`;
      }
      return {
        data: {
          account_id: accountId,
          would_be_accepted: preview.accepted,
          status_after: preview.status,
          rejection,
          estimated_fills: estimated,
          cash_before: preview.cashBefore,
          cash_after: preview.cashAfter,
          buying_power_before: preview.buyingPowerBefore,
          buying_power_after: preview.buyingPowerAfter,
          findings: [...preview.findings],
          events: preview.events.map((e) => e.type),
          risk: previewRiskFrom(preview.risk),
        },
        summary: `${verdict} Cash ${preview.cashBefore} → ${preview.cashAfter}; buying power ${preview.buyingPowerBefore} → ${preview.buyingPowerAfter}. ${previewRiskSentence(preview.risk, preview.findings)} Nothing was placed.`,
      };
    },
  });
}

// ─── replace_order ──────────────────────────────────────────────────────────────────────────

const replaceInput = z.strictObject({
  order_id: idArg('order_id', `The open order to replace: ${ARGUMENT_HINTS.order_id ?? ''}.`),
  quantity: quantityArg.optional(),
  limit_price: limitPrice.optional(),
  stop_price: stopPrice.optional(),
  trail_percent: trailPercentArg.optional(),
  trail_amount: trailAmount.optional(),
  time_in_force: timeInForceArg.optional(),
  account_id: accountIdArg,
  client_order_id: clientOrderIdArg.optional(),
});

const replaceOutput = {
  ...orderResult,
  replaced_order_id: z.string().describe('The order that was replaced (now status "replaced")'),
};

function registerReplace(server: McpServer, session: ToolSession, catalog: ToolCatalog): void {
  registerTool(server, session, catalog, {
    name: 'replace_order',
    title: 'Replace (modify) an open order',
    group: 'orders',
    description:
      'Change an open order: its quantity, limit_price, stop_price, trailing distance or time_in_force. The venue cancels the old order and ' +
      'places a new one with a NEW id carrying the changes (the old one gets status "replaced"); unchanged fields are copied. ' +
      'Give the trailing distance in the unit the order already uses (trail_percent or trail_amount). A filled or canceled order cannot be replaced. ' +
      'Returns the new order, or the rejection with the old order left as it was. client_order_id names the new order. ' +
      'Example: {"order_id": "3f0c…", "limit_price": 181.25}.',
    input: replaceInput,
    output: replaceOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const changes = {
        ...(args.quantity === undefined ? {} : { qty: args.quantity }),
        ...(args.limit_price === undefined ? {} : { limitPrice: args.limit_price }),
        ...(args.stop_price === undefined ? {} : { stopPrice: args.stop_price }),
        ...(args.time_in_force === undefined ? {} : { timeInForce: args.time_in_force }),
        ...(args.client_order_id === undefined ? {} : { clientOrderId: args.client_order_id }),
      };
      const trail = args.trail_percent ?? args.trail_amount;
      if (args.trail_percent !== undefined && args.trail_amount !== undefined) {
        throw new ToolInputError(
          'trail_amount',
          'Give trail_percent or trail_amount, not both',
          ARGUMENT_HINTS.trail,
        );
      }
      if (trail !== undefined) {
        await session.readable();
        const current = await session.deps.trading.order(
          session.principal,
          accountId,
          args.order_id,
        );
        const unit =
          current.trailPercent !== null
            ? 'trail_percent'
            : current.trailPrice !== null
              ? 'trail_amount'
              : undefined;
        const given = args.trail_percent !== undefined ? 'trail_percent' : 'trail_amount';
        if (unit === undefined) {
          throw new ToolInputError(
            given,
            `Order ${args.order_id} is not a trailing stop`,
            'Drop the trailing distance, or change stop_price / limit_price instead.',
          );
        }
        if (unit !== given) {
          throw new ToolInputError(
            given,
            `Order ${args.order_id} trails by ${unit === 'trail_percent' ? 'percent' : 'dollars'}`,
            `Pass ${unit} instead of ${given}.`,
          );
        }
      }
      if (Object.keys(changes).length === 0 && trail === undefined) {
        throw new ToolInputError(
          undefined,
          'Nothing to change',
          'Pass at least one of quantity, limit_price, stop_price, trail_percent / trail_amount or time_in_force.',
        );
      }
      const result = await session.deps.trading.replaceOrder(
        session.principal,
        accountId,
        args.order_id,
        trail === undefined ? changes : { ...changes, trail },
        session.callContext(),
      );
      session.wrote(result.position);
      const rejected = result.events.find((e) => e.type === 'OrderRejected');
      const newOrderId = rejected === undefined ? result.newOrderId : args.order_id;
      const answer = orderAnswer(session, result, newOrderId, {
        rejection: rejected?.data.reason,
        lead:
          rejected === undefined
            ? `Order ${args.order_id} was replaced by order ${result.newOrderId}.`
            : `The replacement of order ${args.order_id} was refused; the original order is unchanged.`,
      });
      return { ...answer, data: { ...answer.data, replaced_order_id: args.order_id } };
    },
  });
}
