/**
 * The backtest replay loop. It walks the merged timeline of the series; at each bar it lets
 * the open orders of that symbol meet the bar's path quotes (bar-path.ts) exactly as the
 * execution engine lets them meet live quotes — `evaluateOrder` decides what to do, and the
 * matching command (`FillOrder`, `TriggerOrder`, `ExpireOrder`, `UpdateWaterMark`) goes
 * through the account decider, which re-validates it — then sweeps session boundaries for
 * time in force, feeds the indicators and calls the strategy at the bar's end. Orders the
 * strategy places are `PlaceOrder` commands through the same decider.
 *
 * Hot-loop rules (ADR 0009): bars are columns of floats; a symbol without open orders costs
 * no quote and no decision; an order a bar's range cannot reach (a float pre-test widened by
 * the spread and a tick) costs no decimal evaluation; events are kept in a journal and reach
 * the memory store in batches.
 */
import {
  createIndicator,
  parseIndicatorSpec,
  type IndicatorValue,
  type OhlcvBar,
  type StreamingIndicator,
} from '../analysis/indicators.ts';
import { engineFillId } from '../commands/accounts.ts';
import {
  evaluateOrder,
  type AccountCommand,
  type AccountEvent,
  type Order,
  type OrderRequest,
  type SettingsPatch,
} from '../domain/account/index.ts';
import { DomainError } from '../domain/errors.ts';
import { add } from '../domain/money.ts';
import { equity as equityInstrument } from '../domain/instrument.ts';
import type { Asset, MarketContext } from '../domain/market.ts';
import { formatUnits, toTickUnits, unitsToNumber } from '../market/ticks.ts';
import { newYorkOffsetMinutes } from '../market/time-zone.ts';
import type { BarSeries, Timeframe } from '../history/bars.ts';
import {
  contextAt,
  dailySession,
  MinuteSessions,
  pathTimes,
  QuoteMaker,
  UNLIMITED_SIZE,
  type BarSession,
} from '../market/replay/bar-path.ts';
import { BacktestLedger } from './ledger.ts';
import type {
  BarField,
  BarView,
  FillView,
  IndicatorHandle,
  OpenOrderView,
  OrderOutcome,
  Params,
  Strategy,
  StrategyContext,
  StrategyOrder,
} from './strategy.ts';
import { TradeTracker, type Trade } from './trades.ts';

/** How a run trades. */
export interface EngineConfig {
  readonly id: string;
  readonly timeframe: Timeframe;
  readonly initialCash: string;
  /** Account settings (fill model: commission, slippage; fractional trading). */
  readonly settings: SettingsPatch;
  /** `open`: orders placed on a bar fill at the next bar's open; `close`: market orders fill at this bar's close. */
  readonly fillAt: 'open' | 'close';
  readonly spreadBps: number;
  /** Bars starting before this instant only warm up history and indicators. */
  readonly tradeFrom: number;
  readonly params: Params;
}

/** One fill, for reports. */
export interface FillRecord {
  readonly time: number;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly qty: string;
  readonly price: string;
  readonly fees: string;
  readonly cashDelta: string;
}

/** What a finished run produced. */
export interface EngineOutput {
  /** Decision instants of the trading steps (bar ends, epoch ms). */
  readonly times: Float64Array;
  /** New York day number (days since 1970-01-01) of each trading step. */
  readonly days: Int32Array;
  readonly equity: Float64Array;
  /** Gross position value / equity at each trading step. */
  readonly exposure: Float64Array;
  readonly fills: readonly FillRecord[];
  readonly trades: readonly Trade[];
  readonly orders: {
    readonly placed: number;
    readonly filled: number;
    readonly rejected: number;
    readonly canceled: number;
    readonly expired: number;
    readonly rejections: Readonly<Record<string, number>>;
  };
  /** Σ |fill notional|. */
  readonly tradedNotional: number;
  readonly finalCash: string;
  readonly positions: readonly {
    readonly symbol: string;
    readonly qty: string;
    readonly costBasis: string;
  }[];
  readonly barsProcessed: number;
  readonly decisions: number;
  readonly ledger: BacktestLedger;
}

interface SymbolState {
  readonly name: string;
  readonly series: BarSeries;
  readonly asset: Asset;
  /** Index of the latest bar seen (−1 before the first). */
  latest: number;
  /** Next bar to consume. */
  cursor: number;
  qty: number;
  readonly indicators: Map<string, MutableHandle>;
  /** The same handles, in creation order, for the per-bar update. */
  readonly handles: MutableHandle[];
  /** True at the current step when the symbol has a bar. */
  present: boolean;
}

interface MutableHandle extends IndicatorHandle {
  value: IndicatorValue | null;
  readonly indicator: StreamingIndicator;
}

/** The merged timeline of several series (sorted, unique bar starts). */
function mergeTimes(series: readonly BarSeries[]): Float64Array {
  if (series.length === 1 && series[0] !== undefined) return series[0].time;
  const all = new Set<number>();
  for (const s of series) for (const t of s.time) all.add(t);
  return Float64Array.from(all).sort();
}

const PATH = 4;

const ascending = (a: number, b: number): number => a - b;
const descending = (a: number, b: number): number => b - a;

/** The replay of one strategy over one set of series. */
export class BacktestEngine implements StrategyContext {
  readonly symbols: readonly string[];
  readonly params: Params;
  readonly #config: EngineConfig;
  readonly #strategy: Strategy;
  readonly #syms: SymbolState[];
  readonly #bySymbol = new Map<string, SymbolState>();
  readonly #times: Float64Array;
  readonly #ledger: BacktestLedger;
  readonly #quotes: QuoteMaker;
  readonly #minuteSessions = new MinuteSessions();
  readonly #trades = new TradeTracker();
  readonly #fills: FillRecord[] = [];
  readonly #pathT = new Float64Array(PATH);
  readonly #pathP = new Float64Array(PATH);
  readonly #crossed: number[] = [];
  readonly #bar: { open: number; high: number; low: number; close: number; volume: number } = {
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
  };
  #equity: Float64Array;
  #exposure: Float64Array;
  #eqTimes: Float64Array;
  #days: Int32Array;
  #day = 0;
  #recorded = 0;
  #step = -1;
  #now = 0;
  #session: BarSession | null = null;
  readonly #daySession = { open: 0, close: 0, postClose: 0 };
  #closeQuoteTime = 0;
  #orderSeq = 0;
  #tradedNotional = 0;
  #started = false;
  #placed = 0;
  #filledOrders = 0;
  #rejected = 0;
  #canceled = 0;
  #expired = 0;
  readonly #rejections: Record<string, number> = {};
  readonly #buffer: number;
  readonly #perShare: number;
  readonly #perOrder: number;
  #pendingFills: FillView[] = [];

  constructor(input: {
    readonly series: readonly BarSeries[];
    readonly strategy: Strategy;
    readonly config: EngineConfig;
  }) {
    this.#config = input.config;
    this.#strategy = input.strategy;
    this.params = input.config.params;
    this.#syms = input.series.map((series) => ({
      name: series.symbol,
      series,
      asset: assetFor(series.symbol, series.simulated),
      latest: -1,
      cursor: 0,
      qty: 0,
      indicators: new Map(),
      handles: [],
      present: false,
    }));
    for (const s of this.#syms) this.#bySymbol.set(s.name, s);
    this.symbols = this.#syms.map((s) => s.name);
    this.#times = mergeTimes(input.series);
    const first = this.#times[0] ?? input.config.tradeFrom;
    this.#ledger = new BacktestLedger(input.config.id, {
      initialCash: input.config.initialCash,
      settings: input.config.settings,
      at: new Date(Math.min(first, input.config.tradeFrom)).toISOString(),
    });
    this.#quotes = new QuoteMaker(input.config.spreadBps);
    const trading = this.#times.length - lowerBoundOf(this.#times, input.config.tradeFrom);
    this.#equity = new Float64Array(trading);
    this.#exposure = new Float64Array(trading);
    this.#eqTimes = new Float64Array(trading);
    this.#days = new Int32Array(trading);
    const settings = this.#ledger.state.settings;
    this.#buffer = Number(settings.marketOrderBuffer);
    const c = settings.fillModel.commission;
    this.#perShare = c.kind === 'per_share' ? Number(c.perShare) : 0;
    this.#perOrder =
      c.kind === 'per_order'
        ? Number(c.amount)
        : c.kind === 'per_share'
          ? Number(c.minimum ?? 0)
          : 0;
  }

  /** Timeline steps in all. */
  get totalSteps(): number {
    return this.#times.length;
  }

  /** Steps done. */
  get doneSteps(): number {
    return this.#step + 1;
  }

  /**
   * Runs up to `maxSteps` more steps; true when the timeline is done. Synchronous: the caller
   * yields between calls (progress, cancellation).
   */
  run(maxSteps: number): boolean {
    const times = this.#times;
    const tradeFrom = this.#config.tradeFrom;
    const end = Math.min(times.length, this.#step + 1 + maxSteps);
    for (let k = this.#step + 1; k < end; k++) {
      this.#step = k;
      const t = times[k] ?? 0;
      const trading = t >= tradeFrom;
      if (trading && !this.#started) {
        this.#started = true;
        this.#strategy.onStart?.(this);
      }
      this.#stepAt(t, trading);
    }
    return this.#step + 1 >= times.length;
  }

  /** Ends the run (calls `onEnd`) and answers what it produced. */
  finish(): EngineOutput {
    if (this.#started) this.#strategy.onEnd?.(this);
    const state = this.#ledger.state;
    const n = this.#recorded;
    return {
      times: this.#eqTimes.subarray(0, n),
      days: this.#days.subarray(0, n),
      equity: this.#equity.subarray(0, n),
      exposure: this.#exposure.subarray(0, n),
      fills: this.#fills,
      trades: this.#trades.finish((symbol) => this.close(symbol), this.#now, this.#step),
      orders: {
        placed: this.#placed,
        filled: this.#filledOrders,
        rejected: this.#rejected,
        canceled: this.#canceled,
        expired: this.#expired,
        rejections: { ...this.#rejections },
      },
      tradedNotional: this.#tradedNotional,
      finalCash: state.cash,
      positions: Object.values(state.positions)
        .map((p) => ({ symbol: p.symbol, qty: p.qty, costBasis: p.costBasis }))
        .sort((a, b) => a.symbol.localeCompare(b.symbol)),
      barsProcessed: this.#syms.reduce((sum, s) => sum + s.cursor, 0),
      decisions: this.#ledger.decisions,
      ledger: this.#ledger,
    };
  }

  // ─── the step ────────────────────────────────────────────────────────────────────────────

  #stepAt(t: number, trading: boolean): void {
    const daily = this.#config.timeframe === '1Day';
    const session = daily ? dailySession(t, this.#daySession) : this.#minuteSessions.at(t);
    this.#day = daily
      ? Math.floor(t / 86_400_000)
      : Math.floor((t + newYorkOffsetMinutes(t) * 60_000) / 86_400_000);
    this.#session = session;
    const barEnd = pathTimes(this.#config.timeframe, t, session, this.#pathT);
    this.#closeQuoteTime = this.#pathT[3] ?? barEnd;
    let hasOrders = this.#hasOpenOrders();
    for (const s of this.#syms) {
      const i = s.cursor;
      if (s.series.time[i] !== t) {
        s.present = false;
        continue;
      }
      s.present = true;
      s.cursor = i + 1;
      s.latest = i;
      if (hasOrders && trading) {
        this.#meetPath(s, i, session, t);
        hasOrders = this.#hasOpenOrders();
      }
      const handles = s.handles;
      if (handles.length > 0) {
        const bar = this.#barAt(s.series, i);
        for (let k = 0; k < handles.length; k++) {
          const h = handles[k];
          if (h !== undefined) h.value = h.indicator.update(bar);
        }
      }
    }
    this.#now = barEnd;
    if (!trading) return;
    if (hasOrders && session !== null && barEnd >= session.close) this.#sweep(session, barEnd);
    this.#strategy.onBar(this);
    this.#record(barEnd);
  }

  #hasOpenOrders(): boolean {
    return this.#ledger.openOrderCount > 0;
  }

  /**
   * The bar's path against the symbol's open orders: its four prices, and between two of them
   * every limit or stop level the move crosses (a continuous path passes through it, so an
   * order meets its own price there rather than the far extreme). A gap meets the open.
   */
  #meetPath(s: SymbolState, i: number, session: BarSession | null, t: number): void {
    const series = s.series;
    const open = series.open[i] ?? 0;
    const high = series.high[i] ?? 0;
    const low = series.low[i] ?? 0;
    const close = series.close[i] ?? 0;
    if (!this.#anyMayAct(s.name, low, high)) return;
    const p = this.#pathP;
    p[0] = open;
    if (close >= open) {
      p[1] = low;
      p[2] = high;
    } else {
      p[1] = high;
      p[2] = low;
    }
    p[3] = close;
    const volume = series.volume[i] ?? 0;
    const size = volume >= 1 ? Math.floor(volume) : UNLIMITED_SIZE;
    const opening = session !== null && (this.#config.timeframe === '1Day' || t === session.open);
    const levels = this.#levels(s.name);
    const at0 = this.#pathT[0] ?? t;
    const auction =
      opening && this.#hasTif(s.name, 'opg') ? this.#quotes.auction('open', open, at0) : undefined;
    this.#meetQuote(s, open, size, at0, session, auction);
    for (let k = 1; k < PATH; k++) {
      if (!this.#anyMayAct(s.name, low, high)) return;
      const from = p[k - 1] ?? open;
      const to = p[k] ?? close;
      const t0 = this.#pathT[k - 1] ?? t;
      const t1 = this.#pathT[k] ?? t;
      if (levels.length > 0 && from !== to) {
        const up = to > from;
        const crossed = this.#crossed;
        crossed.length = 0;
        for (const l of levels) if (up ? l > from && l < to : l < from && l > to) crossed.push(l);
        if (crossed.length > 1) crossed.sort(up ? ascending : descending);
        for (const level of crossed) {
          const at = Math.round(t0 + ((t1 - t0) * (level - from)) / (to - from));
          this.#meetQuote(s, level, size, at, session, undefined);
        }
      }
      this.#meetQuote(s, to, size, t1, session, undefined);
    }
  }

  /** Limit and stop levels of the symbol's working orders (trailing stops move: not listed). */
  #levels(symbol: string): number[] {
    const out: number[] = [];
    const orders = this.#ledger.state.orders;
    for (const id in orders) {
      const o = orders[id];
      if (o === undefined || o.symbol !== symbol || o.status === 'held') continue;
      if (o.limitPrice !== null) out.push(Number(o.limitPrice));
      if (o.stopPrice !== null && o.type !== 'trailing_stop' && !o.triggered)
        out.push(Number(o.stopPrice));
    }
    return out;
  }

  #meetQuote(
    s: SymbolState,
    price: number,
    size: number,
    at: number,
    session: BarSession | null,
    auction: ReturnType<QuoteMaker['auction']> | undefined,
  ): void {
    const quote = this.#quotes.quote(s.name, price, size, at);
    this.#evaluateSymbol(s.name, contextAt(at, session, { quote, asset: s.asset, auction }));
  }

  /** The float pre-test: can any open order of the symbol act inside [low, high]? */
  #anyMayAct(symbol: string, low: number, high: number): boolean {
    const orders = this.#ledger.state.orders;
    for (const id in orders) {
      const o = orders[id];
      if (o === undefined || o.symbol !== symbol || o.status === 'held') continue;
      if (mayAct(o, low, high, this.#config.spreadBps)) return true;
    }
    return false;
  }

  #hasTif(symbol: string, tif: Order['timeInForce']): boolean {
    const orders = this.#ledger.state.orders;
    for (const id in orders) {
      const o = orders[id];
      if (o !== undefined && o.symbol === symbol && o.timeInForce === tif) return true;
    }
    return false;
  }

  /** Evaluates every open order of `symbol` once against `market` and sends what is due. */
  #evaluateSymbol(symbol: string, market: MarketContext): void {
    const ids: string[] = [];
    const orders = this.#ledger.state.orders;
    for (const id in orders) if (orders[id]?.symbol === symbol) ids.push(id);
    for (const id of ids) {
      const order = this.#ledger.state.orders[id];
      if (order === undefined) continue;
      this.#act(order, market);
    }
  }

  /** What the execution engine does with one evaluation, through the decider. */
  #act(order: Order, market: MarketContext): void {
    const evaluation = evaluateOrder(order, this.#ledger.state.settings, market);
    let command: AccountCommand;
    switch (evaluation.action) {
      case 'none':
        return;
      case 'fill':
        command = {
          type: 'FillOrder',
          data: { orderId: order.id, fillId: engineFillId(order), market },
        };
        break;
      case 'trigger':
        command = {
          type: 'TriggerOrder',
          data: { orderId: order.id, fillId: engineFillId(order), market },
        };
        break;
      case 'expire':
        command = { type: 'ExpireOrder', data: { orderId: order.id, market } };
        break;
      case 'update_water_mark':
        command = { type: 'UpdateWaterMark', data: { orderId: order.id, market } };
        break;
    }
    this.#send(command, market.now);
  }

  /** Time-in-force at a session boundary: day orders expire, `cls` orders meet the closing auction. */
  #sweep(session: BarSession, barEnd: number): void {
    const orders = Object.values(this.#ledger.state.orders).filter(
      (o) => o.timeInForce === 'day' || o.timeInForce === 'opg' || o.timeInForce === 'cls',
    );
    for (const o of orders) {
      const current = this.#ledger.state.orders[o.id];
      if (current === undefined) continue;
      const s = this.#bySymbol.get(current.symbol);
      const closing =
        s !== undefined &&
        s.present &&
        current.timeInForce === 'cls' &&
        (this.#config.timeframe === '1Day' || barEnd === session.close);
      const auction =
        closing && s.latest >= 0
          ? this.#quotes.auction('close', s.series.close[s.latest] ?? 0, session.close)
          : undefined;
      this.#act(current, contextAt(barEnd, session, { asset: s?.asset, auction }));
    }
  }

  /** Sends a command to the decider and books what it produced. Stale commands are dropped. */
  #send(command: AccountCommand, simTime: string): readonly AccountEvent[] {
    let events: readonly AccountEvent[];
    try {
      events = this.#ledger.decide(command, simTime);
    } catch (error) {
      if (error instanceof DomainError) return [];
      throw error;
    }
    this.#book(events);
    return events;
  }

  #book(events: readonly AccountEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'OrderFilled': {
          const d = event.data;
          const s = this.#bySymbol.get(d.symbol);
          const qty = Number(d.qty);
          const price = Number(d.price);
          const fees = Number(d.commission) + Number(d.secFee) + Number(d.taf);
          const time = Date.parse(d.at);
          if (s !== undefined) s.qty = Number(d.position.qty);
          this.#tradedNotional += Math.abs(Number(d.grossAmount));
          if (d.orderStatus === 'filled') this.#filledOrders += 1;
          this.#fills.push({
            time,
            orderId: d.orderId,
            symbol: d.symbol,
            side: d.side,
            qty: d.qty,
            price: d.price,
            fees: add(d.commission, d.secFee, d.taf),
            cashDelta: d.cashDelta,
          });
          this.#trades.fill(
            d.symbol,
            d.side === 'buy' ? qty : -qty,
            price,
            fees,
            Number(d.realizedPnl),
            time,
            this.#step,
          );
          this.#pendingFills.push({
            orderId: d.orderId,
            symbol: d.symbol,
            side: d.side,
            qty,
            price,
            fees,
            time,
          });
          break;
        }
        case 'OrderRejected':
          this.#rejected += 1;
          this.#rejections[event.data.reason] = (this.#rejections[event.data.reason] ?? 0) + 1;
          break;
        case 'OrderCanceled':
          this.#canceled += 1;
          break;
        case 'OrderExpired':
          this.#expired += 1;
          break;
        case 'OrderPlaced':
          if (event.data.order.parentId === null) this.#placed += 1;
          break;
        default:
          break;
      }
    }
    if (this.#pendingFills.length > 0 && this.#strategy.onFill !== undefined) {
      const fills = this.#pendingFills;
      this.#pendingFills = [];
      for (const fill of fills) this.#strategy.onFill(this, fill);
    } else if (this.#pendingFills.length > 0) {
      this.#pendingFills.length = 0;
    }
  }

  #record(barEnd: number): void {
    let gross = 0;
    let value = this.#ledger.cash;
    for (const s of this.#syms) {
      if (s.qty === 0 || s.latest < 0) continue;
      const v = s.qty * (s.series.close[s.latest] ?? 0);
      value += v;
      gross += Math.abs(v);
    }
    const n = this.#recorded;
    if (n >= this.#equity.length) return;
    this.#eqTimes[n] = barEnd;
    this.#days[n] = this.#day;
    this.#equity[n] = value;
    this.#exposure[n] = value > 0 ? gross / value : 0;
    this.#recorded = n + 1;
  }

  #barAt(series: BarSeries, i: number): OhlcvBar {
    const b = this.#bar;
    b.open = series.open[i] ?? 0;
    b.high = series.high[i] ?? 0;
    b.low = series.low[i] ?? 0;
    b.close = series.close[i] ?? 0;
    b.volume = series.volume[i] ?? 0;
    return b;
  }

  // ─── StrategyContext ─────────────────────────────────────────────────────────────────────

  get time(): number {
    return this.#now;
  }

  get step(): number {
    return this.#step;
  }

  #sym(symbol: string): SymbolState {
    const s = this.#bySymbol.get(symbol);
    if (s === undefined)
      throw new RangeError(
        `${symbol} is not one of this backtest's symbols (${this.symbols.join(', ')})`,
      );
    return s;
  }

  has(symbol: string): boolean {
    return this.#sym(symbol).present;
  }

  bar(symbol: string): BarView | undefined {
    const s = this.#sym(symbol);
    const i = s.latest;
    if (i < 0) return undefined;
    const x = s.series;
    return {
      time: x.time[i] ?? 0,
      open: x.open[i] ?? 0,
      high: x.high[i] ?? 0,
      low: x.low[i] ?? 0,
      close: x.close[i] ?? 0,
      volume: x.volume[i] ?? 0,
    };
  }

  close(symbol: string): number {
    const s = this.#sym(symbol);
    return s.latest < 0 ? Number.NaN : (s.series.close[s.latest] ?? Number.NaN);
  }

  history(symbol: string, field: BarField, length: number): Float64Array {
    const s = this.#sym(symbol);
    const end = s.latest + 1;
    return s.series[field].subarray(Math.max(0, end - Math.max(0, Math.floor(length))), end);
  }

  barsSeen(symbol: string): number {
    return this.#sym(symbol).latest + 1;
  }

  useIndicator(symbol: string, spec: string): IndicatorHandle {
    const s = this.#sym(symbol);
    const existing = s.indicators.get(spec);
    if (existing !== undefined) return existing;
    const indicator = createIndicator(parseIndicatorSpec(spec));
    const handle: MutableHandle = { value: null, indicator };
    // Catch up on the bars already seen, so a late request gets the same values as an early one.
    for (let i = 0; i <= s.latest; i++) handle.value = indicator.update(this.#barAt(s.series, i));
    s.indicators.set(spec, handle);
    s.handles.push(handle);
    return handle;
  }

  indicator(symbol: string, spec: string): IndicatorValue | null {
    return this.useIndicator(symbol, spec).value;
  }

  position(symbol: string): number {
    return this.#sym(symbol).qty;
  }

  get cash(): number {
    return this.#ledger.cash;
  }

  get equity(): number {
    let value = this.#ledger.cash;
    for (const s of this.#syms)
      if (s.qty !== 0 && s.latest >= 0) value += s.qty * (s.series.close[s.latest] ?? 0);
    return value;
  }

  get buyingPower(): number {
    return this.#ledger.buyingPower();
  }

  openOrders(symbol?: string): readonly OpenOrderView[] {
    // Strategies ask every bar ("no order pending?"): no walk of the state when it is empty.
    const out: OpenOrderView[] = [];
    if (this.#ledger.openOrderCount === 0) return out;
    const orders = this.#ledger.state.orders;
    for (const id in orders) {
      const o = orders[id];
      if (o === undefined || (symbol !== undefined && o.symbol !== symbol)) continue;
      out.push({
        id: o.id,
        symbol: o.symbol,
        side: o.side,
        type: o.type,
        qty: Number(o.qty),
        filledQty: Number(o.filledQty),
        status: o.status,
      });
    }
    return out;
  }

  order(order: StrategyOrder): OrderOutcome {
    const s = this.#sym(order.symbol);
    const orderId = `o${++this.#orderSeq}`;
    const qty = formatQty(order.qty, this.#config.settings.fractionalTrading === true);
    if (qty === undefined) return { orderId, status: 'rejected', reason: 'invalid_quantity' };
    if (s.latest < 0) return { orderId, status: 'rejected', reason: 'no_quote' };
    const type =
      order.type ??
      (order.limitPrice !== undefined
        ? 'limit'
        : order.stopPrice !== undefined
          ? 'stop'
          : 'market');
    const bracket = order.takeProfit !== undefined || order.stopLoss !== undefined;
    const request: OrderRequest = {
      instrument: equityInstrument(s.name),
      side: order.side,
      type,
      timeInForce: order.timeInForce ?? (type === 'market' ? 'day' : 'gtc'),
      qty,
      ...(order.limitPrice === undefined ? {} : { limitPrice: tick(order.limitPrice) }),
      ...(order.stopPrice === undefined ? {} : { stopPrice: tick(order.stopPrice) }),
      ...(order.trailPercent === undefined ? {} : { trailPercent: String(order.trailPercent) }),
      ...(order.trailPrice === undefined ? {} : { trailPrice: tick(order.trailPrice) }),
      ...(bracket
        ? {
            orderClass:
              order.takeProfit !== undefined && order.stopLoss !== undefined ? 'bracket' : 'oto',
            ...(order.takeProfit === undefined
              ? {}
              : { takeProfit: { limitPrice: tick(order.takeProfit) } }),
            ...(order.stopLoss === undefined
              ? {}
              : { stopLoss: { stopPrice: tick(order.stopLoss) } }),
          }
        : {}),
    };
    const atClose = this.#config.fillAt === 'close';
    const now = atClose ? this.#closeQuoteTime : this.#now;
    const close = s.series.close[s.latest] ?? 0;
    const volume = s.series.volume[s.latest] ?? 0;
    const quote = this.#quotes.quote(
      s.name,
      close,
      volume >= 1 ? Math.floor(volume) : UNLIMITED_SIZE,
      Math.min(now, this.#closeQuoteTime),
    );
    const market = contextAt(now, this.#session, { quote, asset: s.asset });
    const legs =
      request.orderClass === 'bracket'
        ? [`${orderId}.tp`, `${orderId}.sl`]
        : request.orderClass === 'oto'
          ? [`${orderId}.leg`]
          : [];
    const events = this.#send(
      {
        type: 'PlaceOrder',
        data: {
          orderId,
          ...(legs.length > 0 ? { legOrderIds: legs } : {}),
          ...(atClose || request.timeInForce === 'ioc' || request.timeInForce === 'fok'
            ? { fillId: `${orderId}.f0` }
            : {}),
          request,
          market,
        },
      },
      market.now,
    );
    const first = events[0];
    if (first === undefined) return { orderId, status: 'rejected', reason: 'invalid_command' };
    if (first.type === 'OrderRejected')
      return { orderId, status: 'rejected', reason: first.data.reason };
    const filled = events.some((e) => e.type === 'OrderFilled' && e.data.orderId === orderId);
    return { orderId, status: filled ? 'filled' : 'placed' };
  }

  buy(
    symbol: string,
    qty: number,
    options: Omit<StrategyOrder, 'symbol' | 'side' | 'qty'> = {},
  ): OrderOutcome {
    return this.order({ ...options, symbol, side: 'buy', qty });
  }

  sell(
    symbol: string,
    qty: number,
    options: Omit<StrategyOrder, 'symbol' | 'side' | 'qty'> = {},
  ): OrderOutcome {
    return this.order({ ...options, symbol, side: 'sell', qty });
  }

  targetPercent(symbol: string, fraction: number): OrderOutcome | undefined {
    const s = this.#sym(symbol);
    const price = this.close(symbol);
    if (!(price > 0)) return undefined;
    const fractional = this.#config.settings.fractionalTrading === true;
    const target = (fraction * this.equity) / price;
    const delta = target - s.qty;
    if (delta < 0) {
      const qty = roundQty(Math.min(-delta, Math.max(0, s.qty)), fractional);
      return qty > 0 ? this.sell(symbol, qty) : undefined;
    }
    // Strategies ask for their target every bar, also when no share is affordable.
    const ask = unitsToNumber(toTickUnits(price * (1 + this.#config.spreadBps / 20_000), 'ceil'));
    const perShare = ask * (1 + this.#buffer) + this.#perShare;
    const affordable = (this.buyingPower - this.#perOrder) / perShare;
    const qty = roundQty(Math.min(delta, affordable) * (1 - 1e-9), fractional);
    return qty > 0 ? this.buy(symbol, qty) : undefined;
  }

  cancel(orderId: string): boolean {
    const events = this.#send(
      { type: 'CancelOrder', data: { orderId, at: new Date(this.#now).toISOString() } },
      new Date(this.#now).toISOString(),
    );
    return events.length > 0;
  }

  cancelAll(symbol?: string): number {
    let n = 0;
    for (const o of Object.values(this.#ledger.state.orders)) {
      if ((symbol === undefined || o.symbol === symbol) && o.parentId === null && this.cancel(o.id))
        n += 1;
    }
    return n;
  }
}

/**
 * Can an order act anywhere in [low, high]? Widened by the half spread and a tick so it can
 * only let through too much, never too little; `evaluateOrder` then decides exactly.
 */
export function mayAct(o: Order, low: number, high: number, spreadBps: number): boolean {
  const slack = spreadBps / 20_000 + 1e-6;
  const lo = low * (1 - slack) - 0.01;
  const hi = high * (1 + slack) + 0.01;
  const live =
    o.type === 'market' || o.triggered || o.timeInForce === 'opg' || o.timeInForce === 'cls';
  if (o.type === 'trailing_stop' || live) return true;
  if (o.type === 'limit') {
    const limit = Number(o.limitPrice);
    return o.side === 'buy' ? lo <= limit : hi >= limit;
  }
  const stop = Number(o.stopPrice);
  return o.side === 'sell' ? lo <= stop : hi >= stop;
}

function lowerBoundOf(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A strategy's quantity as the decider reads it; `undefined` when it rounds to nothing. */
function formatQty(qty: number, fractional: boolean): string | undefined {
  if (!Number.isFinite(qty) || qty <= 0) return undefined;
  const q = fractional ? Math.floor(qty * 1e6 + 1e-6) / 1e6 : Math.floor(qty + 1e-9);
  if (q <= 0) return undefined;
  return fractional ? q.toFixed(6).replace(/\.?0+$/, '') : String(q);
}

/** A target quantity rounded down to what can be traded (whole shares or micro-shares). */
function roundQty(q: number, fractional: boolean): number {
  return fractional ? Math.floor(q * 1e6) / 1e6 : Math.floor(q + 1e-9);
}

/** A float price on the tick grid. */
function tick(price: number): string {
  return formatUnits(toTickUnits(price, 'nearest'));
}

/** The listing a backtest symbol trades under: everything allowed, as the data allows. */
function assetFor(symbol: string, simulated: boolean): Asset {
  return {
    symbol,
    name: symbol,
    exchange: 'HISTORY',
    sector: 'unknown',
    class: 'us_equity',
    tradable: true,
    shortable: true,
    easyToBorrow: true,
    fractionable: true,
    simulated,
  };
}
