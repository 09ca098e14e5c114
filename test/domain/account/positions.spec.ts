import { expect } from 'chai';
import { avgEntryPrice, fold } from '../../../src/domain/account/index.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';

const noFees = {
  fillModel: { regulatoryFees: { secFeeRate: '0', tafPerShare: '0', tafMaxPerTrade: '0' } },
};
const at = (bid: string, ask: string): ReturnType<typeof market> =>
  market({ quote: quote({ bid, ask, last: bid }) });
let n = 0;
const buy = (qty: string, bid: string, ask: string): ReturnType<typeof place> =>
  place({ qty }, { orderId: `b${++n}`, fillId: `fb${n}`, market: at(bid, ask) });
const sell = (qty: string, bid: string, ask: string): ReturnType<typeof place> =>
  place({ side: 'sell', qty }, { orderId: `s${++n}`, fillId: `fs${n}`, market: at(bid, ask) });

describe('positions and P&L (average cost)', () => {
  it('averages the entry price over buys', () => {
    const s = fold(
      given(opened('100000', noFees))
        .and(buy('10', '99', '100'))
        .and(buy('30', '109', '110')).events,
    );
    const p = s.positions['AAPL'];
    expect(p).to.deep.include({ qty: '40', costBasis: '4300', realizedPnl: '0' });
    expect(p && avgEntryPrice(p)).to.equal('107.5');
  });

  it('realizes against the average cost on a partial close and keeps the average', () => {
    const s = fold(
      given(opened('100000', noFees))
        .and(buy('10', '99', '100'))
        .and(buy('30', '109', '110'))
        .and(sell('20', '120', '121')).events,
    );
    const p = s.positions['AAPL'];
    // basis removed = 4300 × 20/40 = 2150; proceeds 2400 → +250
    expect(p).to.deep.include({ qty: '20', costBasis: '2150', realizedPnl: '250' });
    expect(s.realizedPnl).to.equal('250');
    expect(s.cash).to.equal(String(100000 - 4300 + 2400));
  });

  it('removes a flat position but keeps the account realized P&L', () => {
    const s = fold(
      given(opened('100000', noFees))
        .and(buy('10', '99', '100'))
        .and(sell('10', '90', '91')).events,
    );
    expect(s.positions).to.deep.equal({});
    expect(s.realizedPnl).to.equal('-100');
  });

  it('a short is a negative quantity and basis; covering realizes the difference', () => {
    const margin = { ...noFees, accountType: 'margin' as const };
    const s = fold(
      given(opened('100000', margin))
        .and(sell('10', '100', '100.1'))
        .and(buy('4', '89.9', '90')).events,
    );
    expect(s.positions['AAPL']).to.deep.include({
      qty: '-6',
      costBasis: '-600',
      realizedPnl: '40',
    });
    expect(s.positions['AAPL'] && avgEntryPrice(s.positions['AAPL'])).to.equal('100');
  });

  it('a buy larger than the short covers it and opens a long with the rest', () => {
    const margin = { ...noFees, accountType: 'margin' as const };
    const s = fold(
      given(opened('100000', margin))
        .and(sell('10', '100', '100.1'))
        .and(buy('15', '94.9', '95')).events,
    );
    expect(s.positions['AAPL']).to.deep.include({ qty: '5', costBasis: '475', realizedPnl: '50' });
  });

  it('a buy to cover needs no buying power and reserves none', () => {
    const margin = { ...noFees, accountType: 'margin' as const };
    const h = given(opened('1000', margin)).and(sell('10', '100', '100.1'));
    h.when(
      place({ type: 'limit', limitPrice: '50', qty: '10' }, { orderId: 'cover', fillId: null }),
    ).thenMatches([{ type: 'OrderPlaced', data: { order: { reservePrice: null } } }]);
  });

  it('commissions and fees come out of cash and are counted as fees paid', () => {
    const settings = { fillModel: { commission: { kind: 'per_order' as const, amount: '1' } } };
    const s = fold(
      given(opened('10000', settings))
        .and(buy('10', '99.99', '100'))
        .and(sell('10', '101', '101.01')).events,
    );
    // buy: 1000 + 1 ; sell: 1010 − 1 − sec 0.03 − taf 0.01
    expect(s.cash).to.equal('10007.96');
    expect(s.feesPaid).to.equal('2.04');
    expect(s.realizedPnl).to.equal('10');
  });

  it('an option fill multiplies by 100 in every cash figure', () => {
    const option = {
      kind: 'option',
      occSymbol: 'AAPL  250321C00150000',
      underlying: 'AAPL',
      multiplier: 100,
    } as const;
    const optQuote = quote({
      symbol: 'AAPL  250321C00150000',
      bid: '2.5',
      ask: '2.55',
      last: '2.5',
    });
    given(opened('10000', noFees))
      .when(
        place(
          { instrument: option, qty: '2' },
          { market: market({ quote: optQuote, asset: undefined }) },
        ),
      )
      .thenMatches([
        {
          type: 'OrderPlaced',
          data: { order: { symbol: 'AAPL  250321C00150000', reservePrice: '2.601' } },
        },
        {
          type: 'OrderFilled',
          data: {
            multiplier: 100,
            grossAmount: '510',
            cashDelta: '-510',
            position: { qty: '2', costBasis: '510' },
          },
        },
      ]);
  });

  it('options are day-only, simple, market or limit, whole contracts', () => {
    const option = {
      kind: 'option',
      occSymbol: 'AAPL  250117C00150000',
      underlying: 'AAPL',
      multiplier: 100,
    } as const;
    const m = market({ quote: undefined, asset: undefined });
    given(opened())
      .when(
        place(
          { instrument: option, timeInForce: 'gtc', type: 'limit', limitPrice: '1' },
          { market: m },
        ),
      )
      .thenRejects('invalid_time_in_force');
    given(opened())
      .when(place({ instrument: option, type: 'stop', stopPrice: '1' }, { market: m }))
      .thenRejects('instrument_not_supported');
    given(opened())
      .when(
        place({ instrument: option, qty: '1.5', type: 'limit', limitPrice: '1' }, { market: m }),
      )
      .thenRejects('invalid_quantity');
  });
});

describe('risk limits', () => {
  it('position limit: rejects an order that would hold more than the maximum', () => {
    given(opened('100000', { limits: { maxPositionQty: '15' } }))
      .and(place({ qty: '10' }))
      .when(place({ qty: '6' }, { orderId: 'o2', fillId: 'f2' }))
      .thenRejects('position_limit_exceeded');
  });

  it('a reducing order is allowed even above the position limit', () => {
    given(opened('100000'))
      .and(place({ qty: '20' }))
      .and({
        type: 'UpdateSettings',
        data: { settings: { limits: { maxPositionQty: '5' } }, at: '2025-03-03T15:00:00.000Z' },
      })
      .when(place({ side: 'sell', qty: '5' }, { orderId: 'o2', fillId: 'f2' }))
      .thenTypes(['OrderPlaced', 'OrderFilled']);
  });

  it('per-order notional limit', () => {
    given(opened('100000', { limits: { maxOrderNotional: '999' } }))
      .when(place({ qty: '10' }))
      .thenRejects('order_notional_limit_exceeded');
  });

  it('gross exposure limit counts existing positions at cost', () => {
    given(opened('100000', { limits: { maxGrossExposure: '1500' } }))
      .and(place({ qty: '10' }))
      .when(place({ qty: '5' }, { orderId: 'o2', fillId: 'f2' }))
      .thenRejects('exposure_limit_exceeded');
  });
});
