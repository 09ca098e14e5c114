import { expect } from 'chai';
import { buyingPower, fold } from '../../../src/domain/account/index.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';

const limitBuy = (
  limitPrice: string,
  extra: Parameters<typeof place>[0] = {},
): ReturnType<typeof place> => place({ type: 'limit', limitPrice, ...extra });

describe('limit orders', () => {
  it('a marketable buy limit fills at the ask, the better of quote and limit', () => {
    given(opened())
      .when(limitBuy('101'))
      .thenMatches([
        { type: 'OrderPlaced', data: { order: { status: 'new', reservePrice: '101' } } },
        { type: 'OrderFilled', data: { price: '100.01', model: { limitPrice: '101' } } },
      ]);
  });

  it('a marketable sell limit fills at the bid when the bid is above the limit', () => {
    given(opened())
      .and(place({ qty: '10' }))
      .when(
        place({ side: 'sell', type: 'limit', limitPrice: '95' }, { orderId: 'o2', fillId: 'f2' }),
      )
      .thenMatches([{ type: 'OrderPlaced' }, { type: 'OrderFilled', data: { price: '99.99' } }]);
  });

  it('a buy limit below the ask rests, and fills later when the ask comes down to it', () => {
    const rest = given(opened()).when(limitBuy('99.5'));
    rest.thenTypes(['OrderPlaced']);
    const later = given(opened(), rest.events);
    later
      .when({
        type: 'FillOrder',
        data: { orderId: 'o1', fillId: 'f2', market: market({ quote: quote({ ask: '99.6' }) }) },
      })
      .thenThrows('order_not_fillable');
    later
      .when({
        type: 'FillOrder',
        data: {
          orderId: 'o1',
          fillId: 'f2',
          market: market({ quote: quote({ bid: '99.3', ask: '99.4' }) }),
        },
      })
      .thenMatches([{ type: 'OrderFilled', data: { price: '99.4', orderStatus: 'filled' } }]);
  });

  it('slippage never pushes a limit fill through the limit', () => {
    const settings = { fillModel: { slippage: { kind: 'fixed_bps' as const, bps: '50' } } };
    given(opened('100000', settings))
      .when(limitBuy('100.1'))
      .thenMatches([
        { type: 'OrderPlaced' },
        { type: 'OrderFilled', data: { price: '100.1', model: { basePrice: '100.01' } } },
      ]);
  });

  it('sub-penny price: a limit of 10.005 is rejected with invalid_tick_size', () => {
    given(opened()).when(limitBuy('10.005')).thenRejects('invalid_tick_size');
  });

  it('sub-dollar prices may use four decimals but not five', () => {
    const penny = market({
      quote: quote({ symbol: 'AAPL', bid: '0.5', ask: '0.5002', last: '0.5001' }),
    });
    given(opened()).when(limitBuy('0.5001', {})).thenTypes(['OrderPlaced']);
    given(opened())
      .when(place({ type: 'limit', limitPrice: '0.50015' }, { market: penny }))
      .thenRejects('invalid_tick_size');
  });

  it('rejects a limit order without a positive limit price', () => {
    given(opened())
      .when(place({ type: 'limit' }))
      .thenRejects('invalid_price');
    given(opened()).when(limitBuy('-1')).thenRejects('invalid_price');
  });

  it('extended hours: a day limit works in the pre-market and can fill there', () => {
    const pre = market({ now: '2025-03-03T12:00:00.000Z', phase: 'pre' });
    given(opened())
      .when(limitBuy('101', { extendedHours: true }))
      .thenTypes(['OrderPlaced', 'OrderFilled']);
    given(opened())
      .when(place({ type: 'limit', limitPrice: '101', extendedHours: true }, { market: pre }))
      .thenMatches([
        { type: 'OrderPlaced', data: { order: { status: 'new', extendedHours: true } } },
        { type: 'OrderFilled' },
      ]);
  });

  it('without extended hours a limit placed in the post-market is queued, not filled', () => {
    const post = market({ now: '2025-03-03T22:00:00.000Z', phase: 'post' });
    given(opened())
      .when(place({ type: 'limit', limitPrice: '101' }, { market: post }))
      .thenMatches([{ type: 'OrderPlaced', data: { order: { status: 'accepted' } } }]);
  });

  const badExtended: [string, Parameters<typeof place>[0]][] = [
    ['a market order', { extendedHours: true }],
    ['a gtc limit', { type: 'limit', limitPrice: '100', timeInForce: 'gtc', extendedHours: true }],
  ];
  for (const [what, request] of badExtended) {
    it(`extended hours is refused for ${what}`, () => {
      given(opened()).when(place(request)).thenRejects('invalid_extended_hours');
    });
  }

  it('gtc limits rest like day limits and are never expired', () => {
    const rest = given(opened()).when(limitBuy('90', { timeInForce: 'gtc' }));
    rest.thenTypes(['OrderPlaced']);
    given(opened(), rest.events)
      .when({
        type: 'ExpireOrder',
        data: { orderId: 'o1', market: market({ now: '2025-03-04T21:00:00.000Z' }) },
      })
      .thenThrows('order_not_expirable');
  });

  it('an IOC limit that is not marketable is canceled at once', () => {
    given(opened())
      .when(limitBuy('99', { timeInForce: 'ioc' }))
      .thenMatches([
        { type: 'OrderPlaced' },
        { type: 'OrderCanceled', data: { reason: 'ioc_remainder' } },
      ]);
  });

  it('an FOK limit that is not marketable is rejected', () => {
    given(opened())
      .when(limitBuy('99', { timeInForce: 'fok' }))
      .thenRejects('fok_not_fillable');
  });

  it('reserves the limit price and releases it when the order fills', () => {
    const rest = given(opened('1000')).and(limitBuy('90', { qty: '10' }));
    expect(buyingPower(fold(rest.events)).toString()).to.equal('100');
    const filled = rest.when({
      type: 'FillOrder',
      data: {
        orderId: 'o1',
        fillId: 'f2',
        market: market({ quote: quote({ bid: '89', ask: '89.5' }) }),
      },
    }).state;
    expect(filled.cash).to.equal('105');
    expect(buyingPower(filled).toString()).to.equal('105');
  });
});
