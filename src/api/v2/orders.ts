/**
 * `/v2/orders…`: Alpaca's order routes as a thin translation onto `TradingCommands` — the
 * same command path as `/api/v1` (`orderRequestOf`, the `PlaceOrderBody` schema), answered in
 * Alpaca's shapes and statuses (200 for a placement, 204 for a cancel, 207 for cancel-all).
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { AccountState, Order, OrderRequest } from '../../domain/account/index.ts';
import { orderById } from '../../domain/account/order-lookup.ts';
import { rejectionMessage, type RejectionReason } from '../../domain/rejections.ts';
import type { OrderResult, PlaceOrderResult } from '../../commands/accounts.ts';
import type { OrderListRequest, OrderView } from '../../projections/trading-views.ts';
import type { MarketData } from '../../market/port.ts';
import { principalOf, route } from '../authenticate.ts';
import { orderRequestOf, parseInput, replaceChangesOf } from '../v1/input.ts';
import { exactBody } from '../v1/decimal-json.ts';
import { isMultiLegBody, multiLegRequestOf } from '../v1/option-input.ts';
import { MultiLegOrderBody } from '../v1/option-schemas.ts';
import { PlaceOrderBody, ReplaceOrderBody } from '../v1/schemas.ts';
import { orderViewOf } from '../v1/serialize.ts';
import { accountOf, alpacaContext, type AccountWatermarks, type AlpacaDeps } from './context.ts';
import { AlpacaError } from './errors.ts';
import { occOf } from './option-ids.ts';
import { booleanParam, instantParam, takeList } from './query.ts';
import { orderWire } from './wire.ts';

type Json = Record<string, unknown>;

/** Rejections Alpaca answers 403 (a permission / funds problem); every other one is 422. */
const FORBIDDEN_REASONS: ReadonlySet<RejectionReason> = new Set<RejectionReason>([
  'insufficient_buying_power',
  'insufficient_position',
  'short_not_allowed',
  'not_easy_to_borrow',
  'position_limit_exceeded',
  'order_notional_limit_exceeded',
  'exposure_limit_exceeded',
  'options_level_insufficient',
  'uncovered_call_not_allowed',
]);

/** The error of a rejected order: the reason, our message, and the recorded order's ids. */
export function rejectionError(rejection: {
  readonly orderId: string;
  readonly clientOrderId: string;
  readonly reason: RejectionReason;
  readonly message?: string;
}): AlpacaError {
  const extra = {
    order_id: rejection.orderId,
    client_order_id: rejection.clientOrderId,
    reject_reason: rejection.reason,
  };
  if (rejection.reason === 'duplicate_client_order_id') {
    return new AlpacaError(
      422,
      rejection.reason,
      'client_order_id must be unique',
      extra,
      {},
      40010001,
    );
  }
  return new AlpacaError(
    FORBIDDEN_REASONS.has(rejection.reason) ? 403 : 422,
    rejection.reason,
    rejection.message ?? rejectionMessage(rejection.reason),
    extra,
  );
}

/** The order as the write side left it, in Alpaca's shape. */
export function writtenOrder(
  state: AccountState,
  orderId: string,
  position: number | undefined,
): Json {
  const order: Order | undefined = orderById(state, orderId);
  if (order === undefined) throw new AlpacaError(404, 'order_not_found', 'order not found');
  return orderWire(orderViewOf(order, state, position));
}

/** A placement's answer: the order, or the error of its rejection. */
export function placedOrder(placed: PlaceOrderResult): Json {
  if (placed.rejection) {
    const event = placed.events.find((e) => e.type === 'OrderRejected');
    throw rejectionError({
      ...placed.rejection,
      ...(event?.type === 'OrderRejected' ? { message: event.data.message } : {}),
    });
  }
  return writtenOrder(placed.state, placed.orderId, placed.position);
}

const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const POSITION_INTENTS = ['buy_to_open', 'buy_to_close', 'sell_to_open', 'sell_to_close'];

function nonNull(raw: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(raw)) if (value !== null) out[key] = value;
  return out;
}

function checkIntent(intent: unknown, side: unknown, field: string): void {
  if (typeof intent !== 'string' || !POSITION_INTENTS.includes(intent)) {
    throw fieldError(field, `must be one of ${POSITION_INTENTS.join(', ')}`);
  }
  if (typeof side === 'string' && !intent.startsWith(`${side}_`)) {
    throw fieldError(field, `${intent} does not agree with side ${side}`);
  }
}

/**
 * An Alpaca multi-leg body as `/api/v1`'s `MultiLegOrderBody`: what the SDKs send beside it
 * and mean nothing here is dropped (an empty `symbol`, `extended_hours: false`), and a leg
 * without `side` takes it from its `position_intent` (Alpaca's legs may give only that).
 */
function multiLegBody(body: Json): Json {
  const out: Json = { ...body };
  if (out.symbol === '') delete out.symbol;
  if (out.extended_hours === false) delete out.extended_hours;
  if (out.extended_hours === true)
    throw fieldError('extended_hours', 'options trade in the regular session only');
  if (out.symbol !== undefined)
    throw fieldError('symbol', 'is not given on a multi-leg order: the legs name the contracts');
  if (out.side !== undefined)
    throw fieldError('side', 'is not given on a multi-leg order: the legs have the sides');
  if (out.position_intent !== undefined) {
    throw fieldError('position_intent', 'is given per leg on a multi-leg order');
  }
  if (Array.isArray(out.legs)) {
    out.legs = out.legs.map((leg: unknown, i) => {
      if (!isRecord(leg)) return leg;
      const l = nonNull(leg);
      if (l.position_intent !== undefined) {
        checkIntent(l.position_intent, l.side, `legs.${i}.position_intent`);
        if (l.side === undefined && typeof l.position_intent === 'string') {
          l.side = l.position_intent.split('_')[0];
        }
      }
      return l;
    });
  }
  return out;
}

/**
 * An Alpaca order body as `/api/v1`'s `PlaceOrderBody` (or `MultiLegOrderBody` for
 * `order_class: "mleg"` / `legs`): `null` means absent, `order_class` `""` is `simple`, and
 * the fields only Alpaca has are checked here — `position_intent` must agree with `side` (for
 * options it is passed on and must match the position; for stocks it changes nothing) and
 * `advanced_instructions` is not supported (422 naming the field).
 */
export function placeBody(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const body = nonNull(raw);
  if (body.order_class === '') delete body.order_class;
  if (body.advanced_instructions !== undefined) {
    throw fieldError('advanced_instructions', 'is not supported');
  }
  if (isMultiLegBody(body)) return multiLegBody(body);
  const intent = body.position_intent;
  if (intent !== undefined) {
    checkIntent(intent, body.side, 'position_intent');
    if (typeof body.symbol !== 'string' || occOf(body.symbol) === undefined) {
      delete body.position_intent;
    }
  }
  return body;
}

/** The domain request of an Alpaca order body (stock, single option, or multi-leg). */
export function placeRequest(raw: unknown, market: MarketData): OrderRequest {
  const body = placeBody(raw);
  return isMultiLegBody(body)
    ? multiLegRequestOf(parseInput(MultiLegOrderBody, body), market)
    : orderRequestOf(parseInput(PlaceOrderBody, body), market);
}

function fieldError(field: string, message: string): AlpacaError {
  return new AlpacaError(422, 'validation_failed', `${field} ${message}`, {
    errors: [{ field, message }],
  });
}

const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

function orderIdParam(value: unknown): string {
  if (typeof value !== 'string' || !ORDER_ID.test(value)) {
    throw new AlpacaError(404, 'order_not_found', 'order not found');
  }
  return value;
}

const listQuery = z
  .object({
    status: z.enum(['open', 'closed', 'all']).default('open'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    after: instantParam.optional(),
    until: instantParam.optional(),
    direction: z.enum(['asc', 'desc']).default('desc'),
    nested: booleanParam.optional(),
    side: z.enum(['buy', 'sell']).optional(),
    before_order_id: z.string().max(64).optional(),
    after_order_id: z.string().max(64).optional(),
  })
  .strict();

const ASSET_CLASSES = ['us_equity', 'us_option', 'crypto', 'all'];

/** Pages of `listOrders` read at most to fill one Alpaca answer when filtering in memory. */
const MAX_PAGES = 20;

const nullsDropped = (raw: unknown): unknown =>
  isRecord(raw) ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) : raw;

/** Mounts the order routes on the `/v2` router. */
export function mountOrderRoutes(router: Router, deps: AlpacaDeps, marks: AccountWatermarks): void {
  const { trading } = deps;

  /** Reads an order list in Alpaca's terms; `side` and `asset_class` filter page by page. */
  async function listOrders(
    res: Parameters<typeof accountOf>[1],
    query: Record<string, unknown>,
  ): Promise<OrderView[]> {
    const symbols = takeList(query, 'symbols', (s) => occOf(s) ?? s.toUpperCase());
    const classes = takeList(symbols.rest, 'asset_class');
    const q = parseInput(listQuery, classes.rest);
    for (const c of classes.list ?? []) {
      if (!ASSET_CLASSES.includes(c)) {
        throw fieldError('asset_class', `must be one of ${ASSET_CLASSES.join(', ')}`);
      }
    }
    const principal = principalOf(res);
    const accountId = await accountOf(trading, res);
    await marks.settle(accountId);
    let { after, until } = q;
    for (const [id, set] of [
      [q.before_order_id, (at: string) => (until = at)],
      [q.after_order_id, (at: string) => (after = at)],
    ] as const) {
      if (id === undefined) continue;
      set((await trading.order(principal, accountId, orderIdParam(id))).createdAt);
    }
    const wanted = classes.list?.includes('all') ? undefined : classes.list;
    const keep = (o: OrderView): boolean =>
      (q.side === undefined || o.side === q.side) &&
      (wanted === undefined || wanted.includes(o.assetClass));
    const request: OrderListRequest = {
      status: q.status,
      direction: q.direction,
      ...(after === undefined ? {} : { after }),
      ...(until === undefined ? {} : { until }),
      ...(symbols.list === undefined ? {} : { symbols: symbols.list }),
      ...(q.nested === undefined ? {} : { nested: q.nested }),
    };
    const out: OrderView[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_PAGES && out.length < q.limit; pages += 1) {
      const page = await trading.listOrders(principal, accountId, {
        ...request,
        limit: q.limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      out.push(...page.items.filter(keep));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return out.slice(0, q.limit);
  }

  /** Places an order (Alpaca answers 200 with the order). */
  router.post(
    '/orders',
    route(async (req, res) => {
      const request = placeRequest(exactBody(req), deps.market);
      const accountId = await accountOf(trading, res);
      const placed = await trading.placeOrder(
        principalOf(res),
        accountId,
        request,
        {},
        alpacaContext(req, res),
      );
      marks.note(accountId, placed.position);
      if (placed.duplicate) {
        throw new AlpacaError(
          422,
          'duplicate_client_order_id',
          'client_order_id must be unique',
          { order_id: placed.orderId, client_order_id: request.clientOrderId ?? null },
          {},
          40010001,
        );
      }
      res.json(placedOrder(placed));
    }),
  );

  /** Lists orders: `status` (default open), `limit`, `after`/`until`, `symbols`, `side`… */
  router.get(
    '/orders',
    route(async (req, res) => {
      res.json((await listOrders(res, req.query as Record<string, unknown>)).map(orderWire));
    }),
  );

  /** Cancels every open order: 207 with one `{ id, status, body }` per canceled order. */
  router.delete(
    '/orders',
    route(async (req, res) => {
      const accountId = await accountOf(trading, res);
      const written = await trading.cancelAll(principalOf(res), accountId, alpacaContext(req, res));
      marks.note(accountId, written.position);
      const canceled = written.events.flatMap((e) =>
        e.type === 'OrderCanceled' ? [e.data.orderId] : [],
      );
      res.status(207).json(
        canceled.map((id) => ({
          id,
          status: 200,
          body: writtenOrder(written.state, id, written.position),
        })),
      );
    }),
  );

  /** The order placed (or rejected) with a `client_order_id` (a literal colon in the path). */
  router.get(
    '/orders\\:by_client_order_id',
    route(async (req, res) => {
      const q = parseInput(
        z.object({ client_order_id: z.string().min(1).max(128) }).strict(),
        req.query,
      );
      const accountId = await accountOf(trading, res);
      await marks.settle(accountId);
      res.json(
        orderWire(
          await trading.orderByClientOrderId(principalOf(res), accountId, q.client_order_id),
        ),
      );
    }),
  );

  router.get(
    '/orders/:orderId',
    route(async (req, res) => {
      parseInput(z.object({ nested: booleanParam.optional() }).strict(), req.query);
      const accountId = await accountOf(trading, res);
      await marks.settle(accountId);
      res.json(
        orderWire(
          await trading.order(principalOf(res), accountId, orderIdParam(req.params.orderId)),
        ),
      );
    }),
  );

  /** Replaces an open order; answers the new order (`replaces` names the old one). */
  router.patch(
    '/orders/:orderId',
    route(async (req, res) => {
      const orderId = orderIdParam(req.params.orderId);
      const body = parseInput(ReplaceOrderBody, nullsDropped(exactBody(req)));
      const accountId = await accountOf(trading, res);
      const replaced = await trading.replaceOrder(
        principalOf(res),
        accountId,
        orderId,
        replaceChangesOf(body),
        alpacaContext(req, res),
      );
      marks.note(accountId, replaced.position);
      res.json(replacedOrder(replaced, orderId));
    }),
  );

  /** Cancels an order: 204 (Alpaca). Filled, canceled or expired orders are 422. */
  router.delete(
    '/orders/:orderId',
    route(async (req, res) => {
      const accountId = await accountOf(trading, res);
      const canceled = await trading.cancelOrder(
        principalOf(res),
        accountId,
        orderIdParam(req.params.orderId),
        alpacaContext(req, res),
      );
      marks.note(accountId, canceled.position);
      res.status(204).end();
    }),
  );
}

function replacedOrder(
  replaced: OrderResult & { readonly newOrderId: string },
  orderId: string,
): Json {
  const rejected = replaced.events.find((e) => e.type === 'OrderRejected');
  if (rejected?.type === 'OrderRejected') {
    throw rejectionError({
      orderId: rejected.data.orderId,
      clientOrderId: rejected.data.clientOrderId,
      reason: rejected.data.reason,
      message: rejected.data.message,
    });
  }
  const id = orderById(replaced.state, replaced.newOrderId) ? replaced.newOrderId : orderId;
  return writtenOrder(replaced.state, id, replaced.position);
}
