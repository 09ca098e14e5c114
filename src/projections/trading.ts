/**
 * The trading read models, fed from `account-*` streams: `accounts`, `orders`, `positions`,
 * `fills` and `portfolio_history` (the balance history). Each is its own projection with its
 * own checkpoint, so each can be rebuilt alone (`paper-trading projections rebuild orders`).
 * Every figure comes from the domain's `evolve` (see `foldAccountBatch`), so a read model
 * shows exactly what the write side decided with. Nothing here reads a clock or the market:
 * rows depend on the events alone, so a rebuild from 0 writes exactly the incremental rows.
 * Valuation at market prices happens at query time (`trading-queries.ts`).
 */
import type { ColumnType, Insertable, Transaction } from 'kysely';
import {
  avgEntryPrice,
  buyingPower,
  grossExposure,
  isOpen,
  openOrders,
  reservedBuyingPower,
  type AccountSettings,
  type AccountState,
  type Order,
  type OrderRejected,
  type OrderStatus,
} from '../domain/account/index.ts';
import { allOrders, orderById } from '../domain/account/order-lookup.ts';
import type { FillExplanation } from '../domain/account/index.ts';
import { Dec } from '../domain/decimal.ts';
import { equity, type Instrument } from '../domain/instrument.ts';
import type { AuctionPrint, Quote } from '../domain/market.ts';
import { dec, fmt } from '../domain/money.ts';
import {
  projectionFolds,
  SharedAccountFold,
  type AccountFoldTables,
  type AccountStep,
  type FoldSource,
} from './account-fold.ts';
import type { SnapshotVersions } from './account-snapshots.ts';
import type { Projection } from './runner.ts';

/** What the trading projections may be given. */
export interface TradingProjectionOptions {
  /**
   * Account snapshot versions (`account-snapshots.ts`): the projections whose tables a
   * snapshot reads raise the version of every account they change, before they commit.
   */
  readonly versions?: SnapshotVersions;
  /**
   * The event store: with it the projections share one account fold (`SharedAccountFold`),
   * replaying an account from its stream when no fold fits. Without it each keeps its own.
   */
  readonly source?: FoldSource;
  /** The shared fold itself (made from `source` by `tradingProjections`). */
  readonly shared?: SharedAccountFold;
}

/** `options` with the shared fold: the one given, else one made from `source` (if any). */
export function withSharedFold(options: TradingProjectionOptions): TradingProjectionOptions {
  if (options.shared !== undefined || options.source === undefined) return options;
  return { ...options, shared: new SharedAccountFold(options.source) };
}

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null, string | null>;
/** `numeric`: node-postgres reads it as a string; we write canonical decimal strings. */
type Numeric = ColumnType<string, string, string>;
type NullableNumeric = ColumnType<string | null, string | null, string | null>;
/** `bigint` positions: read as strings, written as numbers. */
type BigInt = ColumnType<string, number | string, number | string>;

/** One holding in a balance-history row. */
export interface Holding {
  readonly symbol: string;
  readonly instrument: Instrument;
  /** Signed quantity. */
  readonly qty: string;
  /** Signed cost basis (qty × avg entry × multiplier). */
  readonly costBasis: string;
}

// Type aliases: kysely's table maps need an implicit index signature.
export type TradingTables = AccountFoldTables & {
  accounts: {
    account_id: string;
    owner_id: string;
    name: string;
    status: string;
    account_type: string;
    settings: Json<AccountSettings>;
    cash: Numeric;
    /** `buyingPower(state)` of the domain: positions at cost, reservations deducted. */
    buying_power: Numeric;
    /** Buying power held back by open orders. */
    reserved: Numeric;
    /** Σ signed cost basis of positions. */
    position_basis: Numeric;
    /** Σ |cost basis| of positions. */
    gross_exposure: Numeric;
    realized_pl: Numeric;
    fees_paid: Numeric;
    total_deposits: Numeric;
    total_withdrawals: Numeric;
    open_orders: number;
    position_count: number;
    created_at: Timestamp;
    updated_at: Timestamp;
    opened_position: BigInt;
    last_position: BigInt;
  };
  orders: {
    order_id: string;
    account_id: string;
    owner_id: string;
    client_order_id: string;
    symbol: string;
    asset_class: string;
    side: string;
    type: string;
    time_in_force: string;
    order_class: string;
    status: string;
    is_open: boolean;
    qty: Numeric;
    filled_qty: Numeric;
    filled_avg_price: NullableNumeric;
    parent_id: string | null;
    leg_role: string | null;
    replaces: string | null;
    replaced_by: string | null;
    reject_reason: string | null;
    reject_message: string | null;
    /** The domain `Order` exactly as the account state holds it. */
    data: Json<Order>;
    created_at: Timestamp;
    updated_at: Timestamp;
    failed_at: NullableTimestamp;
    placed_position: BigInt;
    last_position: BigInt;
  };
  positions: {
    account_id: string;
    symbol: string;
    owner_id: string;
    instrument: Json<Instrument>;
    asset_class: string;
    qty: Numeric;
    cost_basis: Numeric;
    avg_entry_price: Numeric;
    realized_pl: Numeric;
    updated_at: Timestamp;
    last_position: BigInt;
  };
  fills: {
    position: BigInt;
    fill_id: string;
    account_id: string;
    owner_id: string;
    order_id: string;
    symbol: string;
    side: string;
    qty: Numeric;
    price: Numeric;
    multiplier: number;
    gross_amount: Numeric;
    commission: Numeric;
    sec_fee: Numeric;
    taf: Numeric;
    cash_delta: Numeric;
    realized_pl: Numeric;
    order_status: string;
    cumulative_qty: Numeric;
    leaves_qty: Numeric;
    avg_fill_price: Numeric;
    position_qty: Numeric;
    position_cost_basis: Numeric;
    quote: NullableJson<Quote>;
    auction: NullableJson<AuctionPrint>;
    model: Json<FillExplanation>;
    at: Timestamp;
  };
  /** The balance history: cash and holdings right after every cash- or position-moving event. */
  account_balances: {
    account_id: string;
    position: BigInt;
    owner_id: string;
    at: Timestamp;
    event_type: string;
    cash: Numeric;
    total_deposits: Numeric;
    total_withdrawals: Numeric;
    holdings: Json<Holding[]>;
  };
};

type Db = Transaction<TradingTables>;

const ACCOUNT_STREAMS = { streamPrefixes: ['account-'] } as const;

/** Decimal places of a reported average fill price (as the domain reports it on fills). */
const AVG_PRICE_DECIMALS = 9;

function assetClassOf(instrument: Instrument): 'us_equity' | 'us_option' {
  return instrument.kind === 'option' ? 'us_option' : 'us_equity';
}

function sumBasis(state: AccountState): Dec {
  return Object.values(state.positions).reduce((s, p) => s.plus(dec(p.costBasis)), new Dec(0));
}

// ─── accounts ───────────────────────────────────────────────────────────────────────────────

/** `accounts`: one row per account with its cash, buying power and ledger totals. */
export function accountsProjection<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB> {
  const name = 'accounts';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: ACCOUNT_STREAMS,
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      const latest = new Map<string, AccountStep>();
      await f.fold(db, events, range, (step) => {
        latest.set(step.accountId, step);
      });
      const rows = [...latest.values()].map((step) => accountRow(step));
      await options.versions?.changed(latest.keys(), range.through);
      for (let i = 0; i < rows.length; i += 200) {
        await db
          .insertInto('accounts')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) =>
            oc.column('account_id').doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              status: eb.ref('excluded.status'),
              account_type: eb.ref('excluded.account_type'),
              settings: eb.ref('excluded.settings'),
              cash: eb.ref('excluded.cash'),
              buying_power: eb.ref('excluded.buying_power'),
              reserved: eb.ref('excluded.reserved'),
              position_basis: eb.ref('excluded.position_basis'),
              gross_exposure: eb.ref('excluded.gross_exposure'),
              realized_pl: eb.ref('excluded.realized_pl'),
              fees_paid: eb.ref('excluded.fees_paid'),
              total_deposits: eb.ref('excluded.total_deposits'),
              total_withdrawals: eb.ref('excluded.total_withdrawals'),
              open_orders: eb.ref('excluded.open_orders'),
              position_count: eb.ref('excluded.position_count'),
              updated_at: eb.ref('excluded.updated_at'),
              last_position: eb.ref('excluded.last_position'),
            })),
          )
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('accounts').execute();
      await f.reset(db);
      await options.versions?.changedAll();
    },
  };
}

function accountRow(step: AccountStep): Insertable<TradingTables['accounts']> {
  const s = step.after;
  const openedAt = s.openedAt ?? step.recorded.recordedAt.toISOString();
  return {
    account_id: step.accountId,
    owner_id: step.ownerId,
    name: s.name,
    status: 'active',
    account_type: s.settings.accountType,
    settings: JSON.stringify(s.settings),
    cash: s.cash,
    buying_power: fmt(buyingPower(s)),
    reserved: fmt(reservedBuyingPower(s)),
    position_basis: fmt(sumBasis(s)),
    gross_exposure: fmt(grossExposure(s)),
    realized_pl: s.realizedPnl,
    fees_paid: s.feesPaid,
    total_deposits: s.totalDeposits,
    total_withdrawals: s.totalWithdrawals,
    open_orders: openOrders(s).length,
    position_count: Object.keys(s.positions).length,
    created_at: openedAt,
    updated_at: s.updatedAt ?? openedAt,
    opened_position: step.openedPosition,
    last_position: step.recorded.position,
  };
}

// ─── orders ─────────────────────────────────────────────────────────────────────────────────

type OrderRow = Insertable<TradingTables['orders']>;

/**
 * `orders`: every order with its current status, fills summary, links (parent/legs,
 * replaces/replaced by) and, for rejected orders, the reason. An order is written from the
 * folded state after each event that touches it, so its `data` is the domain `Order` itself.
 */
export function ordersProjection<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB> {
  const name = 'orders';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: ACCOUNT_STREAMS,
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      const pending = new Map<string, OrderRow>();
      await f.fold(db, events, range, async (step) => {
        const { event, before, after, recorded } = step;
        const touch = (id: string): void => {
          const order = orderById(after, id);
          if (order === undefined) return;
          const placed = pending.get(id)?.placed_position ?? recorded.position;
          pending.set(id, orderRow(step, order, placed, null));
        };
        switch (event.type) {
          case 'OrderPlaced':
            touch(event.data.order.id);
            return;
          case 'OrderRejected':
            pending.set(
              event.data.orderId,
              orderRow(step, rejectedOrder(event.data, before), recorded.position, event.data),
            );
            return;
          case 'OrderTriggered':
          case 'OrderActivated':
          case 'OrderWaterMarkUpdated':
          case 'OrderCanceled':
          case 'OrderExpired':
            if (after !== before) touch(event.data.orderId);
            return;
          case 'OrderFilled': {
            if (after === before) return;
            touch(event.data.orderId);
            // A multi-leg order's legs fill it: its row follows them.
            const parentId = orderById(after, event.data.orderId)?.parentId;
            if (
              parentId !== null &&
              parentId !== undefined &&
              orderById(after, parentId)?.orderClass === 'mleg'
            ) {
              touch(parentId);
            }
            return;
          }
          case 'OrderReplaced': {
            if (after === before) return;
            const { orderId: oldId, newOrder } = event.data;
            touch(oldId);
            touch(newOrder.id);
            for (const o of allOrders(after)) {
              if (o.parentId === newOrder.id || o.legIds.includes(newOrder.id)) touch(o.id);
            }
            await relinkStoredOrders(db, step, oldId, newOrder.id);
            return;
          }
          case 'StockSplitApplied':
            for (const o of event.data.orders) touch(o.orderId);
            return;
          case 'AccountReset':
            for (const [id, row] of pending)
              if (row.account_id === step.accountId) pending.delete(id);
            await db.deleteFrom('orders').where('account_id', '=', step.accountId).execute();
            return;
          default:
            return;
        }
      });
      const rows = [...pending.values()];
      for (let i = 0; i < rows.length; i += 200) {
        await db
          .insertInto('orders')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) =>
            oc.column('order_id').doUpdateSet((eb) => ({
              client_order_id: eb.ref('excluded.client_order_id'),
              status: eb.ref('excluded.status'),
              is_open: eb.ref('excluded.is_open'),
              qty: eb.ref('excluded.qty'),
              filled_qty: eb.ref('excluded.filled_qty'),
              filled_avg_price: eb.ref('excluded.filled_avg_price'),
              parent_id: eb.ref('excluded.parent_id'),
              leg_role: eb.ref('excluded.leg_role'),
              replaces: eb.ref('excluded.replaces'),
              replaced_by: eb.ref('excluded.replaced_by'),
              data: eb.ref('excluded.data'),
              updated_at: eb.ref('excluded.updated_at'),
              last_position: eb.ref('excluded.last_position'),
            })),
          )
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('orders').execute();
      await f.reset(db);
    },
  };
}

/** Average fill price as the domain reports it (9 decimal places), null before any fill. */
export function averageFillPrice(order: Order): string | null {
  const qty = dec(order.filledQty);
  if (qty.isZero()) return null;
  return fmt(dec(order.filledNotional).dividedBy(qty).toDecimalPlaces(AVG_PRICE_DECIMALS));
}

function orderRow(
  step: AccountStep,
  order: Order,
  placedPosition: number | string,
  rejection: OrderRejected['data'] | null,
): OrderRow {
  return {
    order_id: order.id,
    account_id: step.accountId,
    owner_id: step.ownerId,
    client_order_id: order.clientOrderId,
    symbol: order.symbol,
    asset_class: assetClassOf(order.instrument),
    side: order.side,
    type: order.type,
    time_in_force: order.timeInForce,
    order_class: order.orderClass,
    status: order.status,
    is_open: isOpen(order),
    qty: order.qty,
    filled_qty: order.filledQty,
    filled_avg_price: averageFillPrice(order),
    parent_id: order.parentId,
    leg_role: order.legRole,
    replaces: order.replaces,
    replaced_by: order.replacedBy,
    reject_reason: rejection?.reason ?? null,
    reject_message: rejection?.message ?? null,
    data: JSON.stringify(order),
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    failed_at: rejection?.at ?? null,
    placed_position: placedPosition,
    last_position: step.recorded.position,
  };
}

/**
 * A rejected order as an `Order`: from the request, or for a refused replacement (whose
 * request the event does not carry) from the order it would have replaced.
 */
function rejectedOrder(d: OrderRejected['data'], before: AccountState): Order {
  const base = d.replaces === null ? undefined : orderById(before, d.replaces);
  const req = d.request;
  const status: OrderStatus = 'rejected';
  const pick = <T>(fromRequest: T | undefined, fromBase: T | undefined, fallback: T): T =>
    req !== null ? (fromRequest ?? fallback) : (fromBase ?? fallback);
  return {
    id: d.orderId,
    clientOrderId: d.clientOrderId,
    instrument: req?.instrument ?? base?.instrument ?? equity(d.symbol),
    symbol: d.symbol,
    side: req?.side ?? base?.side ?? 'buy',
    type: req?.type ?? base?.type ?? 'market',
    timeInForce: req?.timeInForce ?? base?.timeInForce ?? 'day',
    orderClass: pick(req?.orderClass, base?.orderClass, 'simple'),
    qty: req?.qty ?? (base === undefined ? '0' : fmt(dec(base.qty).minus(dec(base.filledQty)))),
    filledQty: '0',
    filledNotional: '0',
    limitPrice: pick(req?.limitPrice, base?.limitPrice ?? undefined, null),
    stopPrice: pick(req?.stopPrice, base?.stopPrice ?? undefined, null),
    trailPrice: pick(req?.trailPrice, base?.trailPrice ?? undefined, null),
    trailPercent: pick(req?.trailPercent, base?.trailPercent ?? undefined, null),
    hwm: null,
    triggered: false,
    extendedHours: pick(req?.extendedHours, base?.extendedHours, false),
    status,
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

/**
 * `evolve` re-links the order tree on a replace: children follow the new order, the parent
 * lists it among its legs. Orders that were terminal before this batch are no longer in the
 * folded state, so their stored rows get the same change here.
 */
async function relinkStoredOrders(
  db: Db,
  step: AccountStep,
  oldId: string,
  newId: string,
): Promise<void> {
  const parentId = orderById(step.before, oldId)?.parentId ?? null;
  let query = db
    .selectFrom('orders')
    .select(['order_id', 'data'])
    .where('account_id', '=', step.accountId);
  query =
    parentId === null
      ? query.where('parent_id', '=', oldId)
      : query.where((eb) => eb.or([eb('parent_id', '=', oldId), eb('order_id', '=', parentId)]));
  for (const row of await query.execute()) {
    if (orderById(step.after, row.order_id) !== undefined) continue;
    const o = row.data;
    const relinked: Order = {
      ...o,
      parentId: o.parentId === oldId ? newId : o.parentId,
      legIds: o.legIds.map((id) => (id === oldId ? newId : id)),
    };
    await db
      .updateTable('orders')
      .set({
        parent_id: relinked.parentId,
        data: JSON.stringify(relinked),
        last_position: step.recorded.position,
      })
      .where('order_id', '=', row.order_id)
      .execute();
  }
}

// ─── positions ──────────────────────────────────────────────────────────────────────────────

/** `positions`: open positions at average cost; a position's row is deleted when it is flat. */
export function positionsProjection<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB> {
  const name = 'positions';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: ACCOUNT_STREAMS,
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      const pending = new Map<string, { step: AccountStep; symbol: string }>();
      const changed = new Set<string>();
      await f.fold(db, events, range, async (step) => {
        const { event, before, after } = step;
        if (
          (event.type === 'OrderFilled' || event.type === 'StockSplitApplied') &&
          after !== before
        ) {
          changed.add(step.accountId);
          pending.set(`${step.accountId}\u0000${event.data.symbol}`, {
            step,
            symbol: event.data.symbol,
          });
        } else if (
          (event.type === 'OptionExercised' ||
            event.type === 'OptionAssigned' ||
            event.type === 'OptionExpired') &&
          after !== before
        ) {
          // The option position closes; shares arrive or leave.
          const symbols = [
            event.data.symbol,
            ...(event.data.shares ? [event.data.shares.symbol] : []),
          ];
          for (const symbol of symbols)
            pending.set(`${step.accountId}\u0000${symbol}`, { step, symbol });
        } else if (event.type === 'AccountReset') {
          changed.add(step.accountId);
          for (const [key, p] of pending) {
            if (p.step.accountId === step.accountId) pending.delete(key);
          }
          await db.deleteFrom('positions').where('account_id', '=', step.accountId).execute();
        }
      });
      await options.versions?.changed(changed, range.through);
      const flat: { accountId: string; symbol: string }[] = [];
      const rows: Insertable<TradingTables['positions']>[] = [];
      for (const { step, symbol } of pending.values()) {
        const p = step.after.positions[symbol];
        if (p === undefined) {
          flat.push({ accountId: step.accountId, symbol });
          continue;
        }
        rows.push({
          account_id: step.accountId,
          symbol,
          owner_id: step.ownerId,
          instrument: JSON.stringify(p.instrument),
          asset_class: assetClassOf(p.instrument),
          qty: p.qty,
          cost_basis: p.costBasis,
          avg_entry_price: avgEntryPrice(p) ?? '0',
          realized_pl: p.realizedPnl,
          updated_at: step.after.updatedAt ?? step.recorded.recordedAt.toISOString(),
          last_position: step.recorded.position,
        });
      }
      for (let i = 0; i < flat.length; i += 200) {
        const chunk = flat.slice(i, i + 200);
        await db
          .deleteFrom('positions')
          .where((eb) =>
            eb.or(
              chunk.map((f) =>
                eb.and([eb('account_id', '=', f.accountId), eb('symbol', '=', f.symbol)]),
              ),
            ),
          )
          .execute();
      }
      for (let i = 0; i < rows.length; i += 200) {
        await db
          .insertInto('positions')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) =>
            oc.columns(['account_id', 'symbol']).doUpdateSet((eb) => ({
              instrument: eb.ref('excluded.instrument'),
              asset_class: eb.ref('excluded.asset_class'),
              qty: eb.ref('excluded.qty'),
              cost_basis: eb.ref('excluded.cost_basis'),
              avg_entry_price: eb.ref('excluded.avg_entry_price'),
              realized_pl: eb.ref('excluded.realized_pl'),
              updated_at: eb.ref('excluded.updated_at'),
              last_position: eb.ref('excluded.last_position'),
            })),
          )
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('positions').execute();
      await f.reset(db);
      await options.versions?.changedAll();
    },
  };
}

// ─── fills ──────────────────────────────────────────────────────────────────────────────────

/** `fills`: every execution with the quote that priced it and the fill model that applied. */
export function fillsProjection<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB> {
  const name = 'fills';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: ACCOUNT_STREAMS,
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      let rows: Insertable<TradingTables['fills']>[] = [];
      await f.fold(db, events, range, async (step) => {
        const { event, before, after, recorded } = step;
        if (event.type === 'AccountReset') {
          rows = rows.filter((r) => r.account_id !== step.accountId);
          await db.deleteFrom('fills').where('account_id', '=', step.accountId).execute();
          return;
        }
        if (event.type !== 'OrderFilled' || after === before) return;
        const d = event.data;
        rows.push({
          position: recorded.position,
          fill_id: d.fillId,
          account_id: step.accountId,
          owner_id: step.ownerId,
          order_id: d.orderId,
          symbol: d.symbol,
          side: d.side,
          qty: d.qty,
          price: d.price,
          multiplier: d.multiplier,
          gross_amount: d.grossAmount,
          commission: d.commission,
          sec_fee: d.secFee,
          taf: d.taf,
          cash_delta: d.cashDelta,
          realized_pl: d.realizedPnl,
          order_status: d.orderStatus,
          cumulative_qty: d.cumulativeQty,
          leaves_qty: d.leavesQty,
          avg_fill_price: d.avgFillPrice,
          position_qty: d.position.qty,
          position_cost_basis: d.position.costBasis,
          quote: d.quote === null ? null : JSON.stringify(d.quote),
          auction: d.auction === null ? null : JSON.stringify(d.auction),
          model: JSON.stringify(d.model),
          at: d.at,
        });
      });
      for (let i = 0; i < rows.length; i += 200) {
        await db
          .insertInto('fills')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.column('position').doNothing())
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('fills').execute();
      await f.reset(db);
    },
  };
}

// ─── balance history ────────────────────────────────────────────────────────────────────────

const BALANCE_EVENTS = new Set([
  'AccountOpened',
  'CashDeposited',
  'CashWithdrawn',
  'OrderFilled',
  'AccountReset',
  'StockSplitApplied',
  'DividendPaid',
  'OptionExercised',
  'OptionAssigned',
  'OptionExpired',
]);

/** The holdings of a state, by symbol. */
export function holdingsOf(state: AccountState): Holding[] {
  return Object.values(state.positions)
    .map((p) => ({
      symbol: p.symbol,
      instrument: p.instrument,
      qty: p.qty,
      costBasis: p.costBasis,
    }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/**
 * `portfolio_history` (table `account_balances`): after every event that moved cash or a
 * position, the cash and every holding. Equity at any instant is then cash + Σ qty × price.
 */
export function portfolioHistoryProjection<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB> {
  const name = 'portfolio_history';
  const f = projectionFolds(name, options.shared);
  return {
    name,
    filter: ACCOUNT_STREAMS,
    pass: (range) => {
      f.pass(range);
    },
    async apply(trx, events, range) {
      const db = trx as unknown as Db;
      const rows: Insertable<TradingTables['account_balances']>[] = [];
      await f.fold(db, events, range, (step) => {
        const { event, before, after, recorded } = step;
        if (!BALANCE_EVENTS.has(event.type) || after === before) return;
        rows.push({
          account_id: step.accountId,
          position: recorded.position,
          owner_id: step.ownerId,
          at: after.updatedAt ?? recorded.recordedAt.toISOString(),
          event_type: event.type,
          cash: after.cash,
          total_deposits: after.totalDeposits,
          total_withdrawals: after.totalWithdrawals,
          holdings: JSON.stringify(holdingsOf(after)),
        });
      });
      await options.versions?.changed(
        rows.map((r) => r.account_id),
        range.through,
      );
      for (let i = 0; i < rows.length; i += 200) {
        await db
          .insertInto('account_balances')
          .values(rows.slice(i, i + 200))
          .onConflict((oc) => oc.columns(['account_id', 'position']).doNothing())
          .execute();
      }
    },
    async reset(trx) {
      const db = trx as unknown as Db;
      await db.deleteFrom('account_balances').execute();
      await f.reset(db);
      await options.versions?.changedAll();
    },
  };
}

/** Every trading projection, in the order they are started. */
export function tradingProjections<DB extends TradingTables>(
  options: TradingProjectionOptions = {},
): Projection<DB>[] {
  const all = withSharedFold(options);
  return [
    accountsProjection<DB>(all),
    ordersProjection<DB>(all),
    positionsProjection<DB>(all),
    fillsProjection<DB>(all),
    portfolioHistoryProjection<DB>(all),
  ];
}
