/**
 * `/api/v1/accounts/{id}/orders…`: place (and preview), list, get, replace and cancel orders.
 *
 * A business rejection (`insufficient_buying_power`, `market_closed`, `invalid_tick_size`…) is
 * recorded as an `OrderRejected` event — the order exists, with status `rejected` — and
 * answered 422 problem+json whose `code` is the rejection reason, with `order_id` so the
 * rejected order can be fetched. A client branches on the status: 201 placed, 200 an
 * idempotent retry of a `client_order_id` (the original order), 422 not placed.
 */
import { Router } from 'express';
import type { AccountState, Order, OrderRequest } from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import { rejectionMessage, type RejectionReason } from '../../domain/rejections.ts';
import { PolicyError } from '../../commands/policy.ts';
import { principalOf, route } from '../authenticate.ts';
import { API_PREFIX, documentOperation, EVENT_POSITION_HEADER } from '../openapi.ts';
import { ApiError, type FieldError } from '../problem.ts';
import { minPosition, setEventPosition } from './consistency.ts';
import { exactBody } from './decimal-json.ts';
import { accountIdOf, orderIdOf, tradingContext, type TradingRouteDeps } from './deps.ts';
import { orderExample } from './examples.ts';
import { preTradeRiskExample } from './risk-schemas.ts';
import { orderRequestOf, parseInput, replaceChangesOf } from './input.ts';
import { isMultiLegBody, multiLegRequestOf } from './option-input.ts';
import { MultiLegOrderBody } from './option-schemas.ts';
import {
  CancelAllResult,
  ListOrdersQuery,
  OrderPage,
  OrderParams,
  OrderSchema,
  AccountParams,
  PlaceOrderBody,
  PreviewSchema,
  ReplaceOrderBody,
} from './schemas.ts';
import { orderBody, orderViewOf, previewBody } from './serialize.ts';
import { z } from 'zod';
import { REJECTION_REASONS } from '../../domain/rejections.ts';

const p = (path: string): string => `${API_PREFIX}/accounts/{id}/orders${path}`;
const TAGS = ['Orders'];

/** The request field a rejection is about, when one can be named. */
function rejectedField(
  reason: RejectionReason,
  request: OrderRequest | undefined,
): string | undefined {
  const priceField = (): string | undefined =>
    request?.limitPrice !== undefined
      ? 'limit_price'
      : request?.stopPrice !== undefined
        ? 'stop_price'
        : undefined;
  switch (reason) {
    case 'invalid_symbol':
    case 'unknown_symbol':
    case 'asset_not_tradable':
    case 'instrument_not_supported':
      return 'symbol';
    case 'invalid_quantity':
    case 'fractional_not_allowed':
      return 'qty';
    case 'invalid_price':
    case 'invalid_tick_size':
      return priceField();
    case 'invalid_trail':
      return request?.trailPercent !== undefined ? 'trail_percent' : 'trail_price';
    case 'invalid_time_in_force':
      return 'time_in_force';
    case 'invalid_extended_hours':
      return 'extended_hours';
    case 'invalid_order_class':
    case 'invalid_bracket_prices':
      return 'order_class';
    case 'duplicate_client_order_id':
      return 'client_order_id';
    case 'invalid_legs':
      return 'legs';
    case 'position_intent_mismatch':
      return 'position_intent';
    case 'contract_expired':
    case 'options_level_insufficient':
    case 'uncovered_call_not_allowed':
      return request?.orderClass === 'mleg' ? 'legs' : 'symbol';
    default:
      return undefined;
  }
}

/** The 422 problem of a rejected order (or replacement). */
function rejectionProblem(
  rejection: {
    readonly orderId: string;
    readonly clientOrderId: string;
    readonly reason: RejectionReason;
  },
  message: string,
  request: OrderRequest | undefined,
  position: number | undefined,
): ApiError {
  const field = rejectedField(rejection.reason, request);
  const errors: FieldError[] | undefined = field === undefined ? undefined : [{ field, message }];
  return new ApiError(422, rejection.reason, 'Order Rejected', {
    detail: message,
    ...(errors === undefined ? {} : { errors }),
    extensions: {
      order_id: rejection.orderId,
      client_order_id: rejection.clientOrderId,
      reject_reason: rejection.reason,
    },
    ...(position === undefined ? {} : { headers: { [EVENT_POSITION_HEADER]: String(position) } }),
  });
}

function orderOf(state: AccountState, orderId: string): Order {
  const order = orderById(state, orderId);
  if (order === undefined) {
    throw new PolicyError('not_found', 'order_not_found', 'The order does not exist');
  }
  return order;
}

const REJECTION_CODES = [...REJECTION_REASONS];

/** A stock or single-option order body, or a multi-leg option order (`legs`). */
function orderRequestFrom(raw: unknown, deps: TradingRouteDeps): OrderRequest {
  return isMultiLegBody(raw)
    ? multiLegRequestOf(parseInput(MultiLegOrderBody, raw), deps.market)
    : orderRequestOf(parseInput(PlaceOrderBody, raw), deps.market);
}

/** The request body of order placement: a stock / single-option order or a multi-leg one. */
const OrderBody = z.union([PlaceOrderBody, MultiLegOrderBody]);

const byClientOrderIdQuery = z.object({ client_order_id: z.string().min(1).max(128) }).strict();

/** Orders of an account. */
export function mountOrderRoutes(router: Router, deps: TradingRouteDeps): void {
  const read = minPosition(deps.waiter, deps.readWaitMs);

  router.post(
    '/:id/orders',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const request = orderRequestFrom(exactBody(req), deps);
      const placed = await deps.trading.placeOrder(
        principalOf(res),
        accountId,
        request,
        {},
        tradingContext(req, res),
      );
      setEventPosition(res, placed.position);
      if (placed.rejection) {
        const event = placed.events.find((e) => e.type === 'OrderRejected');
        const message =
          event?.type === 'OrderRejected'
            ? event.data.message
            : rejectionMessage(placed.rejection.reason);
        throw rejectionProblem(placed.rejection, message, request, placed.position);
      }
      const order = orderOf(placed.state, placed.orderId);
      res
        .status(placed.duplicate ? 200 : 201)
        .location(`${API_PREFIX}/accounts/${accountId}/orders/${order.id}`)
        .json(orderBody(orderViewOf(order, placed.state, placed.position)));
    }),
  );
  documentOperation({
    method: 'post',
    path: p(''),
    tags: TAGS,
    summary: 'Place an order',
    description: [
      'Places an order priced against the market now, with Alpaca’s field names. Prices and quantities may be decimal strings or JSON numbers; numbers are read exactly as written (no floating-point rounding).',
      '',
      '- **201**: placed. A marketable order in the session fills at once (`status: filled`); a resting one is `new` (or `accepted` while the market is closed) and the execution engine works it.',
      '- **200**: `client_order_id` was already used by this account: nothing was written, the answer is the original order — retries are safe.',
      '- **422** with `code` = a rejection reason (`insufficient_buying_power`, `market_closed`, `invalid_tick_size`, `insufficient_position`, `short_not_allowed`…): the order was rejected by the pre-trade checks. It is recorded (`OrderRejected`, status `rejected`); `order_id` in the problem names it. Retrying with the same `client_order_id` answers the same rejection.',
      '- **422** `validation_failed`, `invalid_symbol`, `unknown_symbol`, `notional_not_supported`: the request itself is wrong; nothing is written.',
      '',
      'Options: `symbol` may be an OCC option symbol (limit or market, day only, whole contracts, prices per share on the option tick: $0.01 below $3, $0.05 above). A body with `legs` (2–4 OCC legs, `order_class: mleg`) is one multi-leg order at a net `limit_price` — positive a debit, negative a credit — filled all-or-none with one fill per leg. Option rejections: `options_level_insufficient`, `uncovered_call_not_allowed`, `invalid_legs`, `contract_expired`, `position_intent_mismatch`, and buying power (long premium in full, cash-secured puts the strike, spreads their maximum loss).',
    ].join('\n'),
    consistency: 'write',
    request: {
      params: AccountParams,
      body: {
        schema: OrderBody,
        examples: {
          market: {
            summary: 'Market buy',
            value: { symbol: 'AAPL', qty: '10', side: 'buy', type: 'market', time_in_force: 'day' },
          },
          limit: {
            summary: 'Limit sell, good till canceled',
            value: {
              symbol: 'AAPL',
              qty: '10',
              side: 'sell',
              type: 'limit',
              limit_price: '195.50',
              time_in_force: 'gtc',
              client_order_id: 'take-profit-1',
            },
          },
          trailing: {
            summary: 'Trailing stop by 2.5 %',
            value: {
              symbol: 'AAPL',
              qty: 10,
              side: 'sell',
              type: 'trailing_stop',
              trail_percent: 2.5,
              time_in_force: 'gtc',
            },
          },
          bracket: {
            summary: 'Bracket: limit entry with take-profit and stop-loss',
            value: {
              symbol: 'AAPL',
              qty: '5',
              side: 'buy',
              type: 'limit',
              limit_price: '190',
              time_in_force: 'gtc',
              order_class: 'bracket',
              take_profit: { limit_price: '210' },
              stop_loss: { stop_price: '180', limit_price: '179' },
            },
          },
          option: {
            summary: 'Buy one call (OCC symbol), limit per share',
            value: {
              symbol: 'AAPL  260116C00280000',
              qty: '1',
              side: 'buy',
              type: 'limit',
              limit_price: '12.50',
              time_in_force: 'day',
            },
          },
          credit_spread: {
            summary: 'Call credit spread: sell the 280 call, buy the 285, for at least 1.20',
            value: {
              order_class: 'mleg',
              type: 'limit',
              qty: '1',
              limit_price: '-1.20',
              legs: [
                { symbol: 'AAPL  260116C00280000', side: 'sell', ratio_qty: '1' },
                { symbol: 'AAPL  260116C00285000', side: 'buy', ratio_qty: '1' },
              ],
            },
          },
        },
      },
    },
    responses: {
      201: {
        description: 'Placed (`Location` names the order)',
        schema: OrderSchema,
        example: orderExample,
        headers: { Location: { description: 'The order URL' } },
      },
      200: { description: 'An idempotent retry: the original order', schema: OrderSchema },
    },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found'],
      409: ['concurrency_conflict'],
      422: [
        'validation_failed',
        'invalid_symbol',
        'unknown_symbol',
        'notional_not_supported',
        ...REJECTION_CODES,
      ],
    },
  });

  router.post(
    '/:id/orders/preview',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const request = orderRequestFrom(exactBody(req), deps);
      const preview = await deps.trading.previewOrder(principalOf(res), accountId, request);
      res.json(previewBody(preview));
    }),
  );
  documentOperation({
    method: 'post',
    path: p('/preview'),
    tags: TAGS,
    summary: 'Preview an order',
    description:
      'What placing the order would do now, decided on the current account state and market and written nowhere: the events it would append, the status it would get, buying power and cash before and after, its pre-trade risk once filled (`risk`: position and portfolio after, exposure, leverage, margin impact, use of every risk limit) and findings (rejection reason, large order, queued until the open, concentration, limit nearly reached, leverage, short sale, day trade, daily loss). Needs only read access.',
    request: {
      params: AccountParams,
      body: {
        schema: OrderBody,
        example: { symbol: 'AAPL', qty: '10', side: 'buy', type: 'market', time_in_force: 'day' },
      },
    },
    responses: {
      200: {
        description: 'The preview',
        schema: PreviewSchema,
        example: {
          accepted: true,
          status: 'filled',
          rejection: null,
          buying_power_before: '100000',
          buying_power_after: '98097.5',
          cash_before: '100000',
          cash_after: '98097.5',
          findings: [],
          events: [
            { type: 'OrderPlaced', data: {} },
            { type: 'OrderFilled', data: {} },
          ],
          risk: preTradeRiskExample,
        },
      },
    },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found'],
      422: ['validation_failed', 'invalid_symbol', 'unknown_symbol', 'notional_not_supported'],
    },
  });

  router.get(
    '/:id/orders',
    read,
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const q = parseInput(ListOrdersQuery, req.query);
      const symbols = q.symbols
        ?.split(',')
        .map((s) => s.trim().toUpperCase())
        .filter((s) => s.length > 0);
      const page = await deps.trading.listOrders(principalOf(res), accountId, {
        status: q.status,
        direction: q.direction,
        ...(q.limit === undefined ? {} : { limit: q.limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.until === undefined ? {} : { until: q.until }),
        ...(symbols === undefined || symbols.length === 0 ? {} : { symbols }),
        ...(q.nested === undefined ? {} : { nested: q.nested }),
      });
      res.json({ items: page.items.map(orderBody), next_cursor: page.nextCursor });
    }),
  );
  documentOperation({
    method: 'get',
    path: p(''),
    tags: TAGS,
    summary: 'List orders',
    description:
      '`status=open` (default: not yet filled, canceled, expired, rejected or replaced), `closed` or `all`; newest first unless `direction=asc`; filtered by `symbols` (comma-separated) and creation time (`after`, `until`); paged with `cursor`. Bracket/OCO/OTO legs are nested under their parent unless `nested=false`.',
    consistency: 'read',
    request: { params: AccountParams, query: ListOrdersQuery },
    responses: {
      200: {
        description: 'A page of orders',
        schema: OrderPage,
        example: { items: [orderExample], next_cursor: null },
      },
    },
    errors: {
      400: ['invalid_cursor'],
      403: ['forbidden'],
      404: ['account_not_found'],
      422: ['validation_failed'],
    },
  });

  router.delete(
    '/:id/orders',
    route(async (req, res) => {
      const written = await deps.trading.cancelAll(
        principalOf(res),
        accountIdOf(req),
        tradingContext(req, res),
      );
      setEventPosition(res, written.position);
      const canceled = written.events.flatMap((e) =>
        e.type === 'OrderCanceled' && orderById(written.state, e.data.orderId)
          ? [orderOf(written.state, e.data.orderId)]
          : [],
      );
      res.json({
        canceled: canceled.map((o) => orderBody(orderViewOf(o, written.state, written.position))),
      });
    }),
  );
  documentOperation({
    method: 'delete',
    path: p(''),
    tags: TAGS,
    summary: 'Cancel all open orders',
    description:
      'Cancels every open order of the account (held bracket legs with their parents) and answers the canceled orders. Nothing open: 200 with an empty list and no `X-Event-Position`.',
    consistency: 'write',
    request: { params: AccountParams },
    responses: {
      200: {
        description: 'The orders canceled',
        schema: CancelAllResult,
        example: { canceled: [{ ...orderExample, status: 'canceled' }] },
      },
    },
    errors: { 403: ['forbidden'], 404: ['account_not_found'], 409: ['concurrency_conflict'] },
  });

  router.get(
    '/:id/orders/by_client_order_id',
    read,
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const q = parseInput(byClientOrderIdQuery, req.query);
      const order = await deps.trading.orderByClientOrderId(
        principalOf(res),
        accountId,
        q.client_order_id,
      );
      res.json(orderBody(order));
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/by_client_order_id'),
    tags: TAGS,
    summary: 'Get an order by client_order_id',
    description:
      'The order placed (or rejected) with this `client_order_id` — how a client that lost the answer to a placement learns what happened.',
    consistency: 'read',
    request: { params: AccountParams, query: byClientOrderIdQuery },
    responses: { 200: { description: 'The order', schema: OrderSchema, example: orderExample } },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found', 'order_not_found'],
      422: ['validation_failed'],
    },
  });

  router.get(
    '/:id/orders/:orderId',
    read,
    route(async (req, res) => {
      const order = await deps.trading.order(principalOf(res), accountIdOf(req), orderIdOf(req));
      res.json(orderBody(order));
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/{orderId}'),
    tags: TAGS,
    summary: 'Get an order',
    description: 'One order with its legs, fill progress and timestamps.',
    consistency: 'read',
    request: { params: OrderParams },
    responses: { 200: { description: 'The order', schema: OrderSchema, example: orderExample } },
    errors: { 403: ['forbidden'], 404: ['account_not_found', 'order_not_found'] },
  });

  router.patch(
    '/:id/orders/:orderId',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const orderId = orderIdOf(req);
      const body = parseInput(ReplaceOrderBody, exactBody(req));
      const replaced = await deps.trading.replaceOrder(
        principalOf(res),
        accountId,
        orderId,
        replaceChangesOf(body),
        tradingContext(req, res),
      );
      setEventPosition(res, replaced.position);
      const rejected = replaced.events.find((e) => e.type === 'OrderRejected');
      if (rejected?.type === 'OrderRejected') {
        throw rejectionProblem(
          {
            orderId: rejected.data.orderId,
            clientOrderId: rejected.data.clientOrderId,
            reason: rejected.data.reason,
          },
          rejected.data.message,
          rejected.data.request ?? undefined,
          replaced.position,
        );
      }
      const order = orderOf(
        replaced.state,
        orderById(replaced.state, replaced.newOrderId) ? replaced.newOrderId : orderId,
      );
      res.json(orderBody(orderViewOf(order, replaced.state, replaced.position)));
    }),
  );
  documentOperation({
    method: 'patch',
    path: p('/{orderId}'),
    tags: TAGS,
    summary: 'Replace an order',
    description:
      'Replaces an open order with a new one (a new id; `replaces` names the old order, which becomes `replaced`) carrying the changed `qty`, `limit_price`, `stop_price`, `trail`, `time_in_force` or `client_order_id`. Answers the new order. A replacement the pre-trade checks refuse is 422 with the rejection reason, and the old order stays as it was.',
    consistency: 'write',
    request: {
      params: OrderParams,
      body: { schema: ReplaceOrderBody, example: { qty: '5', limit_price: '196.00' } },
    },
    responses: {
      200: {
        description: 'The new order',
        schema: OrderSchema,
        example: { ...orderExample, replaces: orderExample.id, status: 'new' },
      },
    },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found', 'order_not_found'],
      409: ['concurrency_conflict'],
      422: ['validation_failed', 'order_not_replaceable', 'invalid_replace', ...REJECTION_CODES],
    },
  });

  router.delete(
    '/:id/orders/:orderId',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const orderId = orderIdOf(req);
      const canceled = await deps.trading.cancelOrder(
        principalOf(res),
        accountId,
        orderId,
        tradingContext(req, res),
      );
      setEventPosition(res, canceled.position);
      res.json(
        orderBody(orderViewOf(orderOf(canceled.state, orderId), canceled.state, canceled.position)),
      );
    }),
  );
  documentOperation({
    method: 'delete',
    path: p('/{orderId}'),
    tags: TAGS,
    summary: 'Cancel an order',
    description:
      'Cancels an open order (and its held legs) and answers it with `status: canceled`. An order that already filled, expired or was canceled is 422 `order_not_cancelable`.',
    consistency: 'write',
    request: { params: OrderParams },
    responses: {
      200: {
        description: 'The canceled order',
        schema: OrderSchema,
        example: { ...orderExample, status: 'canceled', filled_qty: '0', filled_avg_price: null },
      },
    },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found', 'order_not_found'],
      409: ['concurrency_conflict'],
      422: ['order_not_cancelable'],
    },
  });
}
