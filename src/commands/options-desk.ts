/**
 * The options desk: what REST and MCP read about options — chains and contracts from the
 * options market, and an account's option positions valued at the market with their greeks,
 * grouped by underlying into recognized strategies with their maximum profit, maximum loss
 * and breakevens at expiry. Reads only (trading goes through `TradingCommands`); an account
 * is visible exactly when `TradingCommands.account` says so.
 */
import type { Principal } from './policy.ts';
import { accessOf, type TradingCommands } from './trading.ts';
import { Dec } from '../domain/decimal.ts';
import type { Quote } from '../domain/market.ts';
import { fmt, type DecimalString } from '../domain/money.ts';
import type { Greeks } from '../domain/options/bsm.ts';
import {
  payoffProfile,
  recognizeStrategy,
  STRATEGY_LABELS,
  type StrategyName,
} from '../domain/options/strategy.ts';
import {
  SharedOptionChains,
  type ChainFilter,
  type OptionChain,
  type OptionsMarket,
  type PricedOption,
} from '../market/options/index.ts';
import type {
  OptionPositionListRequest,
  OptionPositionRecord,
  OptionQueries,
} from '../projections/option-queries.ts';

/** Greeks of a position: per-contract greeks × signed contracts × multiplier (share terms). */
export interface PositionGreeks {
  /** Share-equivalent delta: +100 for one long at-the-money-ish call with delta 1. */
  readonly delta: number;
  readonly gamma: number;
  readonly theta: number;
  readonly thetaPerDay: number;
  readonly vega: number;
  readonly rho: number;
}

/** An option position with its mark and greeks (null where the contract has no quote). */
export interface ValuedOptionPosition extends OptionPositionRecord {
  readonly quote: Quote | null;
  /** Mid of the quote, per share. */
  readonly mark: DecimalString | null;
  readonly marketValue: DecimalString | null;
  readonly unrealizedPl: DecimalString | null;
  readonly impliedVolatility: number | null;
  /** Per share of one contract. */
  readonly greeks: Greeks | null;
  /** The whole position's (zero once it has ended). */
  readonly positionGreeks: PositionGreeks | null;
  readonly daysToExpiration: number;
}

/** Legs of one underlying that form one strategy, and what it can make or lose at expiry. */
export interface StrategyGroup {
  readonly strategy: StrategyName;
  readonly label: string;
  readonly symbols: readonly string[];
  /** `null` when the legs expire on different dates (calendars, diagonals). */
  readonly expiration: string | null;
  /** Net cost paid for the legs (negative: a net credit received), from their cost basis. */
  readonly cost: DecimalString;
  /** `null` when unlimited (or, across expirations, not known at expiry). */
  readonly maxProfit: DecimalString | null;
  /** `null` when unlimited. */
  readonly maxLoss: DecimalString | null;
  readonly breakevens: readonly DecimalString[];
}

/** Everything an account holds in options on one underlying. */
export interface UnderlyingOptions {
  readonly underlying: string;
  readonly underlyingPrice: DecimalString | null;
  /** Shares of the underlying held (signed). */
  readonly shares: DecimalString;
  readonly positions: readonly ValuedOptionPosition[];
  readonly netGreeks: PositionGreeks;
  /** Net delta with the shares added (1 per share). */
  readonly netDeltaWithShares: number;
  readonly costBasis: DecimalString;
  readonly marketValue: DecimalString | null;
  readonly unrealizedPl: DecimalString | null;
  readonly strategies: readonly StrategyGroup[];
}

export interface OptionsDeskDeps {
  readonly trading: TradingCommands;
  readonly queries: OptionQueries;
  readonly market: OptionsMarket;
  /** Where chains are read (default: priced by `market`, no shared cache). */
  readonly chains?: SharedOptionChains;
}

const MS_PER_DAY = 86_400_000;

function mid(quote: Quote): Dec | undefined {
  const bid = new Dec(quote.bid);
  const ask = new Dec(quote.ask);
  if (ask.lte(0)) return undefined;
  return bid.plus(ask).dividedBy(2);
}

function zeroGreeks(): PositionGreeks {
  return { delta: 0, gamma: 0, theta: 0, thetaPerDay: 0, vega: 0, rho: 0 };
}

function addGreeks(a: PositionGreeks, b: PositionGreeks): PositionGreeks {
  return {
    delta: a.delta + b.delta,
    gamma: a.gamma + b.gamma,
    theta: a.theta + b.theta,
    thetaPerDay: a.thetaPerDay + b.thetaPerDay,
    vega: a.vega + b.vega,
    rho: a.rho + b.rho,
  };
}

export class OptionsDesk {
  readonly #chains: SharedOptionChains;

  constructor(private readonly deps: OptionsDeskDeps) {
    this.#chains = deps.chains ?? new SharedOptionChains(deps.market);
  }

  get market(): OptionsMarket {
    return this.deps.market;
  }

  /**
   * The chain of an underlying now, filtered (`undefined` when it has no options): through the
   * shared cache when there is one, so api replicas price each underlying quote's chain once.
   */
  chain(underlying: string, filter: ChainFilter = {}): Promise<OptionChain | undefined> {
    return this.#chains.chain(underlying, filter);
  }

  /** Option positions of an account, valued now (`status` as in `OptionPositionListRequest`). */
  async positions(
    principal: Principal,
    accountId: string,
    request: OptionPositionListRequest = {},
  ): Promise<ValuedOptionPosition[]> {
    await this.deps.trading.account(principal, accountId);
    const records = await this.deps.queries.listOptionPositions(
      accessOf(principal),
      accountId,
      request,
    );
    return records.map((r) => this.value(r));
  }

  /** Open option positions grouped by underlying, with net greeks and strategies. */
  async aggregate(principal: Principal, accountId: string): Promise<UnderlyingOptions[]> {
    const open = await this.positions(principal, accountId, { status: 'open' });
    const stock = await this.deps.trading.positions(principal, accountId);
    const underlyings = [...new Set(open.map((p) => p.underlying))].sort();
    return underlyings.map((underlying) => {
      const positions = open.filter((p) => p.underlying === underlying);
      const shares = stock.find((s) => s.symbol === underlying && s.assetClass === 'us_equity');
      return this.group(underlying, positions, shares?.qty ?? '0', shares?.costBasis ?? '0');
    });
  }

  /** A position record with its mark and greeks. */
  value(record: OptionPositionRecord): ValuedOptionPosition {
    const priced: PricedOption | undefined =
      record.status === 'open' ? this.deps.market.contract(record.symbol) : undefined;
    const qty = new Dec(record.qty);
    const m = record.multiplier;
    const markPrice = priced === undefined ? undefined : mid(priced.quote);
    const marketValue = markPrice === undefined ? undefined : qty.times(markPrice).times(m);
    const close = this.deps.market.calendar.session(record.expiration)?.close.getTime();
    const now = this.deps.market.clock.now().getTime();
    const g = priced?.greeks;
    const scale = qty.toNumber() * m;
    return {
      ...record,
      quote: priced?.quote ?? null,
      mark: markPrice === undefined ? null : fmt(markPrice.toDecimalPlaces(4)),
      marketValue: marketValue === undefined ? null : fmt(marketValue.toDecimalPlaces(2)),
      unrealizedPl:
        marketValue === undefined
          ? null
          : fmt(marketValue.minus(new Dec(record.costBasis)).toDecimalPlaces(2)),
      impliedVolatility: priced?.impliedVolatility ?? null,
      greeks: g ?? null,
      positionGreeks:
        g === undefined
          ? null
          : {
              delta: g.delta * scale,
              gamma: g.gamma * scale,
              theta: g.theta * scale,
              thetaPerDay: g.thetaPerDay * scale,
              vega: g.vega * scale,
              rho: g.rho * scale,
            },
      daysToExpiration:
        close === undefined ? 0 : Math.max(0, Math.ceil((close - now) / MS_PER_DAY)),
    };
  }

  /** One underlying's positions as a group: totals, net greeks and strategies. */
  group(
    underlying: string,
    positions: readonly ValuedOptionPosition[],
    sharesQty: DecimalString,
    sharesBasis: DecimalString,
  ): UnderlyingOptions {
    const netGreeks = positions.reduce(
      (sum, p) => (p.positionGreeks === null ? sum : addGreeks(sum, p.positionGreeks)),
      zeroGreeks(),
    );
    const costBasis = positions.reduce((s, p) => s.plus(new Dec(p.costBasis)), new Dec(0));
    const valued = positions.every((p) => p.marketValue !== null);
    const marketValue = valued
      ? positions.reduce((s, p) => s.plus(new Dec(p.marketValue ?? '0')), new Dec(0))
      : undefined;
    const quote = this.deps.market.latestQuote(underlying);
    const price = quote === undefined ? undefined : mid(quote);
    return {
      underlying,
      underlyingPrice: price === undefined ? null : fmt(price.toDecimalPlaces(4)),
      shares: sharesQty,
      positions,
      netGreeks,
      netDeltaWithShares: netGreeks.delta + Number(sharesQty),
      costBasis: fmt(costBasis),
      marketValue: marketValue === undefined ? null : fmt(marketValue),
      unrealizedPl: marketValue === undefined ? null : fmt(marketValue.minus(costBasis)),
      strategies: strategiesOf(positions, new Dec(sharesQty), new Dec(sharesBasis)),
    };
  }
}

/**
 * The strategies a set of positions on one underlying forms: the whole set when it is one
 * known shape (a calendar spans two expirations), else per expiration, else per right within
 * an expiration, else each contract alone — so every leg lands in a named group when it can.
 */
export function strategiesOf(
  positions: readonly OptionPositionRecord[],
  shares: Dec,
  sharesBasis: Dec,
): StrategyGroup[] {
  const live = positions.filter((p) => !new Dec(p.qty).isZero());
  if (live.length === 0) return [];
  const split = (
    legs: readonly OptionPositionRecord[],
    keys: readonly ((p: OptionPositionRecord) => string)[],
  ): StrategyGroup[] => {
    const group = groupOf(legs, shares, sharesBasis);
    if (group.strategy !== 'custom' || legs.length === 1) return [group];
    const [key, ...rest] = keys;
    if (key === undefined) return legs.map((l) => groupOf([l], shares, sharesBasis));
    const values = [...new Set(legs.map(key))].sort();
    if (values.length === 1) return split(legs, rest);
    return values.flatMap((v) =>
      split(
        legs.filter((l) => key(l) === v),
        rest,
      ),
    );
  };
  return split(live, [(p) => p.expiration, (p) => p.right]);
}

function groupOf(
  legs: readonly OptionPositionRecord[],
  shares: Dec,
  sharesBasis: Dec,
): StrategyGroup {
  const shortCalls = legs
    .filter((l) => l.right === 'call' && new Dec(l.qty).isNegative())
    .reduce((s, l) => s.plus(new Dec(l.qty).abs().times(l.multiplier)), new Dec(0));
  const covered = legs.length === 1 && shortCalls.gt(0) && shares.gte(shortCalls);
  const strategy = recognizeStrategy(
    legs.map((l) => ({
      right: l.right,
      strike: new Dec(l.strike),
      expiration: l.expiration,
      qty: new Dec(l.qty),
    })),
    covered,
  );
  const cost = legs.reduce((s, l) => s.plus(new Dec(l.costBasis)), new Dec(0));
  const sameExpiry = legs.every((l) => l.expiration === legs[0]?.expiration);
  const base = {
    strategy,
    label: STRATEGY_LABELS[strategy],
    symbols: legs.map((l) => l.symbol),
    expiration: sameExpiry ? (legs[0]?.expiration ?? null) : null,
    cost: fmt(cost),
  };
  if (!sameExpiry) {
    // Across expirations the payoff depends on the later leg's value then: only a long
    // calendar's risk is known (its debit).
    return {
      ...base,
      maxProfit: null,
      maxLoss: strategy === 'long_calendar' && cost.gt(0) ? fmt(cost) : null,
      breakevens: [],
    };
  }
  const coveredShares = covered ? shortCalls : new Dec(0);
  const shareCost =
    covered && !shares.isZero() ? sharesBasis.times(coveredShares).dividedBy(shares) : new Dec(0);
  const profile = payoffProfile(
    legs.map((l) => ({
      right: l.right,
      strike: new Dec(l.strike),
      qty: new Dec(l.qty),
      multiplier: l.multiplier,
    })),
    cost.plus(shareCost),
    coveredShares,
  );
  return {
    ...base,
    maxProfit: profile.maxProfit === null ? null : fmt(profile.maxProfit.toDecimalPlaces(2)),
    maxLoss: profile.maxLoss === null ? null : fmt(profile.maxLoss.toDecimalPlaces(2)),
    breakevens: profile.breakevens.map((b) => fmt(b.toDecimalPlaces(2))),
  };
}
