import { expect } from 'chai';
import { buyingPower, evolve, fold } from '../../../src/domain/account/index.ts';
import { CLOSE, given, market, NOW, opened, place, quote } from './spec-helper.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';

const LATER = '2025-03-03T16:00:00.000Z';
const restingBuy = place({ type: 'limit', limitPrice: '99', qty: '300' }, { fillId: null });
const partialQuote = market({ quote: quote({ ask: '99', askSize: 100 }) });
const partFill = {
  type: 'FillOrder',
  data: { orderId: 'o1', fillId: 'f1', market: partialQuote },
} as const;

describe('order lifecycle', () => {
  describe('cancel', () => {
    it('cancels an open order and releases its reservation', () => {
      const h = given(opened('100000')).and(restingBuy);
      expect(buyingPower(fold(h.events)).toString()).to.equal('70300');
      const outcome = h.when({ type: 'CancelOrder', data: { orderId: 'o1', at: LATER } });
      outcome.then([{ type: 'OrderCanceled', data: { orderId: 'o1', reason: 'user', at: LATER } }]);
      expect(buyingPower(outcome.state).toString()).to.equal('100000');
    });

    it('partial fills then cancel: the filled part stays, the rest is released', () => {
      const h = given(opened('100000'))
        .and(restingBuy)
        .and(partFill)
        .and({
          type: 'FillOrder',
          data: { orderId: 'o1', fillId: 'f2', market: partialQuote },
        });
      const s0 = fold(h.events);
      expect(orderById(s0, 'o1')).to.include({ status: 'partially_filled', filledQty: '200' });
      const outcome = h.when({ type: 'CancelOrder', data: { orderId: 'o1', at: LATER } });
      outcome.thenTypes(['OrderCanceled']);
      const s = outcome.state;
      expect(orderById(s, 'o1')).to.include({ status: 'canceled', filledQty: '200' });
      expect(s.positions['AAPL']).to.deep.include({ qty: '200', costBasis: '19800' });
      expect(s.cash).to.equal('80200');
      expect(buyingPower(s).toString()).to.equal('80200');
    });

    it('refuses to cancel an unknown order', () => {
      given(opened())
        .when({ type: 'CancelOrder', data: { orderId: 'nope', at: LATER } })
        .thenThrows('order_not_found');
    });

    it('refuses to cancel a terminal order', () => {
      given(opened())
        .and(place())
        .when({ type: 'CancelOrder', data: { orderId: 'o1', at: LATER } })
        .thenThrows('order_not_cancelable');
    });

    it('cancel all cancels every open order, legs included, and nothing else', () => {
      given(opened())
        .and(place({}, { orderId: 'filled' }))
        .and(restingBuy)
        .and(
          place(
            {
              orderClass: 'oto',
              type: 'limit',
              limitPrice: '90',
              takeProfit: { limitPrice: '120' },
            },
            { orderId: 'p', legOrderIds: ['c'], fillId: null },
          ),
        )
        .when({ type: 'CancelAllOrders', data: { at: LATER } })
        .thenMatches([
          { type: 'OrderCanceled', data: { orderId: 'o1', reason: 'cancel_all' } },
          { type: 'OrderCanceled', data: { orderId: 'p', reason: 'cancel_all' } },
          { type: 'OrderCanceled', data: { orderId: 'c', reason: 'cancel_all' } },
        ]);
    });
  });

  describe('replace', () => {
    it('replaces an open order: new id, old becomes replaced, links kept', () => {
      const outcome = given(opened())
        .and(restingBuy)
        .when({
          type: 'ReplaceOrder',
          data: {
            orderId: 'o1',
            newOrderId: 'o2',
            changes: { limitPrice: '98.5', qty: '100' },
            market: market({ now: LATER }),
          },
        });
      outcome.thenMatches([
        {
          type: 'OrderReplaced',
          data: {
            orderId: 'o1',
            replacedBy: 'o2',
            newOrder: {
              id: 'o2',
              clientOrderId: 'o2',
              replaces: 'o1',
              qty: '100',
              limitPrice: '98.5',
              status: 'new',
            },
          },
        },
      ]);
      expect(orderById(outcome.state, 'o1')).to.include({ status: 'replaced', replacedBy: 'o2' });
      expect(buyingPower(outcome.state).toString()).to.equal('90150');
    });

    it('replace of a partially filled order: the new order is for the remaining quantity', () => {
      const outcome = given(opened())
        .and(restingBuy)
        .and(partFill)
        .when({
          type: 'ReplaceOrder',
          data: {
            orderId: 'o1',
            newOrderId: 'o2',
            changes: { limitPrice: '99.5' },
            market: market({ now: LATER }),
          },
        });
      outcome.thenMatches([
        {
          type: 'OrderReplaced',
          data: { newOrder: { qty: '200', filledQty: '0', limitPrice: '99.5' } },
        },
      ]);
      expect(orderById(outcome.state, 'o1')).to.include({ status: 'replaced', filledQty: '100' });
      expect(outcome.state.positions['AAPL']?.qty).to.equal('100');
    });

    it('a replacement that becomes marketable fills at once when given a fill id', () => {
      given(opened())
        .and(restingBuy)
        .when({
          type: 'ReplaceOrder',
          data: {
            orderId: 'o1',
            newOrderId: 'o2',
            fillId: 'f9',
            changes: { limitPrice: '101' },
            market: market(),
          },
        })
        .thenMatches([
          { type: 'OrderReplaced' },
          { type: 'OrderFilled', data: { orderId: 'o2', price: '100.01', qty: '300' } },
        ]);
    });

    it('a replacement that fails pre-trade checks is rejected and the old order keeps working', () => {
      const outcome = given(opened('30000'))
        .and(restingBuy)
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 'o1', newOrderId: 'o2', changes: { qty: '400' }, market: market() },
        });
      outcome.thenMatches([
        {
          type: 'OrderRejected',
          data: { orderId: 'o2', reason: 'insufficient_buying_power', replaces: 'o1' },
        },
      ]);
      expect(orderById(outcome.state, 'o1')?.status).to.equal('new');
    });

    it('rejects a sub-penny replacement price and changes that do not fit the order type', () => {
      const h = given(opened()).and(restingBuy);
      const replace = (changes: object): Parameters<typeof h.when>[0] => ({
        type: 'ReplaceOrder',
        data: { orderId: 'o1', newOrderId: 'o2', changes, market: market() },
      });
      h.when(replace({ limitPrice: '98.123' })).thenRejects('invalid_tick_size');
      h.when(replace({ stopPrice: '98' })).thenRejects('invalid_price');
      h.when(replace({ trail: '1' })).thenRejects('invalid_trail');
      h.when(replace({ qty: '0' })).thenRejects('invalid_quantity');
    });

    it('refuses to replace a terminal or unknown order, or to reuse ids', () => {
      const filled = given(opened()).and(place());
      filled
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 'o1', newOrderId: 'o2', changes: {}, market: market() },
        })
        .thenThrows('order_not_replaceable');
      filled
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 'zz', newOrderId: 'o2', changes: {}, market: market() },
        })
        .thenThrows('order_not_found');
      const resting = given(opened())
        .and(restingBuy)
        .and(place({ type: 'limit', limitPrice: '1', clientOrderId: 'taken' }, { orderId: 'o3' }));
      resting
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 'o1', newOrderId: 'o3', changes: {}, market: market() },
        })
        .thenThrows('duplicate_order_id');
      resting
        .when({
          type: 'ReplaceOrder',
          data: {
            orderId: 'o1',
            newOrderId: 'o4',
            changes: { clientOrderId: 'taken' },
            market: market(),
          },
        })
        .thenThrows('duplicate_client_order_id');
    });

    it('replacing a trailing stop trail recomputes the stop from the kept water mark', () => {
      given(opened())
        .and(place({ qty: '10' }, { orderId: 'b' }))
        .and(
          place(
            { side: 'sell', type: 'trailing_stop', trailPrice: '2', qty: '10' },
            { orderId: 't' },
          ),
        )
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 't', newOrderId: 't2', changes: { trail: '3' }, market: market() },
        })
        .thenMatches([
          {
            type: 'OrderReplaced',
            data: { newOrder: { hwm: '100', trailPrice: '3', stopPrice: '97' } },
          },
        ]);
    });

    it('replacing a held bracket leg keeps it held and re-links the parent', () => {
      const outcome = given(opened())
        .and(
          place(
            {
              orderClass: 'bracket',
              type: 'limit',
              limitPrice: '99',
              takeProfit: { limitPrice: '110' },
              stopLoss: { stopPrice: '95' },
            },
            { orderId: 'p', legOrderIds: ['tp', 'sl'], fillId: null },
          ),
        )
        .when({
          type: 'ReplaceOrder',
          data: {
            orderId: 'tp',
            newOrderId: 'tp2',
            changes: { limitPrice: '112' },
            market: market(),
          },
        });
      outcome.thenMatches([
        {
          type: 'OrderReplaced',
          data: { newOrder: { status: 'held', ocoGroupId: 'p', parentId: 'p' } },
        },
      ]);
      expect(orderById(outcome.state, 'p')?.legIds).to.deep.equal(['tp2', 'sl']);
    });

    it('replacing a bracket parent moves its legs to the new parent', () => {
      const outcome = given(opened())
        .and(
          place(
            {
              orderClass: 'bracket',
              type: 'limit',
              limitPrice: '99',
              takeProfit: { limitPrice: '110' },
              stopLoss: { stopPrice: '95' },
            },
            { orderId: 'p', legOrderIds: ['tp', 'sl'], fillId: null },
          ),
        )
        .when({
          type: 'ReplaceOrder',
          data: { orderId: 'p', newOrderId: 'p2', changes: { limitPrice: '98' }, market: market() },
        });
      expect(orderById(outcome.state, 'tp')?.parentId).to.equal('p2');
      expect(orderById(outcome.state, 'p2')?.legIds).to.deep.equal(['tp', 'sl']);
    });
  });

  describe('expire', () => {
    const expire = (orderId: string, now: string, extra: Parameters<typeof market>[0] = {}) =>
      ({ type: 'ExpireOrder', data: { orderId, market: market({ now, ...extra }) } }) as const;

    it('expires a day order at the session close', () => {
      const h = given(opened()).and(restingBuy);
      h.when(expire('o1', '2025-03-03T20:59:59.000Z')).thenThrows('order_not_expirable');
      h.when(expire('o1', CLOSE, { phase: 'post' })).then([
        { type: 'OrderExpired', data: { orderId: 'o1', reason: 'session_close', at: CLOSE } },
      ]);
    });

    it('early close: a day order expires at 13:00 New York on the day after Thanksgiving', () => {
      const earlyClose = '2025-11-28T18:00:00.000Z';
      const day = market({
        now: '2025-11-28T15:00:00.000Z',
        sessionOpen: '2025-11-28T14:30:00.000Z',
        sessionClose: earlyClose,
      });
      const h = given(opened()).and(
        place({ type: 'limit', limitPrice: '90' }, { market: day, fillId: null }),
      );
      h.when({
        type: 'ExpireOrder',
        data: { orderId: 'o1', market: { ...day, now: '2025-11-28T17:59:00.000Z' } },
      }).thenThrows('order_not_expirable');
      h.when({
        type: 'ExpireOrder',
        data: { orderId: 'o1', market: { ...day, now: earlyClose, phase: 'post' } },
      }).thenMatches([{ type: 'OrderExpired', data: { reason: 'session_close' } }]);
    });

    it('a day order placed after the close waits for the next session close', () => {
      const post = market({ now: '2025-03-03T22:00:00.000Z', phase: 'post' });
      const h = given(opened()).and(place({ type: 'limit', limitPrice: '90' }, { market: post }));
      h.when({
        type: 'ExpireOrder',
        data: { orderId: 'o1', market: { ...post, now: '2025-03-03T23:00:00.000Z' } },
      }).thenThrows('order_not_expirable');
      h.when(
        expire('o1', '2025-03-04T21:00:00.000Z', {
          sessionOpen: '2025-03-04T14:30:00.000Z',
          sessionClose: '2025-03-04T21:00:00.000Z',
        }),
      ).thenTypes(['OrderExpired']);
    });

    it('an extended-hours day order lives through the post-market', () => {
      const h = given(opened()).and(
        place({ type: 'limit', limitPrice: '90', extendedHours: true }),
      );
      h.when(expire('o1', CLOSE)).thenThrows('order_not_expirable');
      h.when(expire('o1', '2025-03-04T01:00:00.000Z', { phase: 'closed' })).thenMatches([
        { type: 'OrderExpired', data: { reason: 'extended_close' } },
      ]);
    });

    it('expiring a bracket entry cancels its held exits', () => {
      given(opened())
        .and(
          place(
            {
              orderClass: 'bracket',
              type: 'limit',
              limitPrice: '99',
              takeProfit: { limitPrice: '110' },
              stopLoss: { stopPrice: '95' },
            },
            { orderId: 'p', legOrderIds: ['tp', 'sl'], fillId: null },
          ),
        )
        .when(expire('p', CLOSE))
        .thenMatches([
          { type: 'OrderExpired', data: { orderId: 'p' } },
          { type: 'OrderCanceled', data: { orderId: 'tp', reason: 'parent_expired' } },
          { type: 'OrderCanceled', data: { orderId: 'sl', reason: 'parent_expired' } },
        ]);
    });

    it('refuses to expire a terminal order', () => {
      given(opened()).and(place()).when(expire('o1', CLOSE)).thenThrows('order_not_expirable');
    });
  });

  describe('auction orders (opg, cls)', () => {
    const pre = market({ now: '2025-03-03T13:00:00.000Z', phase: 'pre' });
    const openPrint = { kind: 'open', price: '100.5', time: '2025-03-03T14:30:00.000Z' } as const;

    it('opg: accepted before the open, filled whole at the opening print', () => {
      const h = given(opened()).and(place({ timeInForce: 'opg' }, { market: pre }));
      expect(orderById(fold(h.events), 'o1')?.status).to.equal('accepted');
      h.when({
        type: 'FillOrder',
        data: {
          orderId: 'o1',
          fillId: 'fa',
          market: market({
            now: '2025-03-03T14:30:00.000Z',
            auction: openPrint,
            quote: quote({ askSize: 1 }),
          }),
        },
      }).thenMatches([
        {
          type: 'OrderFilled',
          data: {
            qty: '10',
            price: '100.5',
            auction: openPrint,
            quote: null,
            model: { partialFillRule: 'auction' },
          },
        },
      ]);
    });

    it('opg: rejected once the session is open; a limit opg not met by the print expires after the open', () => {
      given(opened())
        .when(place({ timeInForce: 'opg' }))
        .thenRejects('auction_closed');
      const h = given(opened()).and(
        place({ timeInForce: 'opg', type: 'limit', limitPrice: '100' }, { market: pre }),
      );
      h.when({
        type: 'FillOrder',
        data: { orderId: 'o1', fillId: 'fa', market: market({ auction: openPrint }) },
      }).thenThrows('order_not_fillable');
      h.when({
        type: 'ExpireOrder',
        data: { orderId: 'o1', market: market({ auction: openPrint }) },
      }).thenMatches([{ type: 'OrderExpired', data: { reason: 'opening_auction' } }]);
    });

    it('cls: accepted during the day, not filled by quotes, filled at the closing print', () => {
      const h = given(opened()).and(place({ timeInForce: 'cls' }));
      h.when({
        type: 'FillOrder',
        data: { orderId: 'o1', fillId: 'x', market: market() },
      }).thenThrows('order_not_fillable');
      h.when({
        type: 'FillOrder',
        data: {
          orderId: 'o1',
          fillId: 'fc',
          market: market({ now: CLOSE, auction: { kind: 'close', price: '101', time: CLOSE } }),
        },
      }).thenMatches([{ type: 'OrderFilled', data: { price: '101' } }]);
      given(opened())
        .when(place({ timeInForce: 'cls' }, { market: market({ phase: 'post' }) }))
        .thenRejects('auction_closed');
    });

    it('cls: expires after the close if no closing print filled it', () => {
      given(opened())
        .and(place({ timeInForce: 'cls' }))
        .when({ type: 'ExpireOrder', data: { orderId: 'o1', market: market({ now: CLOSE }) } })
        .thenMatches([{ type: 'OrderExpired', data: { reason: 'closing_auction' } }]);
    });
  });

  it('a terminal order never changes, even if a stray event names it', () => {
    const s = fold(given(opened()).and(place()).events);
    const after = [
      evolve(s, { type: 'OrderCanceled', data: { orderId: 'o1', reason: 'user', at: LATER } }),
      evolve(s, {
        type: 'OrderExpired',
        data: { orderId: 'o1', reason: 'session_close', at: LATER },
      }),
      evolve(s, {
        type: 'OrderActivated',
        data: { orderId: 'o1', parentId: 'x', qty: '1', at: LATER },
      }),
    ];
    for (const state of after) expect(orderById(state, 'o1')).to.deep.equal(orderById(s, 'o1'));
    expect(NOW).to.not.equal(LATER);
  });
});
