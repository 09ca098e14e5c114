import { marketContext } from '../../src/commands/market-context.ts';
import type { AccountService, CallContext } from '../../src/commands/accounts.ts';
import type { MarketContext, Quote } from '../../src/domain/market.ts';
import { dec, fmt } from '../../src/domain/money.ts';
import type { SimulatedClock, SimulatedMarket } from '../../src/market/index.ts';
import { order } from '../commands/support.ts';
import { CONTEXT } from './trading-support.ts';

const ENGINE: CallContext = { actor: 'engine', source: 'engine' };

function quoteOf(market: SimulatedMarket, symbol: string): Quote {
  const quote = market.latestQuote(symbol);
  if (!quote) throw new Error(`no quote for ${symbol}`);
  return quote;
}

/** The market for `symbol` with the quote changed (a crafted touch for engine fills). */
function crossed(market: SimulatedMarket, symbol: string, change: Partial<Quote>): MarketContext {
  const ctx = marketContext(market, symbol);
  return { ...ctx, quote: { ...quoteOf(market, symbol), ...change } };
}

function plus(value: string, delta: string): string {
  return fmt(dec(value).plus(dec(delta)));
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** What the scenario created, for assertions. */
export interface Scenario {
  readonly alice: string;
  readonly bob: string;
  readonly rejectedId: string;
  readonly restingSellId: string;
  readonly partialId: string;
  readonly bracketId: string;
  readonly replacedLegId: string;
  readonly newLegId: string;
  readonly canceledId: string;
  readonly replacedId: string;
  readonly replacementId: string;
  readonly lastPosition: number;
}

/**
 * A realistic day on two accounts (alice: margin; bob: cash, later reset): deposits and
 * withdrawals, a market buy, a limit buy filled in two parts by the engine, a limit sell
 * filled later, a bracket whose take-profit leg is replaced and whose stop-loss is canceled,
 * a replace (accepted and refused), a cancel, a rejection, a short, and a reset.
 */
export async function tradingScenario(
  service: AccountService,
  market: SimulatedMarket,
  clock: SimulatedClock,
): Promise<Scenario> {
  const ctx = CONTEXT;
  const { accountId: alice } = await service.openAccount(
    {
      ownerId: 'alice',
      name: 'Alice main',
      initialCash: '100000',
      settings: { accountType: 'margin' },
    },
    ctx,
  );
  const { accountId: bob } = await service.openAccount(
    { ownerId: 'bob', name: 'Bob', initialCash: '20000' },
    ctx,
  );
  await service.deposit(alice, { amount: '5000.5', reference: 'wire-1' }, ctx);
  await service.withdraw(alice, { amount: '500' }, ctx);

  // Market buy: fills at once in the session.
  await service.placeOrder(alice, order({ symbol: 'AAPL', qty: '10' }), {}, ctx);
  clock.advance(60_000);

  // A limit buy below the touch rests, then the engine fills it in two parts.
  const msft = quoteOf(market, 'MSFT');
  const limit = fmt(dec(msft.ask).minus(1));
  const partial = await service.placeOrder(
    alice,
    order({ symbol: 'MSFT', qty: '300', type: 'limit', limitPrice: limit, timeInForce: 'gtc' }),
    { clientOrderId: 'msft-ladder-1' },
    ctx,
  );
  const partialId = partial.orderId;
  await service.fill(
    alice,
    partialId,
    crossed(market, 'MSFT', { ask: limit, askSize: 100 }),
    ENGINE,
  );
  clock.advance(60_000);
  await service.fill(
    alice,
    partialId,
    crossed(market, 'MSFT', { ask: limit, askSize: 1000 }),
    ENGINE,
  );

  // A limit sell above the touch rests and fills later.
  const aapl = quoteOf(market, 'AAPL');
  const sellLimit = plus(aapl.bid, '5');
  const sell = await service.placeOrder(
    alice,
    order({ symbol: 'AAPL', side: 'sell', qty: '4', type: 'limit', limitPrice: sellLimit }),
    {},
    ctx,
  );
  clock.advance(120_000);
  await service.fill(
    alice,
    sell.orderId,
    crossed(market, 'AAPL', { bid: plus(sellLimit, '0.01'), bidSize: 500 }),
    ENGINE,
  );

  // A bracket: the entry fills at once, its legs go live; the take-profit is replaced and the
  // stop-loss canceled (which cancels its OCO sibling).
  const spy = quoteOf(market, 'SPY');
  const bracket = await service.placeOrder(
    alice,
    order({
      symbol: 'SPY',
      qty: '5',
      orderClass: 'bracket',
      timeInForce: 'gtc',
      takeProfit: { limitPrice: plus(spy.ask, '20') },
      stopLoss: { stopPrice: plus(spy.bid, '-20') },
    }),
    {},
    ctx,
  );
  const bracketOrder = required(bracket.order, 'bracket');
  const [takeProfit, stopLoss] = bracketOrder.legIds;
  const replacedLegId = required(takeProfit, 'take-profit leg');
  const leg = await service.replaceOrder(
    alice,
    replacedLegId,
    { limitPrice: plus(spy.ask, '25') },
    ctx,
  );
  clock.advance(60_000);
  await service.cancelOrder(alice, required(stopLoss, 'stop-loss leg'), ctx);

  // A resting order canceled; another replaced, then a refused replacement of the new one.
  const canceled = await service.placeOrder(
    alice,
    order({ symbol: 'NVDA', qty: '3', type: 'limit', limitPrice: '1.5', timeInForce: 'gtc' }),
    {},
    ctx,
  );
  await service.cancelOrder(alice, canceled.orderId, ctx);
  const toReplace = await service.placeOrder(
    alice,
    order({ symbol: 'AMZN', qty: '2', type: 'limit', limitPrice: '10', timeInForce: 'gtc' }),
    {},
    ctx,
  );
  const replacement = await service.replaceOrder(
    alice,
    toReplace.orderId,
    { limitPrice: '11', qty: '3' },
    ctx,
  );
  await service.replaceOrder(alice, replacement.newOrderId, { qty: '100000000' }, ctx);

  // A business rejection: far more than the buying power.
  const rejected = await service.placeOrder(
    alice,
    order({ symbol: 'AAPL', qty: '1000000' }),
    { clientOrderId: 'too-big' },
    ctx,
  );

  // A short sale (margin account).
  await service.placeOrder(alice, order({ symbol: 'JPM', side: 'sell', qty: '7' }), {}, ctx);

  // Bob trades, then resets his account, then trades again.
  await service.placeOrder(bob, order({ symbol: 'AAPL', qty: '3' }), {}, ctx);
  await service.placeOrder(
    bob,
    order({ symbol: 'KO', qty: '5', type: 'limit', limitPrice: '1', timeInForce: 'gtc' }),
    {},
    ctx,
  );
  await service.handler.handle(
    bob,
    { type: 'ResetAccount', data: { initialCash: '25000', at: service.now() } },
    { actor: ctx.actor, source: ctx.source },
  );
  clock.advance(60_000);
  const last = await service.placeOrder(bob, order({ symbol: 'MSFT', qty: '2' }), {}, ctx);

  return {
    alice,
    bob,
    rejectedId: rejected.orderId,
    restingSellId: sell.orderId,
    partialId,
    bracketId: bracketOrder.id,
    replacedLegId,
    newLegId: leg.newOrderId,
    canceledId: canceled.orderId,
    replacedId: toReplace.orderId,
    replacementId: replacement.newOrderId,
    lastPosition: required(last.position, 'position'),
  };
}
