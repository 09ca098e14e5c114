import {
  evolve,
  initialState,
  isStopType,
  openOrders,
  type AccountEvent,
  type AccountState,
  type Order,
} from '../domain/account/index.ts';
import type { Quote } from '../domain/market.ts';

/**
 * How a quote can concern an order, decided in floats before the exact (decimal) evaluation.
 * Floats are fine here: they only choose which orders `evaluateOrder` looks at, and the test
 * is widened by EPSILON so a price exactly at the limit or stop is never skipped.
 */
type Watch =
  | 'always' // market orders, triggered stops: any quote may fill them
  | 'never' // opg / cls: only the auctions at the open and close concern them
  | 'buy_limit'
  | 'sell_limit'
  | 'buy_stop'
  | 'sell_stop'
  | 'buy_trail'
  | 'sell_trail';

const EPSILON = 1e-6;

/** One open order in the per-symbol index: plain data, updated in place. */
export interface IndexedOrder {
  /** `{accountId}/{orderId}`. */
  readonly key: string;
  readonly accountId: string;
  readonly orderId: string;
  watch: Watch;
  /** Limit or stop price. */
  price: number;
  /** Trailing stops: the water mark (NaN until the first quote sets it). */
  mark: number;
}

interface KnownAccount {
  state: AccountState;
  revision: number;
  /** Keys of this account's orders currently in `bySymbol`. */
  indexed: Map<string, string>;
}

function watchOf(order: Order): Watch {
  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') return 'never';
  const buy = order.side === 'buy';
  if (isStopType(order.type) && !order.triggered) {
    if (order.type === 'trailing_stop') return buy ? 'buy_trail' : 'sell_trail';
    return buy ? 'buy_stop' : 'sell_stop';
  }
  if (order.type === 'limit' || order.type === 'stop_limit')
    return buy ? 'buy_limit' : 'sell_limit';
  return 'always';
}

function priceOf(order: Order, watch: Watch): number {
  if (watch === 'buy_limit' || watch === 'sell_limit') return Number(order.limitPrice ?? NaN);
  return Number(order.stopPrice ?? NaN);
}

/** True when `quote` may make `evaluateOrder` act on the entry (never false when it would). */
export function mayAct(entry: IndexedOrder, bid: number, ask: number, last: number): boolean {
  const p = entry.price;
  switch (entry.watch) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'buy_limit':
      return ask <= p + EPSILON;
    case 'sell_limit':
      return bid >= p - EPSILON;
    case 'buy_stop':
      return Math.max(last, ask) >= p - EPSILON;
    case 'sell_stop':
      return Math.min(last, bid) <= p + EPSILON;
    case 'buy_trail':
      return (
        Number.isNaN(entry.mark) ||
        Number.isNaN(p) ||
        Math.max(last, ask) >= p - EPSILON ||
        Math.min(last, ask) < entry.mark + EPSILON
      );
    case 'sell_trail':
      return (
        Number.isNaN(entry.mark) ||
        Number.isNaN(p) ||
        Math.min(last, bid) <= p + EPSILON ||
        Math.max(last, bid) > entry.mark - EPSILON
      );
  }
}

/** Result of applying a recorded event to the index. */
export type ApplyOutcome = 'applied' | 'skipped' | 'unknown_account';

/**
 * The engine's view of open orders: each account it follows (state folded with the domain's
 * `evolve`, at a known stream revision) and, per symbol, the live orders a quote may act on.
 * Held legs and terminal orders are not indexed; they come back when an event changes them.
 */
export class OpenOrderIndex {
  readonly #accounts = new Map<string, KnownAccount>();
  readonly #bySymbol = new Map<string, Map<string, IndexedOrder>>();
  /** Accounts whose open-order membership may have changed since `takeChanges`. */
  readonly #dirty = new Set<string>();
  /** Called when a symbol gains its first or loses its last indexed order. */
  onSymbolsChanged: (symbol: string, watched: boolean) => void = () => undefined;

  /** The account's state and revision, if followed. */
  account(accountId: string): { state: AccountState; revision: number } | undefined {
    return this.#accounts.get(accountId);
  }

  /** Replaces what is known of an account when `revision` is newer than what the index holds. */
  setAccount(accountId: string, state: AccountState, revision: number): void {
    const known = this.#accounts.get(accountId);
    if (known && known.revision >= revision) return;
    if (known) {
      known.state = state;
      known.revision = revision;
      this.#reindex(accountId, known);
    } else {
      const fresh: KnownAccount = { state, revision, indexed: new Map() };
      this.#accounts.set(accountId, fresh);
      this.#reindex(accountId, fresh);
    }
  }

  /** Folds one event of `account-{accountId}` at `revision`. */
  apply(accountId: string, revision: number, event: AccountEvent): ApplyOutcome {
    const known = this.#accounts.get(accountId);
    if (known === undefined)
      return revision === 0 ? this.#first(accountId, event) : 'unknown_account';
    if (revision <= known.revision) return 'skipped';
    if (revision !== known.revision + 1) return 'unknown_account';
    known.state = evolve(known.state, event);
    known.revision = revision;
    this.#reindex(accountId, known);
    return 'applied';
  }

  #first(accountId: string, event: AccountEvent): ApplyOutcome {
    this.setAccount(accountId, evolve(initialState(), event), 0);
    return 'applied';
  }

  /** Orders of `symbol` the quote may act on, with their order and settings (exact evaluation next). */
  *candidates(quote: Quote): Generator<{ entry: IndexedOrder; order: Order; state: AccountState }> {
    const entries = this.#bySymbol.get(quote.symbol);
    if (entries === undefined) return;
    const bid = Number(quote.bid);
    const ask = Number(quote.ask);
    const last = Number(quote.last);
    for (const entry of entries.values()) {
      if (!mayAct(entry, bid, ask, last)) continue;
      const known = this.#accounts.get(entry.accountId);
      const order = known?.state.orders[entry.orderId];
      if (known && order) yield { entry, order, state: known.state };
    }
  }

  /** Every indexed order (for session-boundary sweeps). */
  *all(): Generator<{ entry: IndexedOrder; order: Order; state: AccountState }> {
    for (const entries of this.#bySymbol.values()) {
      for (const entry of entries.values()) {
        const known = this.#accounts.get(entry.accountId);
        const order = known?.state.orders[entry.orderId];
        if (known && order) yield { entry, order, state: known.state };
      }
    }
  }

  /** Symbols with at least one indexed order. */
  symbols(): string[] {
    return [...this.#bySymbol.keys()];
  }

  /** Number of indexed (live) orders. */
  get size(): number {
    let n = 0;
    for (const entries of this.#bySymbol.values()) n += entries.size;
    return n;
  }

  /** Accounts that hold open orders (held legs included): what a restart must load. */
  accountsWithOpenOrders(): Set<string> {
    const out = new Set<string>();
    for (const [id, known] of this.#accounts) if (hasOpenOrders(known.state)) out.add(id);
    return out;
  }

  /** Accounts that gained or lost open orders since the last call: `{ add, remove }`. */
  takeChanges(persisted: ReadonlySet<string>): { add: string[]; remove: string[] } {
    const add: string[] = [];
    const remove: string[] = [];
    for (const id of this.#dirty) {
      const known = this.#accounts.get(id);
      const open = known !== undefined && hasOpenOrders(known.state);
      if (open && !persisted.has(id)) add.push(id);
      if (!open && persisted.has(id)) remove.push(id);
    }
    this.#dirty.clear();
    return { add, remove };
  }

  /** Marks accounts for the next `takeChanges` again (after a failed save). */
  markDirty(accountIds: Iterable<string>): void {
    for (const id of accountIds) this.#dirty.add(id);
  }

  #reindex(accountId: string, known: KnownAccount): void {
    this.#dirty.add(accountId);
    const live = new Set<string>();
    for (const order of openOrders(known.state)) {
      if (order.status === 'held') continue;
      const key = `${accountId}/${order.id}`;
      live.add(key);
      const watch = watchOf(order);
      const price = priceOf(order, watch);
      const mark = order.hwm === null ? NaN : Number(order.hwm);
      let entries = this.#bySymbol.get(order.symbol);
      if (entries === undefined) {
        entries = new Map();
        this.#bySymbol.set(order.symbol, entries);
        this.onSymbolsChanged(order.symbol, true);
      }
      const existing = entries.get(key);
      if (existing) {
        existing.watch = watch;
        existing.price = price;
        existing.mark = mark;
      } else {
        entries.set(key, { key, accountId, orderId: order.id, watch, price, mark });
        known.indexed.set(key, order.symbol);
      }
    }
    for (const [key, symbol] of known.indexed) {
      if (live.has(key)) continue;
      known.indexed.delete(key);
      const entries = this.#bySymbol.get(symbol);
      entries?.delete(key);
      if (entries?.size === 0) {
        this.#bySymbol.delete(symbol);
        this.onSymbolsChanged(symbol, false);
      }
    }
  }
}

function hasOpenOrders(state: AccountState): boolean {
  return openOrders(state).length > 0;
}
