/**
 * Option routes. Market data: `GET /options/chains/{underlying}` (every listed contract with
 * quote and greeks, filtered by expiration, strike range and type) and
 * `GET /options/chains/{underlying}/analysis` (put/call ratios, max pain, IV rank and percentile,
 * expected move) and `GET /options/contracts/{symbol}` (one contract). Account data:
 * `GET /accounts/{id}/options/positions` (valued, with greeks; `status=open|ended|all`),
 * `GET /accounts/{id}/options/positions/by_underlying` (grouped, with net greeks and the
 * strategies the legs form: maximum profit, maximum loss, breakevens) and
 * `POST /accounts/{id}/options/exercise`. Multi-leg orders are placed on the order routes
 * (`legs`, see `option-input.ts`). Everything the simulated market quotes is flagged simulated.
 */
import { Router, type RequestHandler } from 'express';
import type {
  OptionsDesk,
  UnderlyingOptions,
  ValuedOptionPosition,
} from '../../commands/options-desk.ts';
import { buyingPower } from '../../domain/account/index.ts';
import { fmt } from '../../domain/money.ts';
import { canonicalOcc } from '../../domain/options/contract.ts';
import { midOf, type PricedOption } from '../../market/options/index.ts';
import type { RouteModule } from '../app.ts';
import { principalOf, route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { ApiError } from '../problem.ts';
import { analyzeOptionsChain, OptionsAnalysisError } from '../../commands/options-analysis.ts';
import { minPosition, setEventPosition } from './consistency.ts';
import {
  ChainAnalysisQuery,
  OPTIONS_ANALYSIS_METHOD,
  OptionsChainAnalysisSchema,
  optionsChainAnalysisWire,
} from './option-analysis-schemas.ts';
import { exactBody } from './decimal-json.ts';
import { accountIdOf, tradingContext, type TradingRouteDeps } from './deps.ts';
import { parseInput } from './input.ts';
import {
  ChainQuery,
  ContractParams,
  ExerciseBody,
  ExerciseResult,
  OptionAggregate,
  OptionChainSchema,
  OptionContractSchema,
  OptionPositionList,
  OptionPositionsQuery,
  UnderlyingParams,
} from './option-schemas.ts';
import { AccountParams } from './schemas.ts';

const TAGS = ['Options'];

type Json = Record<string, unknown>;

function greeksBody(g: {
  readonly delta: number;
  readonly gamma: number;
  readonly theta: number;
  readonly thetaPerDay: number;
  readonly vega: number;
  readonly rho: number;
}): Json {
  return {
    delta: g.delta,
    gamma: g.gamma,
    theta: g.theta,
    theta_per_day: g.thetaPerDay,
    vega: g.vega,
    rho: g.rho,
  };
}

/** A priced contract on the wire. */
export function contractBody(p: PricedOption): Json {
  const q = p.quote;
  return {
    symbol: p.contract.symbol,
    underlying: p.contract.underlying,
    expiration: p.contract.expiration,
    type: p.contract.right,
    strike: p.contract.strike,
    multiplier: p.contract.multiplier,
    style: p.contract.style,
    quote: {
      bid: q.bid,
      ask: q.ask,
      bid_size: q.bidSize,
      ask_size: q.askSize,
      last: q.last,
      time: q.time,
      seq: q.seq,
      source: q.source,
    },
    theoretical_price: p.theoreticalPrice,
    implied_volatility: p.impliedVolatility,
    greeks: greeksBody(p.greeks),
    volume: p.volume,
    open_interest: p.openInterest,
    underlying_price: p.underlyingPrice,
    days_to_expiration: Math.ceil(p.years * 365),
    simulated: q.source !== 'replay',
  };
}

/** A valued option position on the wire. */
export function optionPositionBody(p: ValuedOptionPosition): Json {
  const qty = Number(p.qty);
  return {
    symbol: p.symbol,
    underlying: p.underlying,
    expiration: p.expiration,
    type: p.right,
    strike: p.strike,
    multiplier: p.multiplier,
    qty: p.qty,
    side: qty > 0 ? 'long' : qty < 0 ? 'short' : 'flat',
    avg_entry_price: p.avgEntryPrice,
    cost_basis: p.costBasis,
    mark: p.mark,
    market_value: p.marketValue,
    unrealized_pl: p.unrealizedPl,
    realized_pl: p.realizedPl,
    implied_volatility: p.impliedVolatility,
    greeks: p.greeks === null ? null : greeksBody(p.greeks),
    position_greeks: p.positionGreeks === null ? null : greeksBody(p.positionGreeks),
    days_to_expiration: p.daysToExpiration,
    status: p.status,
    opened_at: p.openedAt,
    closed_at: p.closedAt,
    updated_at: p.updatedAt,
    event_position: p.position,
  };
}

/** One underlying's group on the wire. */
export function underlyingBody(u: UnderlyingOptions): Json {
  return {
    underlying: u.underlying,
    underlying_price: u.underlyingPrice,
    shares: u.shares,
    net_greeks: greeksBody(u.netGreeks),
    net_delta_with_shares: u.netDeltaWithShares,
    cost_basis: u.costBasis,
    market_value: u.marketValue,
    unrealized_pl: u.unrealizedPl,
    strategies: u.strategies.map((s) => ({
      strategy: s.strategy,
      label: s.label,
      symbols: s.symbols,
      expiration: s.expiration,
      cost: s.cost,
      max_profit: s.maxProfit,
      max_loss: s.maxLoss,
      breakevens: s.breakevens,
    })),
    positions: u.positions.map(optionPositionBody),
  };
}

function notListed(field: string, message: string): ApiError {
  return new ApiError(404, 'unknown_symbol', 'Not Found', {
    detail: message,
    errors: [{ field, message }],
  });
}

/** `/options/chains/{underlying}` and `/options/contracts/{symbol}`. */
export function optionMarketRoutes(deps: {
  readonly desk: OptionsDesk;
  readonly authenticated: readonly RequestHandler[];
}): RouteModule {
  const market = deps.desk.market;
  return (api) => {
    const router = Router();
    if (deps.authenticated.length > 0) router.use(...deps.authenticated);

    router.get(
      '/chains/:underlying',
      route(async (req, res) => {
        const { underlying } = parseInput(UnderlyingParams, req.params);
        const q = parseInput(ChainQuery, req.query);
        const symbol = underlying.toUpperCase();
        const chain = await deps.desk.chain(symbol, {
          ...(q.expiration === undefined ? {} : { expiration: q.expiration }),
          ...(q.strike_gte === undefined ? {} : { strikeMin: q.strike_gte }),
          ...(q.strike_lte === undefined ? {} : { strikeMax: q.strike_lte }),
          ...(q.type === undefined ? {} : { right: q.type }),
        });
        if (chain === undefined) {
          throw notListed('underlying', `${symbol} has no listed options on this venue`);
        }
        res.setHeader('Cache-Control', 'no-store');
        res.json({
          underlying: chain.underlying,
          underlying_price: midOf(chain.underlyingQuote),
          as_of: chain.asOf,
          risk_free_rate: chain.riskFreeRate,
          dividend_yield: chain.dividendYield,
          expirations: chain.expirations,
          simulated: chain.underlyingQuote.source !== 'replay',
          count: chain.contracts.length,
          contracts: chain.contracts.map(contractBody),
        });
      }),
    );
    documentOperation({
      method: 'get',
      path: `${API_PREFIX}/options/chains/{underlying}`,
      tags: TAGS,
      summary: 'Option chain of an underlying',
      description:
        'Every listed contract of the underlying (weekly, monthly and LEAPS expirations; strike grids around the price), each with its quote (bid/ask in dollars per share on the option tick grid, sizes in contracts), model value, implied volatility, Black–Scholes–Merton greeks, volume and open interest. Filter with `expiration`, `strike_gte`, `strike_lte` and `type`. Priced from the underlying’s latest quote and the seeded volatility surface; `simulated` says whether the market is simulated.',
      request: { params: UnderlyingParams, query: ChainQuery },
      responses: { 200: { description: 'The chain', schema: OptionChainSchema } },
      errors: { 404: ['unknown_symbol'], 422: ['validation_failed'] },
    });

    router.get(
      '/chains/:underlying/analysis',
      route((req, res) => {
        const { underlying } = parseInput(UnderlyingParams, req.params);
        const q = parseInput(ChainAnalysisQuery, req.query);
        let analysis;
        try {
          analysis = analyzeOptionsChain(market, underlying, {
            ...(q.expiration === undefined ? {} : { expiration: q.expiration }),
            ...(q.max_expirations === undefined ? {} : { maxExpirations: q.max_expirations }),
          });
        } catch (error) {
          if (!(error instanceof OptionsAnalysisError)) throw error;
          if (error.code === 'unknown_symbol') throw notListed(error.field, error.message);
          throw new ApiError(422, 'validation_failed', 'Validation Failed', {
            detail: error.message,
            errors: [
              {
                field: error.field,
                message: `must be a listed expiration: ${error.listed.join(', ')}`,
              },
            ],
          });
        }
        res.setHeader('Cache-Control', 'no-store');
        res.json(optionsChainAnalysisWire(analysis));
        return Promise.resolve();
      }),
    );
    documentOperation({
      method: 'get',
      path: `${API_PREFIX}/options/chains/{underlying}/analysis`,
      tags: TAGS,
      summary: 'Options-chain analysis: put/call ratios, max pain, IV rank, expected move',
      description:
        'What the chain of an underlying says now (simulated): put/call volume and open-interest ratios for the whole chain and per expiration, max pain per expiration, IV rank and IV percentile of the 30-day at-the-money implied volatility over the past 252 sessions, and the expected move to each expiration (the at-the-money straddle, and spot × IV × √T). ' +
        `${OPTIONS_ANALYSIS_METHOD} ` +
        'Filter with `expiration` (one expiration; `totals` stay the whole chain) or `max_expirations` (the nearest N).',
      request: { params: UnderlyingParams, query: ChainAnalysisQuery },
      responses: {
        200: {
          description: 'The analysis',
          schema: OptionsChainAnalysisSchema.meta({ id: 'OptionsChainAnalysis' }),
        },
      },
      errors: { 404: ['unknown_symbol'], 422: ['validation_failed'] },
    });

    router.get(
      '/contracts/:symbol',
      route((req, res) => {
        const { symbol } = parseInput(ContractParams, req.params);
        const occ = canonicalOcc(symbol);
        const priced = occ === undefined ? undefined : market.contract(occ);
        if (priced === undefined) {
          throw notListed(
            'symbol',
            occ === undefined
              ? `"${symbol}" is not an OCC option symbol (e.g. AAPL  260116C00280000)`
              : `${occ} is not a listed, unexpired contract`,
          );
        }
        res.setHeader('Cache-Control', 'no-store');
        res.json(contractBody(priced));
        return Promise.resolve();
      }),
    );
    documentOperation({
      method: 'get',
      path: `${API_PREFIX}/options/contracts/{symbol}`,
      tags: TAGS,
      summary: 'One option contract: quote and greeks',
      description:
        'The contract’s latest quote, model value, implied volatility and greeks. The symbol is OCC, padded (`AAPL  260116C00280000`, URL-encoded) or compact (`AAPL260116C00280000`).',
      request: { params: ContractParams },
      responses: { 200: { description: 'The contract', schema: OptionContractSchema } },
      errors: { 404: ['unknown_symbol'], 422: ['validation_failed'] },
    });

    api.use('/options', router);
  };
}

/** Account option routes, on the `/accounts` router (after authentication). */
export function mountOptionAccountRoutes(
  router: Router,
  deps: TradingRouteDeps,
  desk: OptionsDesk,
): void {
  const read = minPosition(deps.waiter, deps.readWaitMs);
  const p = (path: string): string => `${API_PREFIX}/accounts/{id}/options${path}`;

  router.get(
    '/:id/options/positions',
    read,
    route(async (req, res) => {
      const q = parseInput(OptionPositionsQuery, req.query);
      const positions = await desk.positions(principalOf(res), accountIdOf(req), {
        status: q.status,
        ...(q.underlying === undefined ? {} : { underlying: q.underlying }),
      });
      res.json({ items: positions.map(optionPositionBody) });
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/positions'),
    tags: TAGS,
    summary: 'Option positions',
    description:
      'The account’s option positions, valued at the option quote’s mid with implied volatility and greeks (per contract and for the position: × signed contracts × 100). `status=open` (default), `ended` (closed, exercised, assigned or expired — kept for history with their realized P&L) or `all`.',
    consistency: 'read',
    request: { params: AccountParams, query: OptionPositionsQuery },
    responses: { 200: { description: 'The positions', schema: OptionPositionList } },
    errors: { 403: ['forbidden'], 404: ['account_not_found'], 422: ['validation_failed'] },
  });

  router.get(
    '/:id/options/positions/by_underlying',
    read,
    route(async (req, res) => {
      const groups = await desk.aggregate(principalOf(res), accountIdOf(req));
      res.json({ underlyings: groups.map(underlyingBody) });
    }),
  );
  documentOperation({
    method: 'get',
    path: p('/positions/by_underlying'),
    tags: TAGS,
    summary: 'Option positions grouped by underlying, with net greeks and strategies',
    description:
      'Open option positions grouped by underlying: net greeks (share-equivalent delta; with the shares held as well), cost basis, market value, unrealized P&L, and the strategies the legs form (verticals, straddles, strangles, iron condors, calendars, covered calls…) with their maximum profit, maximum loss and breakevens at expiry.',
    consistency: 'read',
    request: { params: AccountParams },
    responses: { 200: { description: 'By underlying', schema: OptionAggregate } },
    errors: { 403: ['forbidden'], 404: ['account_not_found'] },
  });

  router.post(
    '/:id/options/exercise',
    route(async (req, res) => {
      const accountId = accountIdOf(req);
      const body = parseInput(ExerciseBody, exactBody(req));
      const symbol = canonicalOcc(body.symbol);
      if (symbol === undefined) {
        throw new ApiError(422, 'validation_failed', 'Validation Failed', {
          detail: 'symbol is not an OCC option symbol',
          errors: [
            {
              field: 'symbol',
              message: 'must be an OCC option symbol such as AAPL  260116C00280000',
            },
          ],
        });
      }
      const written = await deps.trading.exerciseOption(
        principalOf(res),
        accountId,
        symbol,
        body.qty,
        tradingContext(req, res),
      );
      setEventPosition(res, written.position);
      const event = written.events.find((e) => e.type === 'OptionExercised');
      res.json({
        account_id: accountId,
        symbol,
        event: event?.data ?? {},
        cash: written.state.cash,
        buying_power: fmt(buyingPower(written.state)),
      });
    }),
  );
  documentOperation({
    method: 'post',
    path: p('/exercise'),
    tags: TAGS,
    summary: 'Exercise long option contracts (American style)',
    description:
      'Exercises long contracts now at the underlying’s last trade: a call buys 100 shares per contract at the strike, a put sells them. `qty` defaults to every contract not promised to an open sell order. Refused (422 `option_not_exercisable`) for short positions, expired contracts, puts without the shares in a cash account, and more contracts than held; 422 `insufficient_funds` when the strike cannot be paid. At expiry the venue exercises in-the-money contracts by itself.',
    consistency: 'write',
    request: {
      params: AccountParams,
      body: { schema: ExerciseBody, example: { symbol: 'AAPL  260116C00280000', qty: '1' } },
    },
    responses: { 200: { description: 'Exercised', schema: ExerciseResult } },
    errors: {
      403: ['forbidden'],
      404: ['account_not_found', 'position_not_found'],
      409: ['concurrency_conflict'],
      422: ['validation_failed', 'option_not_exercisable', 'insufficient_funds'],
    },
  });
}
