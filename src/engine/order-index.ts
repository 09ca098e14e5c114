import {
  evolve,
  initialState,
  isMultiLegParent,
  isStopType,
  openOrders,
  type AccountEvent,
  type AccountState,
  type Order,
} from '../domain/account/index.ts';
import { orderById } from '../domain/account/order-lookup.ts';
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

/**
 * The live orders of one symbol. Limits and untriggered stops sit in lists sorted by price, so
 * a quote walks only the orders it reaches — from the end of a list whose orders act at or
 * above a threshold, from the start of one whose orders act at or below it — instead of every
 * order of the symbol. Market orders, triggered stops and trailing stops are tested one by one.
 */
interface SymbolBook {
  /** Every live order of the symbol by key (`never` orders included). */
  readonly entries: Map<string, IndexedOrder>;
  /** Ascending by price; a quote reaches those with price ≥ ask (minus EPSILON). */
  readonly buyLimit: IndexedOrder[];
  /** Ascending; reached at price ≤ bid. */
  readonly sellLimit: IndexedOrder[];
  /** Ascending; reached at price ≤ max(last, ask). */
  readonly buyStop: IndexedOrder[];
  /** Ascending; reached at price ≥ min(last, bid). */
  readonly sellStop: IndexedOrder[];
  /** `always` and trailing stops. */
  readonly others: IndexedOrder[];
}

type Lane = 'buyLimit' | 'sellLimit' | 'buyStop' | 'sellStop' | 'others' | undefined;

/** The list of a book an entry sits in (none for `never`, or a limit/stop without a price). */
function laneOf(entry: IndexedOrder): Lane {
  switch (entry.watch) {
    case 'never':
      return undefined;
    case 'always':
    case 'buy_trail':
    case 'sell_trail':
      return 'others';
    case 'buy_limit':
      return Number.isNaN(entry.price) ? undefined : 'buyLimit';
    case 'sell_limit':
      return Number.isNaN(entry.price) ? undefined : 'sellLimit';
    case 'buy_stop':
      return Number.isNaN(entry.price) ? undefined : 'buyStop';
    case 'sell_stop':
      return Number.isNaN(entry.price) ? undefined : 'sellStop';
  }
}

function addToLane(book: SymbolBook, entry: IndexedOrder): void {
  const lane = laneOf(entry);
  if (lane === undefined) return;
  const list = book[lane];
  if (lane === 'others') {
    list.push(entry);
    return;
  }
  // First index whose price is greater: equal prices keep their arrival order.
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid]?.price ?? 0) <= entry.price) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, entry);
}

function removeFromLane(book: SymbolBook, entry: IndexedOrder): void {
  const lane = laneOf(entry);
  if (lane === undefined) return;
  const list = book[lane];
  const at = list.indexOf(entry);
  if (at >= 0) list.splice(at, 1);
}

interface KnownAccount {
  state: AccountState;
  revision: number;
  /** Keys of this account's orders currently in `bySymbol`. */
  indexed: Map<string, string>;
}

function watchOf(order: Order): Watch {
  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') return 'never';
  // A multi-leg order is evaluated on every quote of its underlying (its legs' quotes move with it).
  if (isMultiLegParent(order)) return 'always';
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
  readonly #bySymbol = new Map<string, SymbolBook>();
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
    const book = this.#bySymbol.get(quote.symbol);
    if (book === undefined) return;
    const bid = Number(quote.bid);
    const ask = Number(quote.ask);
    const last = Number(quote.last);
    // Each sorted list is walked from the end the quote reaches while `mayAct` holds: it is
    // monotonic in the price along the list, so this finds exactly the entries a test of every
    // entry would. Collected first, so the caller may change the index while it iterates.
    const reached: IndexedOrder[] = [];
    const fromTop = (list: readonly IndexedOrder[]): void => {
      for (let i = list.length - 1; i >= 0; i--) {
        const entry = list[i];
        if (entry === undefined || !mayAct(entry, bid, ask, last)) break;
        reached.push(entry);
      }
    };
    const fromBottom = (list: readonly IndexedOrder[]): void => {
      for (const entry of list) {
        if (!mayAct(entry, bid, ask, last)) break;
        reached.push(entry);
      }
    };
    fromTop(book.buyLimit);
    fromBottom(book.sellLimit);
    fromBottom(book.buyStop);
    fromTop(book.sellStop);
    for (const entry of book.others) if (mayAct(entry, bid, ask, last)) reached.push(entry);
    for (const entry of reached) {
      const known = this.#accounts.get(entry.accountId);
      const order = known === undefined ? undefined : orderById(known.state, entry.orderId);
      if (known && order) yield { entry, order, state: known.state };
    }
  }

  /** Every indexed order (for session-boundary sweeps). */
  *all(): Generator<{ entry: IndexedOrder; order: Order; state: AccountState }> {
    for (const { entries } of [...this.#bySymbol.values()]) {
      for (const entry of [...entries.values()]) {
        const known = this.#accounts.get(entry.accountId);
        const order = known === undefined ? undefined : orderById(known.state, entry.orderId);
        if (known && order) yield { entry, order, state: known.state };
      }
    }
  }

  /** Every followed account with its state (for option expiry at the close). */
  *followed(): Generator<readonly [string, AccountState]> {
    for (const [id, known] of this.#accounts) yield [id, known.state];
  }

  /** Symbols with at least one indexed order. */
  symbols(): string[] {
    return [...this.#bySymbol.keys()];
  }

  /** Number of indexed (live) orders. */
  get size(): number {
    let n = 0;
    for (const book of this.#bySymbol.values()) n += book.entries.size;
    return n;
  }

  /** Accounts that hold open orders (held legs included) or options: what a restart must load. */
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
      let book = this.#bySymbol.get(order.symbol);
      if (book === undefined) {
        book = {
          entries: new Map(),
          buyLimit: [],
          sellLimit: [],
          buyStop: [],
          sellStop: [],
          others: [],
        };
        this.#bySymbol.set(order.symbol, book);
        this.onSymbolsChanged(order.symbol, true);
      }
      const existing = book.entries.get(key);
      if (existing) {
        // Only a change of watch or price moves the entry in its book.
        const moves =
          existing.watch !== watch ||
          (existing.price !== price && !(Number.isNaN(existing.price) && Number.isNaN(price)));
        if (moves) removeFromLane(book, existing);
        existing.watch = watch;
        existing.price = price;
        existing.mark = mark;
        if (moves) addToLane(book, existing);
      } else {
        const entry: IndexedOrder = { key, accountId, orderId: order.id, watch, price, mark };
        book.entries.set(key, entry);
        addToLane(book, entry);
        known.indexed.set(key, order.symbol);
      }
    }
    for (const [key, symbol] of known.indexed) {
      if (live.has(key)) continue;
      known.indexed.delete(key);
      const book = this.#bySymbol.get(symbol);
      if (book === undefined) continue;
      const entry = book.entries.get(key);
      if (entry) removeFromLane(book, entry);
      book.entries.delete(key);
      if (book.entries.size === 0) {
        this.#bySymbol.delete(symbol);
        this.onSymbolsChanged(symbol, false);
      }
    }
  }
}

/**
 * Whether a restart must load the account: it has open orders, or option positions the engine
 * will settle at their expiration.
 */
function hasOpenOrders(state: AccountState): boolean {
  return (
    openOrders(state).length > 0 ||
    Object.values(state.positions).some((p) => p.instrument.kind === 'option')
  );
}
