import { expect } from 'chai';
import { Dec } from '../../src/domain/decimal.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { fmt } from '../../src/domain/money.ts';
import type { Bar } from '../../src/market/port.ts';
import { InvalidCursor } from '../../src/projections/trading-views.ts';
import { markPrice, RATIO_DECIMALS } from '../../src/projections/valuation.ts';
import { order } from '../commands/support.ts';
import { CONTEXT, TARGETS, tradingFixture, type TradingFixture } from './trading-support.ts';

/** Friday 2025-02-28, 10:00 New York. */
const FRIDAY = new Date('2025-02-28T15:00:00.000Z');
/** Monday 2025-03-03, 10:00 New York. */
const MONDAY = new Date('2025-03-03T15:00:00.000Z');
const FRIDAY_CLOSE = new Date('2025-02-28T21:00:00.000Z');

async function rejects(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function mid(fx: TradingFixture, symbol: string): Dec {
  const price = markPrice(fx.market.latestQuote(symbol));
  if (price === undefined) throw new Error(`no price for ${symbol}`);
  return price;
}

async function dayClose(fx: TradingFixture, symbol: string): Promise<Dec> {
  const bars = await fx.market.bars(symbol, {
    timeframe: '1Day',
    start: new Date('2025-02-28T00:00:00.000Z'),
    end: new Date('2025-03-01T00:00:00.000Z'),
  });
  const bar = bars.at(-1);
  if (bar === undefined) throw new Error('no daily bar');
  return new Dec(bar.close);
}

function round(value: Dec): string {
  return fmt(value.toDecimalPlaces(RATIO_DECIMALS));
}

for (const [target, openDatabase] of TARGETS) {
  describe(`trading queries on ${target}`, function () {
    this.timeout(60_000);

    describe('valuation at query time', () => {
      let fx: TradingFixture;
      let alice: string;
      before(async function () {
        fx = await tradingFixture(await openDatabase(this), { start: FRIDAY });
        ({ accountId: alice } = await fx.service.openAccount(
          { ownerId: 'alice', name: 'Main', initialCash: '100000' },
          CONTEXT,
        ));
        await fx.service.placeOrder(alice, order({ symbol: 'AAPL', qty: '10' }), {}, CONTEXT);
        fx.clock.advanceTo(MONDAY);
        await fx.service.placeOrder(alice, order({ symbol: 'MSFT', qty: '5' }), {}, CONTEXT);
        await fx.catchUp();
      });
      after(async () => {
        await fx.dispose();
      });

      it('positions: mid price, market value, unrealized P&L and change since the last close', async () => {
        const state = (await fx.service.load(alice)).state;
        const aapl = state.positions.AAPL;
        if (aapl === undefined) throw new Error('no AAPL position');
        const price = mid(fx, 'AAPL');
        const lastday = await dayClose(fx, 'AAPL');
        const value = price.times(10);
        const unrealized = value.minus(aapl.costBasis);
        const view = await fx.queries.getPosition({ tenant: 'alice' }, alice, 'AAPL');
        expect(await fx.queries.getPosition({ tenant: 'alice' }, alice, ' aapl')).to.deep.equal(
          view,
        );
        expect(view).to.deep.include({
          qty: '10',
          costBasis: aapl.costBasis,
          currentPrice: fmt(price),
          marketValue: fmt(value),
          unrealizedPl: fmt(unrealized),
          unrealizedPlpc: round(unrealized.dividedBy(new Dec(aapl.costBasis).abs())),
          lastdayPrice: fmt(lastday),
          changeToday: round(price.minus(lastday).dividedBy(lastday)),
          assetClass: 'us_equity',
        });
      });

      it('account: equity at market, last equity from the balance at the previous close', async () => {
        const state = (await fx.service.load(alice)).state;
        const equity = new Dec(state.cash)
          .plus(mid(fx, 'AAPL').times(10))
          .plus(mid(fx, 'MSFT').times(5));
        // At Friday's close alice held 10 AAPL (MSFT was bought on Monday) and Friday's cash.
        const fridayState = await fx.db
          .selectFrom('account_balances')
          .select('cash')
          .where('account_id', '=', alice)
          .where('at', '<=', FRIDAY_CLOSE)
          .orderBy('position', 'desc')
          .executeTakeFirstOrThrow();
        const lastEquity = new Dec(fridayState.cash).plus((await dayClose(fx, 'AAPL')).times(10));
        const view = await fx.queries.getAccount({ tenant: 'alice' }, alice);
        expect(view).to.deep.include({
          cash: state.cash,
          equity: fmt(equity),
          longMarketValue: fmt(mid(fx, 'AAPL').times(10).plus(mid(fx, 'MSFT').times(5))),
          shortMarketValue: '0',
          lastEquity: fmt(lastEquity),
          dayPl: fmt(equity.minus(lastEquity)),
        });
        const [listed] = (await fx.queries.listAccounts({ tenant: 'alice' })).items;
        expect(listed).to.deep.equal(view);
      });

      it('an account opened since the last close starts its day at its opening balance', async () => {
        const { accountId } = await fx.service.openAccount(
          { ownerId: 'alice', name: 'New', initialCash: '5000' },
          CONTEXT,
        );
        await fx.service.placeOrder(accountId, order({ symbol: 'KO', qty: '2' }), {}, CONTEXT);
        await fx.catchUp();
        const view = await fx.queries.getAccount({ tenant: 'alice' }, accountId);
        expect(view?.lastEquity).to.equal('5000');
        expect(view?.dayPl).to.equal(fmt(new Dec(view?.equity ?? '0').minus(5000)));
      });

      it('portfolio history per day: equity at each session close from daily bars', async () => {
        const history = await fx.queries.portfolioHistory({ tenant: 'alice' }, alice, {
          timeframe: '1D',
          start: '2025-02-27T00:00:00Z',
        });
        expect(history?.timeframe).to.equal('1D');
        const fridayCash = await fx.db
          .selectFrom('account_balances')
          .select('cash')
          .where('account_id', '=', alice)
          .where('at', '<=', FRIDAY_CLOSE)
          .orderBy('position', 'desc')
          .executeTakeFirstOrThrow();
        const expected = new Dec(fridayCash.cash).plus((await dayClose(fx, 'AAPL')).times(10));
        // Thursday's close predates the account; Monday's session has not closed yet.
        expect(history?.points).to.deep.equal([
          {
            timestamp: FRIDAY_CLOSE.toISOString(),
            equity: fmt(expected),
            cash: fridayCash.cash,
            profitLoss: '0',
            profitLossPct: '0',
          },
        ]);
        expect(history?.baseValue).to.equal(fmt(expected));
      });

      it('portfolio history per 5 minutes: cash and holdings at each instant × minute closes', async () => {
        const history = await fx.queries.portfolioHistory({ tenant: 'alice' }, alice, {
          timeframe: '5Min',
          start: '2025-02-28T14:30:00Z',
          end: '2025-02-28T21:00:00Z',
        });
        const points = history?.points ?? [];
        // 09:35 … 16:00 every 5 minutes is 78 instants; those before 10:00 predate the account.
        expect(points).to.have.length(78 - 5);
        expect(points[0]?.timestamp).to.equal('2025-02-28T15:00:00.000Z');
        expect(points.at(-1)?.timestamp).to.equal('2025-02-28T21:00:00.000Z');
        const bars: Bar[] = await fx.market.bars('AAPL', {
          timeframe: '1Min',
          start: new Date('2025-02-28T09:00:00Z'),
          end: new Date('2025-02-28T21:00:00Z'),
        });
        const cash = points[0]?.cash ?? '0';
        for (const point of points) {
          const t = Date.parse(point.timestamp);
          const bar = bars.filter((b) => Date.parse(b.time) + 60_000 <= t).at(-1);
          expect(point.equity, point.timestamp).to.equal(
            fmt(new Dec(cash).plus(new Dec(bar?.close ?? 'NaN').times(10))),
          );
        }
        const base = new Dec(history?.baseValue ?? '0');
        const last = points.at(-1);
        expect(last?.profitLoss).to.equal(fmt(new Dec(last?.equity ?? '0').minus(base)));
      });

      it('portfolio history defaults: 1Min within a day, points bounded, bad input refused', async () => {
        const today = await fx.queries.portfolioHistory({ tenant: 'alice' }, alice, {
          start: '2025-03-03T14:30:00Z',
        });
        expect(today?.timeframe).to.equal('1Min');
        expect(today?.points).to.have.length(30);
        const long = await fx.queries.portfolioHistory({ tenant: 'alice' }, alice, {
          timeframe: '1Min',
          start: '2025-02-01T00:00:00Z',
        });
        expect(long?.points.length).to.be.at.most(1000);
        expect(long?.points.at(-1)?.timestamp).to.equal(MONDAY.toISOString());
        for (const [request, field] of [
          [{ timeframe: '2H' }, 'timeframe'],
          [{ start: 'yesterday' }, 'start'],
          [{ start: '2025-03-03T00:00:00Z', end: '2025-03-01T00:00:00Z' }, 'start'],
        ] as const) {
          const error = await rejects(() =>
            fx.queries.portfolioHistory({ tenant: 'alice' }, alice, request as never),
          );
          expect(error).to.be.instanceOf(DomainError).and.to.include({ field });
        }
        expect(await fx.queries.portfolioHistory({ tenant: 'bob' }, alice)).to.equal(undefined);
      });
    });

    describe('pagination', () => {
      let fx: TradingFixture;
      let alice: string;
      const ids: string[] = [];
      before(async function () {
        fx = await tradingFixture(await openDatabase(this));
        ({ accountId: alice } = await fx.service.openAccount(
          { ownerId: 'alice', name: 'Main', initialCash: '100000' },
          CONTEXT,
        ));
        for (let i = 0; i < 12; i++) {
          const placed = await fx.service.placeOrder(
            alice,
            order({ symbol: i % 2 ? 'AAPL' : 'KO', type: 'limit', limitPrice: '1', qty: '1' }),
            {},
            CONTEXT,
          );
          ids.push(placed.orderId);
          await fx.service.placeOrder(alice, order({ symbol: 'F', qty: '1' }), {}, CONTEXT);
        }
        for (let i = 0; i < 3; i++) {
          await fx.service.openAccount(
            { ownerId: `user-${i}`, name: `Other ${i}`, initialCash: '1' },
            CONTEXT,
          );
        }
        await fx.catchUp();
      });
      after(async () => {
        await fx.dispose();
      });

      it('pages orders newest first with opaque cursors until the end', async () => {
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await fx.queries.listOrders({ tenant: 'alice' }, alice, {
            limit: 5,
            ...(cursor === undefined ? {} : { cursor }),
          });
          seen.push(...page.items.map((o) => o.id));
          if (page.nextCursor === null) break;
          expect(page.nextCursor).to.match(/^[A-Za-z0-9_-]+$/);
          cursor = page.nextCursor;
        }
        expect(seen).to.deep.equal([...ids].reverse());
        const asc = await fx.queries.listOrders({ tenant: 'alice' }, alice, {
          direction: 'asc',
          status: 'open',
          symbols: ['KO'],
        });
        expect(asc.items.map((o) => o.id)).to.deep.equal(ids.filter((_, i) => i % 2 === 0));
        expect(asc.nextCursor).to.equal(null);
        const closed = await fx.queries.listOrders({ tenant: 'alice' }, alice, {
          status: 'closed',
          limit: 500,
        });
        expect(closed.items.map((o) => o.symbol)).to.deep.equal(Array(12).fill('F'));
      });

      it('pages fills and accounts the same way', async () => {
        const first = await fx.queries.listFills({ tenant: 'alice' }, alice, { limit: 7 });
        expect(first.items).to.have.length(7);
        const rest = await fx.queries.listFills({ tenant: 'alice' }, alice, {
          limit: 7,
          cursor: first.nextCursor ?? '',
        });
        expect(rest.items).to.have.length(5);
        expect(rest.nextCursor).to.equal(null);
        const positions = [...first.items, ...rest.items].map((f) => f.position);
        expect(positions).to.deep.equal([...positions].sort((a, b) => b - a));
        const all: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await fx.queries.listAccounts(
            { reader: 'auditor' },
            { limit: 2, ...(cursor === undefined ? {} : { cursor }) },
          );
          all.push(...page.items.map((a) => a.name));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        expect(all).to.deep.equal(['Main', 'Other 0', 'Other 1', 'Other 2']);
      });

      it('refuses garbage cursors, cursors of another list and bad limits', async () => {
        const page = await fx.queries.listOrders({ tenant: 'alice' }, alice, { limit: 2 });
        const cursor = page.nextCursor ?? '';
        const forged = Buffer.from(JSON.stringify({ l: 'orders', s: 'x', k: '1' })).toString(
          'base64url',
        );
        for (const bad of ['%%%', 'bm90IGpzb24', forged, Buffer.from('[]').toString('base64url')]) {
          expect(
            await rejects(() => fx.queries.listOrders({ tenant: 'alice' }, alice, { cursor: bad })),
          ).to.be.instanceOf(InvalidCursor);
        }
        // A cursor is bound to its list and filter.
        expect(
          await rejects(() => fx.queries.listFills({ tenant: 'alice' }, alice, { cursor })),
        ).to.be.instanceOf(InvalidCursor);
        expect(
          await rejects(() =>
            fx.queries.listOrders({ tenant: 'alice' }, alice, { cursor, status: 'all' }),
          ),
        ).to.be.instanceOf(InvalidCursor);
        for (const limit of [0, 501, 1.5, -1]) {
          expect(await rejects(() => fx.queries.listOrders({ tenant: 'alice' }, alice, { limit })))
            .to.be.instanceOf(DomainError)
            .and.to.include({ code: 'invalid_value', field: 'limit' });
        }
        const edge = await fx.queries.listOrders({ tenant: 'alice' }, alice, { limit: 500 });
        expect(edge.items).to.have.length(12);
        expect(
          await rejects(() =>
            fx.queries.listOrders({ tenant: 'alice' }, alice, {
              direction: 'up' as never,
            }),
          ),
        ).to.include({ field: 'direction' });
        expect(
          await rejects(() =>
            fx.queries.listFills({ tenant: 'alice' }, alice, { after: 'not a date' }),
          ),
        ).to.include({ field: 'after' });
      });
    });
  });
}
