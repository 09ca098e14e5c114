import { randomUUID } from 'node:crypto';
import {
  accountDecider,
  findOrderByClientOrderId,
  streamName,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type Order,
  type OrderRejection,
  type OrderRequest,
  type ReplaceChanges,
  type SettingsPatch,
} from '../domain/account/index.ts';
import { orderById, rejectionById } from '../domain/account/order-lookup.ts';
import type { CorporateActionCommand } from '../domain/account/corporate-actions.ts';
import { DomainError } from '../domain/errors.ts';
import type { DecimalString } from '../domain/money.ts';
import type { MarketContext } from '../domain/market.ts';
import type { EventMetadata, EventStore } from '../eventstore/port.ts';
import type { MarketData } from '../market/port.ts';
import { CommandHandler, type CommandMetadata, type Decider } from './handler.ts';
import { marketContext, orderMarketContext } from './market-context.ts';
import { limitsNeedMarks, PortfolioMarks } from './portfolio-marks.ts';

export type AccountHandler = CommandHandler<AccountCommand, AccountEvent, AccountState>;

/** Who is calling and through which interface; copied onto every event as metadata. */
export interface CallContext {
  /** `user:{id}`, `apikey:{id}`, `engine`, `cli:{os user}`… */
  readonly actor: string;
  readonly source: NonNullable<EventMetadata['source']>;
  readonly correlationId?: string;
  readonly causationId?: string;
}

/** What every write answers: the resulting state and where its last event landed in `$all`. */
export interface WriteResult {
  readonly accountId: string;
  readonly state: AccountState;
  /** Events this call appended (empty for an idempotent retry or a no-op). */
  readonly events: readonly AccountEvent[];
  /** Global position of the last event appended (`X-Event-Position`); undefined when none was. */
  readonly position: number | undefined;
  readonly revision: number;
}

/** The answer to a `placeOrder`: the order (or its rejection), and whether it was a retry. */
export interface PlaceOrderResult extends WriteResult {
  readonly orderId: string;
  readonly order: Order | undefined;
  readonly rejection: OrderRejection | undefined;
  /** True when the `client_order_id` was already used: nothing was written, this is the original. */
  readonly duplicate: boolean;
}

/** The answer to an order command (cancel, replace, trigger, fill, expire, water mark). */
export interface OrderResult extends WriteResult {
  readonly order: Order | undefined;
}

/**
 * What an engine command expects the order to still look like. When the order has moved on
 * since the engine evaluated it (a fill landed, it was canceled…), the command is refused
 * with `StaleOrderVersion` before anything is decided, so a replayed or duplicated engine
 * command can never apply twice.
 */
export interface OrderVersion {
  readonly status: Order['status'];
  readonly filledQty: DecimalString;
  readonly triggered: boolean;
  readonly hwm: DecimalString | null;
}

/** The version of an order an engine command is decided against. */
export function orderVersion(order: Order): OrderVersion {
  return {
    status: order.status,
    filledQty: order.filledQty,
    triggered: order.triggered,
    hwm: order.hwm,
  };
}

/** Thrown when an engine command's `OrderVersion` no longer matches: drop it, do not retry. */
export class StaleOrderVersion extends Error {
  override readonly name = 'StaleOrderVersion';
  readonly code = 'stale_order_version';
  constructor(readonly orderId: string) {
    super(`order ${orderId} changed since it was evaluated`);
  }
}

export interface AccountServiceDeps {
  readonly store: EventStore;
  readonly market: MarketData;
  /** Id generator for accounts, orders, legs and fills (default: random UUIDs). */
  readonly newId?: () => string;
  /** Accounts whose state the handler keeps in memory (default 10,000). */
  readonly cacheSize?: number;
}

export const accountCommandDecider: Decider<AccountCommand, AccountEvent, AccountState> =
  accountDecider;

/** Legs a class needs ids for: bracket two (take-profit, stop-loss), oco and oto one, mleg one per leg. */
export function legCount(request: OrderRequest): number {
  switch (request.orderClass) {
    case 'mleg':
      return request.legs?.length ?? 0;
    case 'bracket':
      return 2;
    case 'oco':
    case 'oto':
      return 1;
    default:
      return 0;
  }
}

/** The deterministic fill id of an order's next fill: order id and quantity filled so far. */
export function engineFillId(order: Order): string {
  return `${order.id}.f${order.filledQty}`;
}

/**
 * Trading on `account-{id}` streams: the commands behind REST, MCP, the CLI and the execution
 * engine. Every id and the market context are made here (the decider invents neither), and
 * the simulation time of the market clock is stamped on every event.
 */
export class AccountService {
  readonly handler: AccountHandler;
  readonly market: MarketData;
  readonly #newId: () => string;
  readonly #marks: PortfolioMarks;

  constructor(private readonly deps: AccountServiceDeps) {
    this.market = deps.market;
    this.handler = new CommandHandler(deps.store, accountCommandDecider, {
      streamId: streamName,
      ...(deps.cacheSize === undefined ? {} : { cacheSize: deps.cacheSize }),
    });
    this.#newId = deps.newId ?? randomUUID;
    this.#marks = new PortfolioMarks(deps.market);
  }

  /** Current simulation time (the market clock) as ISO-8601. */
  now(): string {
    return this.market.clock.now().toISOString();
  }

  /** Opens an account with its initial deposit; the id is generated. */
  async openAccount(
    input: {
      readonly ownerId: string;
      readonly name: string;
      readonly initialCash: DecimalString;
      readonly settings?: SettingsPatch;
      readonly accountId?: string;
    },
    context: CallContext,
  ): Promise<WriteResult> {
    const accountId = input.accountId ?? this.#newId();
    return this.#write(accountId, context, {
      type: 'OpenAccount',
      data: {
        accountId,
        ownerId: input.ownerId,
        name: input.name,
        initialCash: input.initialCash,
        ...(input.settings ? { settings: input.settings } : {}),
        at: this.now(),
      },
    });
  }

  deposit(
    accountId: string,
    input: { readonly amount: DecimalString; readonly reference?: string },
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'Deposit',
      data: { ...input, at: this.now() },
    });
  }

  withdraw(
    accountId: string,
    input: { readonly amount: DecimalString; readonly reference?: string },
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'Withdraw',
      data: { ...input, at: this.now() },
    });
  }

  updateSettings(
    accountId: string,
    settings: SettingsPatch,
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'UpdateSettings',
      data: { settings, at: this.now() },
    });
  }

  /**
   * Places an order priced against the market now. A `clientOrderId` already used by the
   * account answers the original order (or its rejection) with `duplicate: true` and writes
   * nothing. A business rejection is not an error: it is an `OrderRejected` event and comes
   * back as `rejection`. Invalid commands throw `DomainError`.
   */
  async placeOrder(
    accountId: string,
    request: OrderRequest,
    options: { readonly clientOrderId?: string; readonly queueWhenClosed?: boolean },
    context: CallContext,
  ): Promise<PlaceOrderResult> {
    const orderId = this.#newId();
    const clientOrderId = options.clientOrderId ?? request.clientOrderId;
    const legOrderIds = Array.from({ length: legCount(request) }, () => this.#newId());
    const market = await this.riskMarket(accountId, request);
    const result = await this.handler.handle(
      accountId,
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          ...(legOrderIds.length > 0 ? { legOrderIds } : {}),
          fillId: this.#newId(),
          request: clientOrderId === undefined ? request : { ...request, clientOrderId },
          market,
          ...(options.queueWhenClosed === undefined
            ? {}
            : { queueWhenClosed: options.queueWhenClosed }),
        },
      },
      this.#metadata(context),
    );
    const lookup = findOrderByClientOrderId(result.state, clientOrderId ?? orderId);
    const answeredId = lookup?.orderId ?? orderId;
    return {
      ...this.#written(accountId, result),
      orderId: answeredId,
      order: lookup?.order ?? orderById(result.state, answeredId),
      rejection: lookup?.rejection ?? rejectionById(result.state, answeredId),
      duplicate: result.events.length === 0,
    };
  }

  cancelOrder(accountId: string, orderId: string, context: CallContext): Promise<OrderResult> {
    return this.#orderWrite(accountId, orderId, context, {
      type: 'CancelOrder',
      data: { orderId, at: this.now() },
    });
  }

  cancelAll(
    accountId: string,
    context: CallContext,
    assetClass?: 'us_equity' | 'us_option',
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'CancelAllOrders',
      data: { at: this.now(), ...(assetClass === undefined ? {} : { assetClass }) },
    });
  }

  /**
   * Replaces an open order with a new one (new id) carrying `changes`; answers the new order,
   * or the old one with a rejection event when the replacement was refused.
   */
  async replaceOrder(
    accountId: string,
    orderId: string,
    changes: ReplaceChanges,
    context: CallContext,
  ): Promise<OrderResult & { readonly newOrderId: string }> {
    const newOrderId = this.#newId();
    const known = this.handler.cached(accountId)?.state ?? (await this.load(accountId)).state;
    const symbol = orderById(known, orderId)?.symbol ?? '';
    const market = await this.riskMarket(accountId, symbol);
    const result = await this.handler.handle(
      accountId,
      (state) => ({
        type: 'ReplaceOrder',
        data: {
          orderId,
          newOrderId,
          fillId: this.#newId(),
          changes,
          market:
            orderById(state, orderId)?.symbol === symbol
              ? market
              : marketContext(this.market, orderById(state, orderId)?.symbol ?? ''),
        },
      }),
      this.#metadata(context),
    );
    return {
      ...this.#written(accountId, result),
      order: orderById(result.state, newOrderId) ?? orderById(result.state, orderId),
      newOrderId,
    };
  }

  /**
   * The market a new order of the account is decided against: the order's context (for an
   * order, its symbol's quote, or each leg's for a multi-leg order; for a symbol, that
   * symbol's), plus the portfolio's marks when the account's risk limits (or `always`, for a
   * preview) need them. Marks are taken for the stock an order trades, or its underlying.
   */
  async riskMarket(
    accountId: string,
    order: string | OrderRequest,
    options: { readonly always?: boolean; readonly state?: AccountState } = {},
  ): Promise<MarketContext> {
    const base =
      typeof order === 'string'
        ? marketContext(this.market, order)
        : orderMarketContext(this.market, order);
    const state =
      options.state ??
      this.handler.cached(accountId)?.state ??
      (await this.handler.load(accountId)).state;
    if (options.always !== true && !limitsNeedMarks(state.settings)) return base;
    const symbol = typeof order === 'string' ? order : markSymbolOf(order);
    return { ...base, ...(await this.#marks.context(state, symbol)) };
  }

  /**
   * Exercises long option contracts now (American style), at the underlying's last trade;
   * `qty` defaults to every contract not promised to a sell order.
   */
  exerciseOption(
    accountId: string,
    symbol: string,
    qty: DecimalString | undefined,
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'ExerciseOption',
      data: {
        symbol,
        ...(qty === undefined ? {} : { qty }),
        market: marketContext(this.market, symbol),
      },
    });
  }

  /**
   * Settles an option position after its expiration day's close (sent by the engine): exercise
   * or assignment when in the money by at least $0.01 at `underlyingPrice`, expiry otherwise.
   */
  settleExpiredOption(
    accountId: string,
    input: {
      readonly symbol: string;
      readonly underlyingPrice: DecimalString;
      readonly sessionDate: string;
      readonly sessionClose: string;
    },
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, {
      type: 'SettleExpiredOption',
      data: { ...input, at: this.now() },
    });
  }

  // ─── engine commands ──────────────────────────────────────────────────────────────────────

  /** Triggers a stop; fills against the same quote with the deterministic next fill id. */
  trigger(
    accountId: string,
    orderId: string,
    market: MarketContext,
    context: CallContext,
    expected?: OrderVersion,
  ): Promise<OrderResult> {
    return this.#engineWrite(accountId, orderId, context, expected, (order) => ({
      type: 'TriggerOrder',
      data: { orderId, fillId: engineFillId(order), market },
    }));
  }

  /** Fills (part of) an open order against `market.quote` or `market.auction`. */
  fill(
    accountId: string,
    orderId: string,
    market: MarketContext,
    context: CallContext,
    expected?: OrderVersion,
  ): Promise<OrderResult> {
    return this.#engineWrite(accountId, orderId, context, expected, (order) => ({
      type: 'FillOrder',
      data: { orderId, fillId: engineFillId(order), market },
    }));
  }

  expire(
    accountId: string,
    orderId: string,
    market: MarketContext,
    context: CallContext,
    expected?: OrderVersion,
  ): Promise<OrderResult> {
    return this.#engineWrite(accountId, orderId, context, expected, () => ({
      type: 'ExpireOrder',
      data: { orderId, market },
    }));
  }

  updateWaterMark(
    accountId: string,
    orderId: string,
    market: MarketContext,
    context: CallContext,
    expected?: OrderVersion,
  ): Promise<OrderResult> {
    return this.#engineWrite(accountId, orderId, context, expected, () => ({
      type: 'UpdateWaterMark',
      data: { orderId, market },
    }));
  }

  /**
   * Applies a corporate action (split, dividend accrual or payment) to the account. The
   * decider answers no events when the account is not concerned or already applied it.
   */
  corporateAction(
    accountId: string,
    command: CorporateActionCommand,
    context: CallContext,
  ): Promise<WriteResult> {
    return this.#write(accountId, context, command);
  }

  // ─── queries on the write side (not for hot read paths: use projections there) ────────────

  /** The account's folded state and revision (-1 / status `none` when it does not exist). */
  load(accountId: string): Promise<{ state: AccountState; revision: number }> {
    return this.handler.load(accountId);
  }

  /**
   * The account's state as this process last knew it, without reading the stream (possibly
   * behind other writers): enough for what never changes once set, like the owner of an open
   * account. Undefined when this process holds no state of it.
   */
  knownState(accountId: string): AccountState | undefined {
    return this.handler.peek(accountId);
  }

  /**
   * Hands the command handler an account state the caller folded from the stream up to
   * `revision` (see `CommandHandler.prime`): the execution engine's index, so its commands do
   * not read the stream first.
   */
  prime(accountId: string, state: AccountState, revision: number): void {
    this.handler.prime(accountId, state, revision);
  }

  /** Ids of every opened account, in the order they were opened (a scan of `$all`). */
  async listAccountIds(): Promise<string[]> {
    const ids: string[] = [];
    let from = 0;
    for (;;) {
      const batch = await this.deps.store.readAll({
        fromPosition: from,
        maxCount: 1000,
        filter: { streamPrefixes: ['account-'], eventTypes: ['AccountOpened'] },
      });
      for (const e of batch) ids.push(e.streamId.slice('account-'.length));
      const last = batch.at(-1);
      if (batch.length < 1000 || last === undefined) return ids;
      from = last.position + 1;
    }
  }

  // ─── internals ────────────────────────────────────────────────────────────────────────────

  #metadata(context: CallContext): CommandMetadata {
    return {
      actor: context.actor,
      source: context.source,
      ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
      simTime: this.now(),
    };
  }

  #written(
    accountId: string,
    result: {
      events: readonly AccountEvent[];
      state: AccountState;
      position: number | undefined;
      revision: number;
    },
  ): WriteResult {
    return {
      accountId,
      state: result.state,
      events: result.events,
      position: result.position,
      revision: result.revision,
    };
  }

  async #write(
    accountId: string,
    context: CallContext,
    command: AccountCommand,
  ): Promise<WriteResult> {
    const result = await this.handler.handle(accountId, command, this.#metadata(context));
    return this.#written(accountId, result);
  }

  async #orderWrite(
    accountId: string,
    orderId: string,
    context: CallContext,
    command: AccountCommand,
  ): Promise<OrderResult> {
    const written = await this.#write(accountId, context, command);
    return { ...written, order: orderById(written.state, orderId) };
  }

  async #engineWrite(
    accountId: string,
    orderId: string,
    context: CallContext,
    expected: OrderVersion | undefined,
    build: (order: Order) => AccountCommand,
  ): Promise<OrderResult> {
    const result = await this.handler.handle(
      accountId,
      (state) => {
        const order = orderById(state, orderId);
        if (order === undefined) {
          throw new DomainError('order_not_found', `order ${orderId} not found`, 'orderId');
        }
        if (expected !== undefined && !sameOrderVersion(orderVersion(order), expected)) {
          throw new StaleOrderVersion(orderId);
        }
        return build(order);
      },
      this.#metadata(context),
    );
    return { ...this.#written(accountId, result), order: orderById(result.state, orderId) };
  }
}

/** True when two versions of an order are the same. */
export function sameOrderVersion(a: OrderVersion, b: OrderVersion): boolean {
  return (
    a.status === b.status &&
    a.filledQty === b.filledQty &&
    a.triggered === b.triggered &&
    a.hwm === b.hwm
  );
}

/** The stock whose mark a risk limit reads for an order: the stock itself, or the underlying. */
function markSymbolOf(request: OrderRequest): string {
  const { instrument } = request; // a multi-leg order's is its first leg's
  return instrument.kind === 'equity' ? instrument.symbol : instrument.underlying;
}
