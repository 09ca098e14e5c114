/**
 * Live updates for `GET /api/v1/stream`: the caller's order, fill, position and account
 * changes, as Server-Sent Events whose `id` is the global position of the event that caused
 * them, so a client that reconnects with `Last-Event-ID` gets exactly what it missed.
 *
 * One shared {@link LiveUpdates} hub follows the `account-*` events of `$all` and renders each
 * one once into its SSE text, keeping the most recent ones in a ring buffer. Each client is a
 * {@link LiveCursor} over that buffer: it takes what it may read (the account owner, or every
 * account for auditors and admins) at its own pace. A client behind the buffer — resuming from
 * an old id, or too slow to keep up — reads the event store directly until it has caught up,
 * so a slow client never makes the server buffer more for it, and none is ever skipped.
 *
 * Payloads are rendered from the account's state folded with the domain's own `evolve`, so an
 * order update shows the order exactly as it was after that event, live or replayed.
 */
import type { Logger } from 'pino';
import { decideAccess, type Principal } from '../commands/policy.ts';
import {
  ACCOUNT_EVENT_TYPES,
  buyingPower,
  evolve,
  initialState,
  type AccountEvent,
  type AccountState,
  type Order,
  type OrderFilled,
  type OrderRejected,
} from '../domain/account/index.ts';
import { orderById } from '../domain/account/order-lookup.ts';
import { AppendMap } from '../domain/append-map.ts';
import { equity, multiplierOf, type Instrument } from '../domain/instrument.ts';
import { dec, fmt } from '../domain/money.ts';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '../eventstore/port.ts';
import type { FillView } from '../projections/trading-views.ts';
import { fillBody, orderBody, orderViewOf } from './v1/serialize.ts';

type Json = Record<string, unknown>;

/** Only account streams carry what the live stream reports. */
export const ACCOUNT_EVENTS: EventFilter = { streamPrefixes: ['account-'] };

/** The SSE event names a client may receive (besides `ready` and heartbeat comments). */
export type LiveEventName = 'order' | 'fill' | 'position' | 'account';

/** One SSE message: its `event:` name and its JSON `data:`. */
export interface LiveMessage {
  readonly event: LiveEventName;
  readonly data: Readonly<Record<string, unknown>>;
}

/** An account event rendered for live clients. */
export interface LiveEntry {
  /** Global position of the event: the SSE `id`. */
  readonly position: number;
  readonly accountId: string;
  /** The account owner; tenants see only their own accounts' entries. */
  readonly ownerId: string;
  /** The `event:` name of each message, in order (for metrics). */
  readonly events: readonly LiveEventName[];
  /** The messages themselves, for clients that are not SSE (`/v2` `trade_updates`). */
  readonly messages: readonly LiveMessage[];
  /** The SSE text of every message, `id:` on the last (so a resume never skips half an event). */
  readonly chunk: string;
}

// ─── payloads ───────────────────────────────────────────────────────────────────────────────

const AVG_PRICE_DECIMALS = 9;

/**
 * The order resource exactly as `GET /accounts/{id}/orders/{orderId}` answers it, for the
 * order as it stood right after the event at `position`.
 */
function orderResource(order: Order, state: AccountState, position: number): Json {
  return orderBody(orderViewOf(order, state, position));
}

/** A rejected order as an order (the rejection event carries its request, or what it replaced). */
function rejectedOrder(d: OrderRejected['data'], before: AccountState): Order {
  const base = d.replaces === null ? undefined : orderById(before, d.replaces);
  const req = d.request;
  return {
    id: d.orderId,
    clientOrderId: d.clientOrderId,
    instrument: req?.instrument ?? base?.instrument ?? equity(d.symbol),
    symbol: d.symbol,
    side: req?.side ?? base?.side ?? 'buy',
    type: req?.type ?? base?.type ?? 'market',
    timeInForce: req?.timeInForce ?? base?.timeInForce ?? 'day',
    orderClass: req ? (req.orderClass ?? 'simple') : (base?.orderClass ?? 'simple'),
    qty: req?.qty ?? (base ? fmt(dec(base.qty).minus(dec(base.filledQty))) : '0'),
    filledQty: '0',
    filledNotional: '0',
    limitPrice: req ? (req.limitPrice ?? null) : (base?.limitPrice ?? null),
    stopPrice: req ? (req.stopPrice ?? null) : (base?.stopPrice ?? null),
    trailPrice: req ? (req.trailPrice ?? null) : (base?.trailPrice ?? null),
    trailPercent: req ? (req.trailPercent ?? null) : (base?.trailPercent ?? null),
    hwm: null,
    triggered: false,
    extendedHours: req ? (req.extendedHours ?? false) : (base?.extendedHours ?? false),
    status: 'rejected',
    parentId: null,
    legIds: [],
    ocoGroupId: null,
    legRole: null,
    reservePrice: null,
    replaces: d.replaces,
    replacedBy: null,
    createdAt: d.at,
    updatedAt: d.at,
    triggeredAt: null,
    filledAt: null,
    canceledAt: null,
    expiredAt: null,
    replacedAt: null,
  };
}

/** The fill resource exactly as `GET /accounts/{id}/fills` answers it. */
function fillResource(accountId: string, d: OrderFilled['data'], position: number): Json {
  const view: FillView = {
    id: d.fillId,
    accountId,
    orderId: d.orderId,
    symbol: d.symbol,
    side: d.side,
    qty: d.qty,
    price: d.price,
    grossAmount: d.grossAmount,
    commission: d.commission,
    regulatoryFees: fmt(dec(d.secFee).plus(dec(d.taf))),
    cashDelta: d.cashDelta,
    realizedPl: d.realizedPnl,
    orderStatus: d.orderStatus,
    cumulativeQty: d.cumulativeQty,
    leavesQty: d.leavesQty,
    quote: d.quote,
    auction: d.auction,
    model: d.model,
    positionAfter: d.position,
    at: d.at,
    position,
  };
  return fillBody(view);
}

/**
 * A position as the event left it, in the position resource's names. Market-dependent figures
 * (`market_value`, `unrealized_pl`…) are not part of an event: read the position for them. A
 * closed position has `qty` "0" and `side` "flat".
 */
function positionResource(
  accountId: string,
  symbol: string,
  instrument: Instrument,
  qty: string,
  costBasis: string,
  realizedPl: string,
  at: string,
): Json {
  const q = dec(qty);
  return {
    account_id: accountId,
    symbol,
    asset_class: instrument.kind === 'option' ? 'us_option' : 'us_equity',
    qty,
    side: q.isZero() ? 'flat' : q.isNegative() ? 'short' : 'long',
    avg_entry_price: q.isZero()
      ? '0'
      : fmt(
          dec(costBasis)
            .dividedBy(q.times(multiplierOf(instrument)))
            .toDecimalPlaces(AVG_PRICE_DECIMALS),
        ),
    cost_basis: costBasis,
    realized_pl: realizedPl,
    updated_at: at,
  };
}

const ACCOUNT_UPDATES: Partial<Record<AccountEvent['type'], string>> = {
  AccountOpened: 'opened',
  CashDeposited: 'deposit',
  CashWithdrawn: 'withdrawal',
  AccountSettingsUpdated: 'settings',
  AccountReset: 'reset',
};

/**
 * What one account event at `position` tells a live client, given the account's state before
 * and after it: `order` updates (Alpaca's trade-update `event` names: `new`, `fill`,
 * `partial_fill`, `canceled`, `expired`, `replaced`, `rejected`, plus `triggered`,
 * `activated`, `water_mark`) carrying the REST order resource, the `fill` (the REST fill
 * resource), the `position` it left, and `account` cash changes. Pure.
 */
export function renderEvent(
  accountId: string,
  event: AccountEvent,
  before: AccountState,
  after: AccountState,
  position: number,
): LiveMessage[] {
  const order = (id: string, name: string, extra: Json = {}): LiveMessage[] => {
    const o = orderById(after, id);
    return o
      ? [
          {
            event: 'order',
            data: {
              event: name,
              account_id: accountId,
              at: o.updatedAt,
              ...extra,
              order: orderResource(o, after, position),
            },
          },
        ]
      : [];
  };
  const account = (name: string, at: string): LiveMessage[] => [
    {
      event: 'account',
      data: {
        event: name,
        account_id: accountId,
        name: after.name,
        cash: after.cash,
        buying_power: fmt(buyingPower(after)),
        updated_at: at,
      },
    },
  ];
  switch (event.type) {
    case 'AccountOpened':
    case 'CashDeposited':
    case 'CashWithdrawn':
    case 'AccountSettingsUpdated':
      return account(ACCOUNT_UPDATES[event.type] ?? 'updated', event.data.at);
    case 'AccountReset':
      // Every position is gone, and every order with it.
      return [
        ...Object.values(before.positions).map((p): LiveMessage => ({
          event: 'position',
          data: positionResource(
            accountId,
            p.symbol,
            p.instrument,
            '0',
            '0',
            p.realizedPnl,
            event.data.at,
          ),
        })),
        ...account('reset', event.data.at),
      ];
    case 'OrderPlaced':
      return order(event.data.order.id, 'new');
    case 'OrderRejected': {
      const d = event.data;
      const rejected = rejectedOrder(d, before);
      return [
        {
          event: 'order',
          data: {
            event: 'rejected',
            account_id: accountId,
            at: d.at,
            reason: d.reason,
            message: d.message,
            order: {
              ...orderResource(rejected, after, position),
              reject_reason: d.reason,
              failed_at: d.at,
            },
          },
        },
      ];
    }
    case 'OrderTriggered':
      return order(event.data.orderId, 'triggered', { trigger_price: event.data.triggerPrice });
    case 'OrderActivated':
      return order(event.data.orderId, 'activated');
    case 'OrderWaterMarkUpdated':
      return order(event.data.orderId, 'water_mark');
    case 'OrderCanceled':
      return order(event.data.orderId, 'canceled', { reason: event.data.reason });
    case 'OrderExpired':
      return order(event.data.orderId, 'expired', { reason: event.data.reason });
    case 'OrderReplaced':
      return [
        ...order(event.data.orderId, 'replaced', { replaced_by: event.data.replacedBy }),
        ...order(event.data.newOrder.id, 'new', { replaces: event.data.orderId }),
      ];
    case 'OrderFilled': {
      const d = event.data;
      const held = orderById(after, d.orderId) ?? orderById(before, d.orderId);
      const realized = dec(before.positions[d.symbol]?.realizedPnl ?? '0').plus(dec(d.realizedPnl));
      return [
        { event: 'fill', data: fillResource(accountId, d, position) },
        ...order(d.orderId, d.orderStatus === 'filled' ? 'fill' : 'partial_fill', {
          price: d.price,
          qty: d.qty,
          position_qty: d.position.qty,
        }),
        {
          event: 'position',
          data: positionResource(
            accountId,
            d.symbol,
            held?.instrument ?? equity(d.symbol),
            d.position.qty,
            d.position.costBasis,
            fmt(realized),
            d.at,
          ),
        },
        ...account('fill', d.at),
      ];
    }
    case 'StockSplitApplied': {
      const d = event.data;
      const held = after.positions[d.symbol] ?? before.positions[d.symbol];
      return [
        ...d.orders.flatMap((o) => order(o.orderId, 'split', { action_id: d.actionId })),
        ...(d.position === null
          ? []
          : [
              {
                event: 'position' as const,
                data: positionResource(
                  accountId,
                  d.symbol,
                  held?.instrument ?? equity(d.symbol),
                  d.position.qty,
                  d.position.costBasis,
                  held?.realizedPnl ?? '0',
                  d.at,
                ),
              },
            ]),
      ];
    }
    case 'DividendAccrued':
      return [];
    case 'DividendPaid':
      return account('dividend', event.data.at);
    case 'OptionExercised':
    case 'OptionAssigned':
    case 'OptionExpired': {
      // The option position closes; shares arrive or leave at the strike.
      const d = event.data;
      const option = before.positions[d.symbol];
      const positions: LiveMessage[] = [
        {
          event: 'position',
          data: positionResource(
            accountId,
            d.symbol,
            option?.instrument ?? equity(d.symbol),
            d.position.qty,
            d.position.costBasis,
            fmt(dec(option?.realizedPnl ?? '0').plus(dec(d.optionRealizedPnl))),
            d.at,
          ),
        },
      ];
      if (d.shares !== null) {
        positions.push({
          event: 'position',
          data: positionResource(
            accountId,
            d.shares.symbol,
            equity(d.shares.symbol),
            d.shares.position.qty,
            d.shares.position.costBasis,
            after.positions[d.shares.symbol]?.realizedPnl ?? d.shares.realizedPnl,
            d.at,
          ),
        });
      }
      const name =
        event.type === 'OptionExercised'
          ? 'option_exercised'
          : event.type === 'OptionAssigned'
            ? 'option_assigned'
            : 'option_expired';
      return [...positions, ...account(name, d.at)];
    }
  }
}

/** The SSE text of one event's messages; only the last carries the `id`. */
export function sseChunk(position: number, messages: readonly LiveMessage[]): string {
  return messages
    .map(
      (m, i) =>
        `${i === messages.length - 1 ? `id: ${position}\n` : ''}event: ${m.event}\ndata: ${JSON.stringify({ ...m.data, event_position: position })}\n\n`,
    )
    .join('');
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(ACCOUNT_EVENT_TYPES);

/** Whether a recorded event is one of the account events this version knows. */
function isAccountEvent(recorded: RecordedEvent): recorded is RecordedEvent & AccountEvent {
  return KNOWN_TYPES.has(recorded.type);
}

// ─── folding account streams ────────────────────────────────────────────────────────────────

interface FoldEntry {
  revision: number;
  ownerId: string;
  state: AccountState;
}

/**
 * Keeps only open orders (`state.orders`): `evolve` ignores events that address terminal
 * orders anyway, and an event renders from the states right before and after it.
 */
function pruned(state: AccountState): AccountState {
  return state.terminalOrders.size === 0 ? state : { ...state, terminalOrders: AppendMap.empty() };
}

/**
 * Account states by stream, folded with the domain's `evolve`, most recently used kept.
 * Events usually arrive in revision order and cost one `evolve`; a gap or an older revision
 * reads the stream to rebuild the state right before the event.
 */
export class AccountFolds {
  readonly #cache = new Map<string, FoldEntry>();

  constructor(
    private readonly store: Pick<EventStore, 'readStream'>,
    private readonly capacity = 5_000,
  ) {}

  /** The account state right before and right after `recorded`, and the account owner. */
  async step(
    recorded: RecordedEvent,
  ): Promise<{ before: AccountState; after: AccountState; ownerId: string }> {
    const { streamId, revision } = recorded;
    let entry = this.#cache.get(streamId);
    if (entry?.revision !== revision - 1) {
      const from = entry && entry.revision < revision ? entry : undefined;
      entry = from ? { ...from } : { revision: -1, ownerId: '', state: initialState() };
      if (revision - 1 > entry.revision) {
        const events = await this.store.readStream(streamId, {
          fromRevision: entry.revision + 1,
          maxCount: revision - 1 - entry.revision,
        });
        for (const e of events) {
          if (e.revision >= revision) break;
          entry = this.#apply(entry, e);
        }
      }
    }
    const before = entry.state;
    const next = this.#apply(entry, recorded);
    this.#cache.delete(streamId);
    this.#cache.set(streamId, { ...next, state: pruned(next.state) });
    if (this.#cache.size > this.capacity) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    return { before, after: next.state, ownerId: next.ownerId };
  }

  #apply(entry: FoldEntry, recorded: RecordedEvent): FoldEntry {
    if (!isAccountEvent(recorded)) return { ...entry, revision: recorded.revision };
    // The owner is fixed at opening (a reset keeps the account's owner).
    const ownerId = recorded.type === 'AccountOpened' ? recorded.data.ownerId : entry.ownerId;
    return { revision: recorded.revision, ownerId, state: evolve(entry.state, recorded) };
  }
}

/** Renders one recorded account event into a live entry. */
async function renderRecorded(folds: AccountFolds, recorded: RecordedEvent): Promise<LiveEntry> {
  const accountId = recorded.streamId.slice('account-'.length);
  const { before, after, ownerId } = await folds.step(recorded);
  // An event type this version does not know (written by a newer one) tells clients nothing.
  const messages = isAccountEvent(recorded)
    ? renderEvent(accountId, recorded, before, after, recorded.position)
    : [];
  return {
    position: recorded.position,
    accountId,
    ownerId,
    events: messages.map((m) => m.event),
    messages,
    chunk: messages.length > 0 ? sseChunk(recorded.position, messages) : '',
  };
}

// ─── the hub ────────────────────────────────────────────────────────────────────────────────

export interface LiveUpdatesOptions {
  /** Where events are read and followed (any adapter). */
  readonly store: EventStore;
  /** Rendered events kept for clients that are a little behind (default 10,000). */
  readonly bufferSize?: number;
  /** Accounts whose folded state the hub keeps (default 5,000). */
  readonly foldCacheSize?: number;
  /** How long the hub keeps following `$all` after its last client left (default 60 s). */
  readonly idleMs?: number;
  /** Wait before re-subscribing after a store failure (default 1 s). */
  readonly retryMs?: number;
  /** Events a catching-up client reads from the store at a time (default 500). */
  readonly catchUpBatch?: number;
  readonly logger?: Logger;
  /**
   * Called for each event the hub follows with the seconds from its commit (`recordedAt`) to
   * its rendering here: how late live clients of this process hear of it.
   */
  readonly onFollowed?: (delaySeconds: number) => void;
}

/** Whether `principal` may read an account owned by `ownerId` (same rule as the REST reads). */
export function mayRead(principal: Principal, ownerId: string): boolean {
  return decideAccess(principal, 'account.read', { ownerId }) === undefined;
}

/**
 * The live-update hub: one `$all` subscription (account streams only) rendered once for every
 * client, started by the first client and stopped `idleMs` after the last one left.
 */
export class LiveUpdates {
  readonly #store: EventStore;
  readonly #bufferSize: number;
  readonly #idleMs: number;
  readonly #retryMs: number;
  readonly #catchUpBatch: number;
  readonly #logger: Logger | undefined;
  readonly #onFollowed: ((delaySeconds: number) => void) | undefined;
  readonly #folds: AccountFolds;
  /** Rendered entries with position in (#floor, #position], oldest first. */
  #ring: LiveEntry[] = [];
  #floor = 0;
  #position = 0;
  #version = 0;
  #waiters = new Set<() => void>();
  #running: { subscription: Subscription; done: Promise<void>; stopping: boolean } | undefined;
  #starting: Promise<void> | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #cursors = new Set<LiveCursor>();
  /** Account owners by stream (an owner never changes). */
  readonly #owners = new Map<string, string>();
  #closed = false;

  constructor(options: LiveUpdatesOptions) {
    this.#store = options.store;
    this.#bufferSize = options.bufferSize ?? 10_000;
    this.#idleMs = options.idleMs ?? 60_000;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#catchUpBatch = options.catchUpBatch ?? 500;
    this.#logger = options.logger;
    this.#onFollowed = options.onFollowed;
    this.#folds = new AccountFolds(options.store, options.foldCacheSize ?? 5_000);
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#cursors.size;
  }

  /** Whether the hub follows `$all` now. */
  get following(): boolean {
    return this.#running !== undefined;
  }

  /** Position of the last account event the hub has rendered. */
  get position(): number {
    return this.#position;
  }

  /** The store's head: what "now" means for a client that gives no `Last-Event-ID`. */
  headPosition(): Promise<number> {
    return this.#store.headPosition();
  }

  /**
   * A cursor for `principal` after position `after` (exclusive; default: the store's head).
   * Release it with `close()` when the client leaves.
   */
  async open(principal: Principal, after?: number): Promise<LiveCursor> {
    if (this.#closed) throw new Error('live updates are closed');
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const from = after ?? (await this.#store.headPosition());
    await this.#ensureRunning();
    const cursor = new LiveCursor(this, principal, from);
    this.#cursors.add(cursor);
    return cursor;
  }

  /** Ends every cursor and stops following. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const cursor of [...this.#cursors]) cursor.close();
    await this.#stop();
  }

  // ─── for cursors ──────────────────────────────────────────────────────────────────────────

  /** @internal */
  release(cursor: LiveCursor): void {
    if (!this.#cursors.delete(cursor)) return;
    if (this.#cursors.size > 0 || this.#closed) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#cursors.size === 0) void this.#stop();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  /** @internal Entries after `after`, or `undefined` when the buffer no longer reaches back. */
  buffered(after: number): { entries: LiveEntry[]; upTo: number } | undefined {
    if (after < this.#floor) return undefined;
    const ring = this.#ring;
    // Binary search for the first entry past `after`.
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ring[mid]?.position ?? 0) <= after) lo = mid + 1;
      else hi = mid;
    }
    return { entries: ring.slice(lo), upTo: Math.max(after, this.#position) };
  }

  /**
   * @internal The store read of a cursor behind the buffer: the next account events after
   * `after`, rendered with the cursor's own folds when `visible` to it (owners are looked up
   * first, so a tenant catching up does not fold every other tenant's accounts).
   */
  async readBehind(
    after: number,
    folds: AccountFolds,
    visible: (ownerId: string) => boolean,
  ): Promise<{ entries: LiveEntry[]; upTo: number }> {
    const events = await this.#store.readAll({
      fromPosition: after + 1,
      maxCount: this.#catchUpBatch,
      filter: ACCOUNT_EVENTS,
    });
    if (events.length === 0) {
      // Nothing stored between `after` and the buffer: continue from the buffer's floor.
      return { entries: [], upTo: Math.max(after, this.#floor) };
    }
    const entries: LiveEntry[] = [];
    for (const e of events) {
      const owner = this.#owners.get(e.streamId);
      if (owner !== undefined && !visible(owner)) continue;
      const entry = await renderRecorded(folds, e);
      this.#rememberOwner(e.streamId, entry.ownerId);
      if (visible(entry.ownerId)) entries.push(entry);
    }
    return { entries, upTo: events.at(-1)?.position ?? after };
  }

  /** @internal Folds for a cursor that reads the store (its revisions trail the hub's). */
  cursorFolds(): AccountFolds {
    return new AccountFolds(this.#store, 200);
  }

  #rememberOwner(streamId: string, ownerId: string): void {
    if (ownerId === '' || this.#owners.has(streamId)) return;
    if (this.#owners.size >= 100_000) this.#owners.clear();
    this.#owners.set(streamId, ownerId);
  }

  /** @internal Resolves on the next change after `seen`, or when `signal` aborts. */
  changed(seen: number, signal: AbortSignal): Promise<void> {
    if (this.#version !== seen || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** @internal */
  get version(): number {
    return this.#version;
  }

  // ─── following $all ───────────────────────────────────────────────────────────────────────

  #notify(): void {
    this.#version += 1;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #ensureRunning(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#starting ??= (async () => {
      try {
        // A (re)start begins at the head: clients further back read the store.
        const head = await this.#store.headPosition();
        this.#ring = [];
        this.#floor = head;
        this.#position = head;
        const subscription = this.#store.subscribeToAll({
          fromPosition: head,
          filter: ACCOUNT_EVENTS,
        });
        const running = { subscription, done: Promise.resolve(), stopping: false };
        running.done = this.#follow(running);
        this.#running = running;
        this.#notify();
      } finally {
        this.#starting = undefined;
      }
    })();
    return this.#starting;
  }

  async #follow(running: { subscription: Subscription; stopping: boolean }): Promise<void> {
    let failuresAt = -1;
    let failures = 0;
    // Read through a function: `stopping` changes while this loop awaits.
    const stopped = (): boolean => running.stopping;
    while (!stopped()) {
      try {
        const batch = await running.subscription.nextBatch();
        if (stopped()) return;
        for (const recorded of batch) {
          if (recorded.position <= this.#position) continue;
          let entry: LiveEntry;
          try {
            entry = await renderRecorded(this.#folds, recorded);
          } catch (error) {
            failures = failuresAt === recorded.position ? failures + 1 : 1;
            failuresAt = recorded.position;
            if (failures < 3) throw error;
            // A poison event must not stop every client's stream: skip it, loudly.
            this.#logger?.error(
              { err: error, position: recorded.position, streamId: recorded.streamId },
              'live updates: skipped an event that cannot be rendered',
            );
            this.#position = recorded.position;
            continue;
          }
          // A stopped hub's last render must not land in the buffer of the one that follows.
          if (stopped()) return;
          this.#rememberOwner(recorded.streamId, entry.ownerId);
          this.#push(entry);
          this.#onFollowed?.((Date.now() - recorded.recordedAt.getTime()) / 1000);
        }
        if (batch.length > 0) this.#notify();
      } catch (error) {
        if (stopped()) return;
        this.#logger?.warn({ err: error }, 'live updates: store read failed; retrying');
        await running.subscription.close();
        await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
        if (stopped()) return;
        running.subscription = this.#store.subscribeToAll({
          fromPosition: this.#position,
          filter: ACCOUNT_EVENTS,
        });
      }
    }
  }

  #push(entry: LiveEntry): void {
    this.#ring.push(entry);
    this.#position = entry.position;
    const excess = this.#ring.length - this.#bufferSize;
    if (excess > 0) {
      this.#floor = this.#ring[excess - 1]?.position ?? this.#floor;
      this.#ring.splice(0, excess);
    }
  }

  async #stop(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    running.stopping = true;
    await running.subscription.close();
    await running.done;
    this.#notify();
  }
}

/**
 * One client's place in the live updates: what it has been sent up to, and what it may read.
 * `next()` answers the next entries it may see, waiting for them when there are none.
 */
export class LiveCursor {
  #after: number;
  readonly #abort = new AbortController();
  /** Catching up from the store folds its own states (older revisions than the hub's). */
  #folds: AccountFolds | undefined;

  constructor(
    private readonly hub: LiveUpdates,
    private readonly principal: Principal,
    after: number,
  ) {
    this.#after = after;
  }

  /** The position of the last event this cursor has passed. */
  get position(): number {
    return this.#after;
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * The next entries visible to the principal, oldest first; waits until there are some.
   * Answers `[]` once the cursor is closed.
   */
  async next(): Promise<LiveEntry[]> {
    const signal = this.#abort.signal;
    const visible = (ownerId: string): boolean => mayRead(this.principal, ownerId);
    // Read through a function: the signal aborts while this loop awaits.
    const aborted = (): boolean => signal.aborted;
    while (!aborted()) {
      const seen = this.hub.version;
      let page = this.hub.buffered(this.#after);
      if (page) {
        this.#folds = undefined;
      } else {
        this.#folds ??= this.hub.cursorFolds();
        page = await this.hub.readBehind(this.#after, this.#folds, visible);
        if (aborted()) break;
        this.#after = page.upTo;
        if (page.entries.length > 0) return page.entries;
        continue;
      }
      this.#after = page.upTo;
      const shown = page.entries.filter((e) => e.chunk !== '' && visible(e.ownerId));
      if (shown.length > 0) return shown;
      if (page.entries.length === 0) await this.hub.changed(seen, signal);
    }
    return [];
  }

  /** Stops the cursor: a pending `next()` answers `[]`. */
  close(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.hub.release(this);
  }
}
