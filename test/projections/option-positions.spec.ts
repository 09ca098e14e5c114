/**
 * `option_positions`: every option contract an account held, kept after it ends, folded from
 * the events like every trading read model; rebuilt from position 0 it is the same.
 */
import { expect } from 'chai';
import { AccountService } from '../../src/commands/accounts.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import { formatOcc, optionInstrument, parseOcc } from '../../src/domain/options/index.ts';
import type { OptionInstrument } from '../../src/domain/instrument.ts';
import { OptionsMarket } from '../../src/market/options/index.ts';
import { OptionQueries } from '../../src/projections/option-queries.ts';
import { sequentialIds } from '../commands/support.ts';
import { CONTEXT, TARGETS, tradingFixture, type TradingFixture } from './trading-support.ts';

/** Monday 2025-03-03, 10:00 New York (the fixture's frozen clock). */
const EXPIRY = '2025-03-07';

function contract(right: 'call' | 'put', strike: number): OptionInstrument {
  const c = parseOcc(
    formatOcc({ root: 'AAPL', expiration: EXPIRY, right, strike: String(strike) }),
  );
  if (c === undefined) throw new Error('bad contract');
  return optionInstrument(c);
}

for (const [label, database] of TARGETS) {
  describe(`option positions read model (${label})`, function () {
    this.timeout(60_000);
    let f: TradingFixture;
    let service: AccountService;
    let market: OptionsMarket;

    beforeEach(async function () {
      f = await tradingFixture(await database(this), {
        start: new Date('2025-03-03T15:00:00.000Z'),
      });
      market = new OptionsMarket(f.market, { seed: 7 });
      service = new AccountService({ store: f.store, market, newId: sequentialIds('opt') });
    });

    afterEach(async () => {
      await f.dispose();
    });

    const order = (instrument: OptionInstrument, side: 'buy' | 'sell', qty = '1'): OrderRequest => {
      const q = market.latestQuote(instrument.occSymbol);
      return {
        instrument,
        side,
        type: 'limit',
        timeInForce: 'day',
        qty,
        limitPrice: side === 'buy' ? (q?.ask ?? '1') : (q?.bid ?? '1'),
      };
    };

    it('keeps open positions in step with the domain, and ended ones with how they ended and their P&L', async () => {
      const { accountId } = await service.openAccount(
        { ownerId: 'owner', name: 'A', initialCash: '1000000' },
        CONTEXT,
      );
      const spot = Number(market.latestQuote('AAPL')?.last);
      const k = (f: number): number => Math.round((spot * f) / 5) * 5;
      const put = contract('put', k(1.1));
      const call = contract('call', k(1.2));
      const soldPut = await service.placeOrder(accountId, order(put, 'sell', '2'), {}, CONTEXT);
      const boughtCall = await service.placeOrder(accountId, order(call, 'buy'), {}, CONTEXT);
      expect(soldPut.order?.status).to.equal('filled');
      expect(boughtCall.order?.status).to.equal('filled');
      await f.catchUp();
      const queries = new OptionQueries(f.db);
      const open = await queries.listOptionPositions({ tenant: 'owner' }, accountId);
      // Ordered by underlying, expiration, strike and type.
      expect(open.map((p) => [p.symbol, p.qty, p.status])).to.deep.equal([
        [put.occSymbol, '-2', 'open'],
        [call.occSymbol, '1', 'open'],
      ]);
      const putRow = open.find((p) => p.symbol === put.occSymbol);
      const { state } = await service.load(accountId);
      expect(putRow).to.include({
        costBasis: state.positions[put.occSymbol]?.costBasis,
        underlying: 'AAPL',
        expiration: EXPIRY,
        right: 'put',
        realizedPl: '0',
      });

      // At the close of the expiration day: the put is assigned, the call expires.
      f.clock.advanceTo(new Date('2025-03-07T21:00:01.000Z'));
      const close = String(k(1));
      for (const symbol of [put.occSymbol, call.occSymbol]) {
        await service.settleExpiredOption(
          accountId,
          {
            symbol,
            underlyingPrice: close,
            sessionDate: EXPIRY,
            sessionClose: '2025-03-07T21:00:00.000Z',
          },
          CONTEXT,
        );
      }
      await f.catchUp();
      const all = await queries.listOptionPositions({ tenant: 'owner' }, accountId, {
        status: 'all',
      });
      const assigned = all.find((p) => p.symbol === put.occSymbol);
      const expired = all.find((p) => p.symbol === call.occSymbol);
      const premium = -Number(putRow?.costBasis ?? 0);
      expect(assigned).to.include({
        status: 'assigned',
        qty: '0',
        costBasis: '0',
        avgEntryPrice: putRow?.avgEntryPrice,
      });
      expect(Number(assigned?.realizedPl)).to.be.closeTo(
        premium - (k(1.1) - Number(close)) * 200,
        1e-9,
      );
      expect(assigned?.closedAt).to.equal('2025-03-07T21:00:01.000Z');
      expect(expired).to.include({ status: 'expired', qty: '0' });
      expect(Number(expired?.realizedPl)).to.be.below(0);
      expect(await queries.listOptionPositions({ tenant: 'owner' }, accountId)).to.deep.equal([]);
      expect(
        await queries.listOptionPositions({ tenant: 'someone else' }, accountId, { status: 'all' }),
      ).to.deep.equal([]);
      expect(
        (
          await queries.listOptionPositions({ tenant: 'owner' }, accountId, {
            status: 'ended',
            underlying: 'aapl',
          })
        ).length,
      ).to.equal(2);

      // A rebuild from position 0 writes the same rows.
      const before = await f.db
        .selectFrom('option_positions')
        .selectAll()
        .orderBy('symbol')
        .execute();
      await f.runner.rebuild('option_positions');
      expect(
        await f.db.selectFrom('option_positions').selectAll().orderBy('symbol').execute(),
      ).to.deep.equal(before);
    });
  });
}
