import {
  orderVersion,
  sameOrderVersion,
  StaleOrderVersion,
  type AccountService,
  type CallContext,
  type OrderVersion,
} from '../commands/accounts.ts';
import { marketContext, withLegQuotes } from '../commands/market-context.ts';
import { closingPrice, dueSettlements } from './option-expiry.ts';
import {
  evaluateOrder,
  isMultiLegParent,
  legsOf,
  type AccountEvent,
  type AccountState,
  type Order,
} from '../domain/account/index.ts';
import { isDomainError } from '../domain/errors.ts';
import type { AuctionPrint, MarketContext, Quote } from '../domain/market.ts';
import type { EventStore, RecordedEvent, Subscription } from '../eventstore/port.ts';
import type { Cancel } from '../market/port.ts';
import type { CorporateActionCalendar } from '../market/reference.ts';
import { CorporateActionsProcess } from './corporate-actions.ts';
import type { EngineStore, Lease } from './engine-store.ts';
import { NO_METRICS, type EngineMetrics, type EngineStatusSource } from './metrics.ts';
import { OpenOrderIndex } from './order-index.ts';
import { engineCausation, sendEngineCommand, type EngineAction } from './send.ts';
import { lastBoundaries, nextBoundary, type BoundaryKind } from './sessions.ts';

export type { EngineAction } from './send.ts';

/** What `onApplied` hears after each command the engine got appended. */
export interface AppliedCommand {
  readonly action: EngineAction;
  readonly accountId: string;
  readonly orderId: string;
  readonly position: number | undefined;
  /** `performance.now()` when the quote (or session boundary) that caused it arrived. */
  readonly receivedAt: number;
}

/** The part of a pino logger the engine uses. */
export interface EngineLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface EngineOptions {
  readonly service: AccountService;
  /** The event store the engine follows (`$all`, `account-` streams). */
  readonly events: EventStore;
  /** Lease, checkpoint and parked commands. */
  readonly state: EngineStore;
  /** Lease and checkpoint name (default `execution`). */
  readonly name?: string;
  readonly metrics?: EngineMetrics;
  readonly logger?: EngineLogger;
  /** Attempts per command before it is parked (default 5) and the first back-off (default 20 ms, doubling). */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number };
  /** How often a standby asks for the lease (real milliseconds, default 1000). */
  readonly leasePollMs?: number;
  readonly batchSize?: number;
  /**
   * Longest the checkpoint trails the events folded into the index (real milliseconds,
   * default 200): saves are coalesced rather than one transaction per subscription batch.
   */
  readonly checkpointIntervalMs?: number;
  readonly onApplied?: (applied: AppliedCommand) => void;
  /**
   * The corporate-action calendar: when given, the active engine also applies splits and
   * dividends to accounts on their dates (`corporate-actions.ts`), under the same lease.
   */
  readonly corporateActions?: CorporateActionCalendar;
}

export type EngineStatus = 'stopped' | 'standby' | 'active';

const SILENT: EngineLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const ENGINE: CallContext = { actor: 'engine', source: 'engine' };
const ACCOUNT_PREFIX = 'account-';

/**
 * The execution engine: a process manager (DESIGN.md section 1). It follows `account-` events
 * from a checkpointed `$all` subscription into an index of open orders by symbol, follows the
 * quotes of those symbols, and on each quote evaluates only that symbol's open orders
 * (`evaluateOrder`), sending fill, trigger, expire and water-mark commands through the
 * `AccountService` — it never appends events itself. Session boundaries (open, close with
 * early closes, end of post-market) are timers on the market clock. One engine is active per
 * name (the lease); others wait as standbys. See docs/engine.md.
 */
export class ExecutionEngine implements EngineStatusSource {
  readonly name: string;
  #status: EngineStatus = 'stopped';
  #lease: Lease | undefined;
  #index = new OpenOrderIndex();
  #persisted = new Set<string>();
  #processed = 0;
  #subscription: Subscription | undefined;
  #following: Promise<void> | undefined;
  readonly #quoteSubscriptions = new Map<string, Cancel>();
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Orders whose command was parked, with the version it was parked at: not retried until it changes. */
  readonly #parkedAt = new Map<string, OrderVersion>();
  #cancelBoundary: Cancel | undefined;
  #corporateActions: CorporateActionsProcess | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  /** The checkpoint save under way, so saves never overlap. */
  #saving: Promise<void> = Promise.resolve();
  #activated: { promise: Promise<void>; resolve: () => void };
  #generation = 0;
  readonly #metrics: EngineMetrics;
  readonly #logger: EngineLogger;
  readonly #attempts: number;
  readonly #baseDelayMs: number;

  constructor(private readonly options: EngineOptions) {
    this.name = options.name ?? 'execution';
    this.#metrics = options.metrics ?? NO_METRICS;
    this.#logger = options.logger ?? SILENT;
    this.#attempts = options.retry?.attempts ?? 5;
    this.#baseDelayMs = options.retry?.baseDelayMs ?? 20;
    this.#activated = deferred();
  }

  /** `active` while it holds the lease, `standby` while it waits for it. */
  get leadership(): EngineStatus {
    return this.#status;
  }

  /** Last `$all` position folded into the index. */
  get checkpoint(): number {
    return this.#processed;
  }

  /** Live orders in the index. */
  get openOrders(): number {
    return this.#index.size;
  }

  /** Starts as a standby and becomes active as soon as it holds the lease. */
  async start(): Promise<void> {
    if (this.#status !== 'stopped') return;
    this.#status = 'standby';
    await this.#tryLead();
  }

  /** Resolves when this engine holds the lease and has caught up. */
  whenActive(): Promise<void> {
    return this.#activated.promise;
  }

  /** Stops cleanly: in-flight commands finish, the checkpoint is saved, the lease released. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    const wasActive = this.#status === 'active';
    const corporate = this.#corporateActions;
    this.#halt();
    await this.#subscription?.close();
    await this.#following;
    await Promise.allSettled(this.#inFlight.values());
    await corporate?.stop();
    await this.#saving;
    if (wasActive) await this.#saveCheckpoint();
    await this.#lease?.release();
    this.#lease = undefined;
  }

  /**
   * Stops the way a crash does: no final checkpoint, commands in flight left to land or not,
   * the lease given up. Tests use it to prove a restart neither loses nor repeats a fill.
   */
  async abandon(): Promise<void> {
    if (this.#status === 'stopped') return;
    this.#halt();
    await this.#subscription?.close();
    await this.#lease?.release();
    this.#lease = undefined;
  }

  /**
   * Resolves once no command is in flight and every stored account event has been folded
   * into the index (tests and benchmarks wait on this instead of sleeping).
   */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.allSettled(this.#inFlight.values());
      const behind = await this.options.events.readAll({
        fromPosition: this.#processed + 1,
        maxCount: 1,
        filter: { streamPrefixes: [ACCOUNT_PREFIX] },
      });
      if (behind.length === 0 && this.#inFlight.size === 0) return;
      if (this.#status !== 'active') return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  async status(): Promise<{
    active: boolean;
    lagEvents: number;
    openOrders: number;
    inFlight: number;
  }> {
    const behind =
      this.#status === 'active'
        ? await this.options.events.readAll({
            fromPosition: this.#processed + 1,
            maxCount: 10_000,
            filter: { streamPrefixes: [ACCOUNT_PREFIX] },
          })
        : [];
    return {
      active: this.#status === 'active',
      lagEvents: behind.length,
      openOrders: this.#index.size,
      inFlight: this.#inFlight.size,
    };
  }

  /** Resolves when no corporate-action run is under way (tests wait on it). */
  async corporateActionsIdle(): Promise<void> {
    await this.#corporateActions?.idle();
  }

  /** Commands parked by this engine name, with their reasons. */
  parked(): ReturnType<EngineStore['parked']> {
    return this.options.state.parked(this.name);
  }

  // ─── leadership ───────────────────────────────────────────────────────────────────────────

  async #tryLead(): Promise<void> {
    if (this.#status !== 'standby') return;
    let lease: Lease | undefined;
    try {
      lease = await this.options.state.tryAcquire(this.name);
    } catch (error) {
      this.#logger.warn({ err: error, engine: this.name }, 'engine lease check failed');
    }
    if (this.leadership !== 'standby') {
      await lease?.release();
      return;
    }
    if (!lease) {
      this.#pollTimer = setTimeout(() => void this.#tryLead(), this.options.leasePollMs ?? 1000);
      this.#pollTimer.unref();
      return;
    }
    this.#lease = lease;
    const generation = ++this.#generation;
    void lease.lost.then(() => {
      if (this.#generation === generation && this.#status === 'active') {
        this.#logger.error({ engine: this.name }, 'engine lease lost; stopping');
        void this.abandon();
      }
    });
    try {
      await this.#activate();
    } catch (error) {
      this.#logger.error({ err: error, engine: this.name }, 'engine failed to start');
      await this.abandon();
      throw error;
    }
  }

  async #activate(): Promise<void> {
    const { service, state } = this.options;
    const checkpoint = await state.load(this.name);
    this.#index = new OpenOrderIndex();
    this.#index.onSymbolsChanged = (symbol, watched) => {
      this.#watch(symbol, watched);
    };
    this.#persisted = new Set(checkpoint.accounts);
    this.#processed = checkpoint.position;
    for (const accountId of checkpoint.accounts) {
      const { state: account, revision } = await service.load(accountId);
      this.#index.setAccount(accountId, account, revision);
    }
    this.#index.takeChanges(this.#persisted);
    // Catch up before acting, so the first evaluations see every order placed while down.
    for (;;) {
      const batch = await this.options.events.readAll({
        fromPosition: this.#processed + 1,
        maxCount: this.options.batchSize ?? 1000,
        filter: { streamPrefixes: [ACCOUNT_PREFIX] },
      });
      if (batch.length === 0) break;
      await this.#applyBatch(batch);
    }
    if (this.leadership !== 'standby') return;
    this.#status = 'active';
    this.#subscription = this.options.events.subscribeToAll({
      fromPosition: this.#processed,
      filter: { streamPrefixes: [ACCOUNT_PREFIX] },
      ...(this.options.batchSize === undefined ? {} : { batchSize: this.options.batchSize }),
    });
    this.#following = this.#follow(this.#subscription);
    for (const symbol of this.#index.symbols()) this.#watch(symbol, true);
    this.#scheduleBoundary();
    // Whatever expired or reached its auction while no engine ran.
    this.#sweep(undefined);
    if (this.options.corporateActions !== undefined) {
      this.#corporateActions = new CorporateActionsProcess({
        service,
        calendar: this.options.corporateActions,
        logger: this.#logger,
      });
      this.#corporateActions.start();
    }
    this.#logger.info(
      { engine: this.name, checkpoint: this.#processed, openOrders: this.#index.size },
      'execution engine active',
    );
    this.#activated.resolve();
  }

  #halt(): void {
    this.#status = 'stopped';
    this.#generation++;
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#checkpointTimer);
    this.#checkpointTimer = undefined;
    this.#cancelBoundary?.();
    this.#cancelBoundary = undefined;
    void this.#corporateActions?.stop();
    this.#corporateActions = undefined;
    for (const cancel of this.#quoteSubscriptions.values()) cancel();
    this.#quoteSubscriptions.clear();
    this.#activated = deferred();
  }

  // ─── following events ─────────────────────────────────────────────────────────────────────

  async #follow(subscription: Subscription): Promise<void> {
    for (;;) {
      let batch: RecordedEvent[];
      try {
        batch = await subscription.nextBatch();
      } catch (error) {
        if (this.#status !== 'active') return;
        this.#logger.error({ err: error, engine: this.name }, 'engine subscription failed');
        void this.abandon().then(() => this.start());
        return;
      }
      if (batch.length === 0 || this.#subscription !== subscription) return;
      try {
        await this.#applyBatch(batch);
      } catch (error) {
        this.#logger.error({ err: error, engine: this.name }, 'engine failed to apply events');
      }
    }
  }

  async #applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    for (const recorded of batch) {
      if (recorded.position <= this.#processed) continue;
      const accountId = recorded.streamId.slice(ACCOUNT_PREFIX.length);
      const event = { type: recorded.type, data: recorded.data } as AccountEvent;
      if (this.#index.apply(accountId, recorded.revision, event) === 'unknown_account') {
        const { state, revision } = await this.options.service.load(accountId);
        this.#index.setAccount(accountId, state, revision);
      }
      this.#processed = recorded.position;
    }
    this.#scheduleCheckpoint();
  }

  /**
   * Saves the checkpoint at most every `checkpointIntervalMs`. It is only a restart
   * optimisation (a restart re-folds whatever came after it), so under load one save covers
   * many subscription batches instead of costing a transaction each.
   */
  #scheduleCheckpoint(): void {
    if (this.#checkpointTimer !== undefined) return;
    const generation = this.#generation;
    this.#checkpointTimer = setTimeout(() => {
      this.#checkpointTimer = undefined;
      if (this.#generation !== generation) return;
      this.#saving = this.#saving.then(() => this.#saveCheckpoint());
    }, this.options.checkpointIntervalMs ?? 200);
    this.#checkpointTimer.unref();
  }

  async #saveCheckpoint(): Promise<void> {
    const changes = this.#index.takeChanges(this.#persisted);
    try {
      await this.options.state.save(this.name, this.#processed, changes);
      for (const id of changes.add) this.#persisted.add(id);
      for (const id of changes.remove) this.#persisted.delete(id);
    } catch (error) {
      this.#index.markDirty([...changes.add, ...changes.remove]);
      this.#logger.warn({ err: error, engine: this.name }, 'engine checkpoint not saved');
    }
  }

  // ─── quotes and session boundaries ────────────────────────────────────────────────────────

  #watch(symbol: string, watched: boolean): void {
    if (this.#status !== 'active') return;
    const existing = this.#quoteSubscriptions.get(symbol);
    if (watched && !existing) {
      const market = this.options.service.market;
      // Stocks are listed assets; options are quoted by the (options-aware) market.
      if (market.asset(symbol) === undefined && market.latestQuote(symbol) === undefined) return;
      this.#quoteSubscriptions.set(
        symbol,
        market.subscribeQuotes([symbol], (quote) => {
          this.#onQuote(quote);
        }),
      );
    } else if (!watched && existing) {
      existing();
      this.#quoteSubscriptions.delete(symbol);
    }
  }

  #onQuote(quote: Quote): void {
    if (this.#status !== 'active') return;
    const receivedAt = performance.now();
    let context: MarketContext | undefined;
    for (const { entry, order, state } of this.#index.candidates(quote)) {
      if (this.#inFlight.has(entry.key)) continue;
      context ??= { ...marketContext(this.options.service.market, quote.symbol), quote };
      const { evaluation, market } = this.#evaluate(order, state, context);
      if (evaluation.action === 'none') continue;
      this.#dispatch(entry.key, entry.accountId, order, evaluation.action, market, receivedAt);
    }
  }

  #scheduleBoundary(): void {
    const market = this.options.service.market;
    const next = nextBoundary(market.calendar, market.clock.now());
    this.#cancelBoundary = market.clock.schedule(next.at, () => {
      if (this.#status !== 'active') return;
      this.#sweep(next.kind);
      this.#scheduleBoundary();
    });
  }

  /**
   * Evaluates every open order at a session boundary (or at start-up), with the latest
   * boundaries as the session times and the auction print at the open and the close.
   */
  #sweep(kind: BoundaryKind | undefined): void {
    const market = this.options.service.market;
    const now = market.clock.now();
    const bounds = lastBoundaries(market.calendar, now);
    const receivedAt = performance.now();
    const contexts = new Map<string, MarketContext>();
    for (const { entry, order, state } of this.#index.all()) {
      if (this.#inFlight.has(entry.key)) continue;
      let context = contexts.get(order.symbol);
      if (context === undefined) {
        const base = marketContext(market, order.symbol);
        const auction: AuctionPrint | undefined =
          (kind === 'open' || kind === 'close') && base.quote
            ? { kind, price: base.quote.last, time: now.toISOString() }
            : undefined;
        context = { ...base, ...bounds, ...(auction ? { auction } : {}) };
        contexts.set(order.symbol, context);
      }
      const { evaluation, market: priced } = this.#evaluate(order, state, context);
      if (evaluation.action === 'none') continue;
      this.#dispatch(entry.key, entry.accountId, order, evaluation.action, priced, receivedAt);
    }
    if (kind === 'close' || kind === undefined) this.#settleExpiredOptions(now);
  }

  /**
   * Evaluates an order: a multi-leg order against its legs' latest quotes (added to the
   * context, which the command then carries), any other order against `context` itself.
   */
  #evaluate(
    order: Order,
    state: AccountState,
    context: MarketContext,
  ): { evaluation: ReturnType<typeof evaluateOrder>; market: MarketContext } {
    if (!isMultiLegParent(order)) {
      return { evaluation: evaluateOrder(order, state.settings, context), market: context };
    }
    const legs = legsOf(state, order);
    const market = withLegQuotes(
      this.options.service.market,
      context,
      legs.map((l) => l.symbol),
    );
    return { evaluation: evaluateOrder(order, state.settings, market, legs), market };
  }

  /**
   * Settles every option position whose expiration session has closed: exercised, assigned or
   * expired at the underlying's closing price of that day. Idempotent: a settled position is
   * gone, so a repeat is refused by the decider and dropped. Not parked: the next close or
   * start-up sweep tries again.
   */
  #settleExpiredOptions(now: Date): void {
    const market = this.options.service.market;
    for (const due of dueSettlements(this.#index.followed(), market.calendar, now)) {
      const key = `${due.accountId}/settle/${due.symbol}`;
      if (this.#inFlight.has(key)) continue;
      const generation = this.#generation;
      const run = async (): Promise<void> => {
        const price = await closingPrice(market, due.contract.underlying, due.session);
        if (price === undefined) {
          this.#logger.warn(
            { engine: this.name, accountId: due.accountId, symbol: due.symbol },
            'no closing price to settle an expired option',
          );
          return;
        }
        for (let attempt = 1; ; attempt++) {
          try {
            const result = await this.options.service.settleExpiredOption(
              due.accountId,
              {
                symbol: due.symbol,
                underlyingPrice: price,
                sessionDate: due.session.date,
                sessionClose: due.session.close.toISOString(),
              },
              { ...ENGINE, causationId: `expiry:${due.contract.expiration}` },
            );
            this.#metrics.commands.inc({ action: 'settle' });
            this.#index.setAccount(due.accountId, result.state, result.revision);
            return;
          } catch (error) {
            if (isDomainError(error)) {
              this.#metrics.dropped.inc({ action: 'settle' });
              return;
            }
            if (this.#generation !== generation || attempt >= this.#attempts) throw error;
            this.#metrics.retries.inc();
            await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** (attempt - 1)));
          }
        }
      };
      const running = run()
        .catch((error: unknown) => {
          this.#logger.error(
            { err: error, engine: this.name, accountId: due.accountId, symbol: due.symbol },
            'option settlement failed',
          );
        })
        .finally(() => {
          if (this.#inFlight.get(key) === running) this.#inFlight.delete(key);
        });
      this.#inFlight.set(key, running);
    }
  }

  // ─── commands ─────────────────────────────────────────────────────────────────────────────

  #dispatch(
    key: string,
    accountId: string,
    order: Order,
    action: EngineAction,
    market: MarketContext,
    receivedAt: number,
  ): void {
    const expected = orderVersion(order);
    const parkedAt = this.#parkedAt.get(key);
    if (parkedAt !== undefined) {
      if (sameOrderVersion(parkedAt, expected)) return;
      this.#parkedAt.delete(key);
    }
    const generation = this.#generation;
    const run = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          // The index follows the account event by event: hand its state to the command
          // handler, so the command does not read the stream first (a cold cache after a
          // start or a hand-over would otherwise cost a read per account).
          const known = this.#index.account(accountId);
          if (known) this.options.service.prime(accountId, known.state, known.revision);
          const result = await sendEngineCommand(
            this.options.service,
            action,
            accountId,
            order.id,
            market,
            { ...ENGINE, causationId: engineCausation(market) },
            expected,
          );
          this.#metrics.commands.inc({ action });
          this.#index.setAccount(accountId, result.state, result.revision);
          this.options.onApplied?.({
            action,
            accountId,
            orderId: order.id,
            position: result.position,
            receivedAt,
          });
          return;
        } catch (error) {
          if (isDomainError(error) || error instanceof StaleOrderVersion) {
            // The order moved on since it was evaluated: nothing to do.
            this.#metrics.dropped.inc({ action });
            return;
          }
          // A crashed or stopped engine leaves the work to whoever leads next.
          if (this.#generation !== generation) return;
          if (attempt >= this.#attempts) {
            await this.#park(key, accountId, order, action, error, attempt, expected, market);
            return;
          }
          this.#metrics.retries.inc();
          await new Promise((r) => setTimeout(r, this.#baseDelayMs * 2 ** (attempt - 1)));
        }
      }
    };
    const running = run()
      .catch((error: unknown) => {
        this.#logger.error({ err: error, engine: this.name, accountId }, 'engine command failed');
      })
      .finally(() => {
        if (this.#inFlight.get(key) === running) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, running);
  }

  async #park(
    key: string,
    accountId: string,
    order: Order,
    action: EngineAction,
    error: unknown,
    attempts: number,
    expected: OrderVersion,
    market: MarketContext,
  ): Promise<void> {
    this.#parkedAt.set(key, expected);
    this.#metrics.parked.inc();
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#logger.error(
      { engine: this.name, accountId, orderId: order.id, action, reason },
      'engine command parked',
    );
    await this.options.state.park({
      engine: this.name,
      accountId,
      orderId: order.id,
      action,
      reason,
      attempts,
      at: this.options.service.now(),
      expected,
      market,
    });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
