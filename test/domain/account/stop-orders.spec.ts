import { expect } from 'chai';
import { evaluateOrder, fold } from '../../../src/domain/account/index.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';

/** A long 100-share AAPL position bought at 100.01. */
const long100 = given(opened()).and(place({ qty: '100' }, { orderId: 'buy', fillId: 'fb' })).events;

const sellStop = (
  stopPrice: string,
  extra: Parameters<typeof place>[0] = {},
): ReturnType<typeof place> =>
  place({ side: 'sell', type: 'stop', stopPrice, qty: '100', ...extra }, { orderId: 's1' });

const at = (bid: string, ask: string, last: string, sizes = 1000): ReturnType<typeof market> =>
  market({ quote: quote({ bid, ask, last, bidSize: sizes, askSize: sizes, seq: 2 }) });

describe('stop and stop-limit orders', () => {
  it('a stop is placed untriggered and never fills before it triggers', () => {
    const placed = given(long100).when(sellStop('95'));
    placed.thenMatches([
      { type: 'OrderPlaced', data: { order: { type: 'stop', stopPrice: '95', triggered: false } } },
    ]);
    given(long100, placed.events)
      .when({
        type: 'FillOrder',
        data: { orderId: 's1', fillId: 'f2', market: at('94', '94.02', '94') },
      })
      .thenThrows('order_not_fillable');
  });

  it('triggers when the last trade reaches the stop and fills at the bid', () => {
    const h = given(long100).and(sellStop('95'));
    h.when({
      type: 'TriggerOrder',
      data: { orderId: 's1', fillId: 'f2', market: at('94.98', '95.02', '95') },
    }).thenMatches([
      {
        type: 'OrderTriggered',
        data: { stopPrice: '95', triggerPrice: '95', triggerSource: 'last' },
      },
      { type: 'OrderFilled', data: { price: '94.98', qty: '100', orderStatus: 'filled' } },
    ]);
    h.when({
      type: 'TriggerOrder',
      data: { orderId: 's1', fillId: 'f2', market: at('95', '95.02', '95.01') },
    }).thenThrows('order_not_triggerable');
  });

  it('gap through a stop fills at the first quote past the trigger, not at the stop price', () => {
    // Stop at 95; the next quote opens at 90 bid: the fill is 90, five dollars worse than the stop.
    given(long100)
      .and(sellStop('95'))
      .when({
        type: 'TriggerOrder',
        data: { orderId: 's1', fillId: 'f2', market: at('90', '90.05', '90.02') },
      })
      .thenMatches([
        { type: 'OrderTriggered', data: { triggerPrice: '90.02' } },
        { type: 'OrderFilled', data: { price: '90', realizedPnl: '-1001' } },
      ]);
  });

  it('with the bid/ask trigger source a sell stop compares the bid', () => {
    const h = given(opened('100000', { stopTriggerSource: 'bid_ask' }))
      .and(place({ qty: '100' }, { orderId: 'buy', fillId: 'fb' }))
      .and(sellStop('95'));
    // last is below the stop but the bid is not: no trigger
    h.when({
      type: 'TriggerOrder',
      data: { orderId: 's1', market: at('95.01', '95.05', '94') },
    }).thenThrows('order_not_triggerable');
    h.when({
      type: 'TriggerOrder',
      data: { orderId: 's1', market: at('95', '95.05', '96') },
    }).thenMatches([
      { type: 'OrderTriggered', data: { triggerPrice: '95', triggerSource: 'bid_ask' } },
    ]);
  });

  it('a buy stop triggers at or above the stop and fills at the ask', () => {
    given(opened())
      .and(place({ type: 'stop', stopPrice: '105' }, { orderId: 'b1' }))
      .when({
        type: 'TriggerOrder',
        data: { orderId: 'b1', fillId: 'f2', market: at('105.5', '105.6', '105.55') },
      })
      .thenMatches([
        { type: 'OrderTriggered' },
        { type: 'OrderFilled', data: { side: 'buy', price: '105.6' } },
      ]);
  });

  it('a buy stop reserves the stop plus the market buffer', () => {
    const s = given(opened()).when(place({ type: 'stop', stopPrice: '105' })).state;
    expect(orderById(s, 'o1')?.reservePrice).to.equal('107.1');
  });

  it('stop_limit becomes a limit on trigger: no fill beyond the limit, later fill within it', () => {
    const h = given(long100).and(sellStop('95', { type: 'stop_limit', limitPrice: '94.5' }));
    const triggered = h.when({
      type: 'TriggerOrder',
      data: { orderId: 's1', fillId: 'f2', market: at('94', '94.05', '94.1') },
    });
    triggered.thenTypes(['OrderTriggered']);
    expect(orderById(triggered.state, 's1')?.triggered).to.equal(true);
    given(h.events, triggered.events)
      .when({
        type: 'FillOrder',
        data: { orderId: 's1', fillId: 'f3', market: at('94.6', '94.7', '94.6') },
      })
      .thenMatches([
        { type: 'OrderFilled', data: { price: '94.6', model: { limitPrice: '94.5' } } },
      ]);
  });

  it('stop orders do not trigger outside the regular session', () => {
    given(long100)
      .and(sellStop('95'))
      .when({
        type: 'TriggerOrder',
        data: { orderId: 's1', market: market({ phase: 'post', quote: quote({ last: '90' }) }) },
      })
      .thenThrows('order_not_triggerable');
  });

  it('rejects stop orders without a stop price, and stop_limit without a limit', () => {
    given(long100)
      .when(place({ side: 'sell', type: 'stop', qty: '1' }))
      .thenRejects('invalid_price');
    given(long100)
      .when(place({ side: 'sell', type: 'stop_limit', stopPrice: '95', qty: '1' }))
      .thenRejects('invalid_price');
  });

  it('rejects stop orders with ioc, fok, opg or cls', () => {
    for (const timeInForce of ['ioc', 'fok', 'opg', 'cls'] as const) {
      given(long100).when(sellStop('95', { timeInForce })).thenRejects('invalid_time_in_force');
    }
  });
});

describe('trailing stop orders', () => {
  const trailing = (extra: Parameters<typeof place>[0]): ReturnType<typeof place> =>
    place({ side: 'sell', type: 'trailing_stop', qty: '100', ...extra }, { orderId: 't1' });

  it('starts its high-water mark at the last trade and derives the stop', () => {
    given(long100)
      .when(trailing({ trailPrice: '2' }))
      .thenMatches([
        { type: 'OrderPlaced', data: { order: { hwm: '100', stopPrice: '98', trailPrice: '2' } } },
      ]);
    given(long100)
      .when(trailing({ trailPercent: '2.5' }))
      .thenMatches([
        {
          type: 'OrderPlaced',
          data: { order: { hwm: '100', stopPrice: '97.5', trailPercent: '2.5' } },
        },
      ]);
  });

  it('trailing-stop ratchet: the mark rises with the price, never falls, and the stop follows', () => {
    const h = given(long100).and(trailing({ trailPercent: '5' }));
    const up = h.when({
      type: 'UpdateWaterMark',
      data: { orderId: 't1', market: at('109.99', '110.01', '110') },
    });
    up.thenMatches([{ type: 'OrderWaterMarkUpdated', data: { hwm: '110', stopPrice: '104.5' } }]);
    const after = given(h.events, up.events);
    // a lower price never lowers the mark
    after
      .when({
        type: 'UpdateWaterMark',
        data: { orderId: 't1', market: at('105.99', '106.01', '106') },
      })
      .thenNothing();
    // the engine's evaluation agrees: below the mark but above the stop → nothing to do
    const order = orderById(fold(after.events), 't1');
    expect(
      order && evaluateOrder(order, fold(after.events).settings, at('105.99', '106.01', '106')),
    ).to.deep.equal({
      action: 'none',
    });
    // falling through the ratcheted stop triggers, filling at the bid
    after
      .when({
        type: 'TriggerOrder',
        data: { orderId: 't1', fillId: 'f9', market: at('104.4', '104.45', '104.5') },
      })
      .thenMatches([
        { type: 'OrderTriggered', data: { stopPrice: '104.5', triggerPrice: '104.5' } },
        { type: 'OrderFilled', data: { price: '104.4' } },
      ]);
  });

  it('a buy trailing stop keeps a low-water mark that only falls', () => {
    const h = given(opened()).and(
      place({ type: 'trailing_stop', trailPrice: '1', qty: '10' }, { orderId: 't1' }),
    );
    expect(orderById(fold(h.events), 't1')).to.include({ hwm: '100', stopPrice: '101' });
    h.when({
      type: 'UpdateWaterMark',
      data: { orderId: 't1', market: at('95', '95.02', '95') },
    }).thenMatches([{ type: 'OrderWaterMarkUpdated', data: { hwm: '95', stopPrice: '96' } }]);
    h.when({
      type: 'UpdateWaterMark',
      data: { orderId: 't1', market: at('100.5', '100.52', '100.5') },
    }).thenNothing();
  });

  it('without a quote at placement, the first water-mark update sets the mark', () => {
    const h = given(long100).and(
      place(
        { side: 'sell', type: 'trailing_stop', trailPrice: '3', qty: '100' },
        { orderId: 't1', market: market({ quote: undefined }) },
      ),
    );
    expect(orderById(fold(h.events), 't1')).to.include({ hwm: null, stopPrice: null });
    h.when({
      type: 'TriggerOrder',
      data: { orderId: 't1', market: at('1', '1.01', '1') },
    }).thenThrows('order_not_triggerable');
    h.when({
      type: 'UpdateWaterMark',
      data: { orderId: 't1', market: at('99', '99.02', '99') },
    }).thenMatches([{ type: 'OrderWaterMarkUpdated', data: { hwm: '99', stopPrice: '96' } }]);
  });

  it('a buy trailing stop needs a quote to reserve buying power', () => {
    given(opened())
      .when(
        place({ type: 'trailing_stop', trailPrice: '1' }, { market: market({ quote: undefined }) }),
      )
      .thenRejects('no_quote');
  });

  it('rejects both or neither trail, and percentages outside (0, 100)', () => {
    given(long100).when(trailing({})).thenRejects('invalid_trail');
    given(long100)
      .when(trailing({ trailPrice: '1', trailPercent: '1' }))
      .thenRejects('invalid_trail');
    given(long100)
      .when(trailing({ trailPercent: '100' }))
      .thenRejects('invalid_trail');
    given(long100)
      .when(trailing({ trailPercent: 'x' }))
      .thenRejects('invalid_trail');
  });

  it('water marks apply only to live, untriggered trailing stops', () => {
    given(long100)
      .and(sellStop('95'))
      .when({ type: 'UpdateWaterMark', data: { orderId: 's1', market: at('99', '99.02', '99') } })
      .thenThrows('water_mark_not_applicable');
  });
});
