import { expect } from 'chai';
import {
  evaluateAccount,
  evaluateOrder,
  fold,
  type AccountState,
} from '../../../src/domain/account/index.ts';
import { CLOSE, given, market, opened, place, quote } from './spec-helper.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';

const stateOf = (g: ReturnType<typeof given>): AccountState => fold(g.events);
const evaluate = (
  s: AccountState,
  id: string,
  m: ReturnType<typeof market>,
): ReturnType<typeof evaluateOrder> => {
  const order = orderById(s, id);
  if (order === undefined) throw new Error(`no order ${id}`);
  return evaluateOrder(order, s.settings, m);
};

describe('evaluateOrder (what the engine should do on a quote)', () => {
  const long = given(opened()).and(place({ qty: '100' }, { orderId: 'buy' }));

  it('says fill, with quantity and price, for a resting limit the market reached', () => {
    const s = stateOf(
      given(opened()).and(place({ type: 'limit', limitPrice: '99', qty: '300' }, { fillId: null })),
    );
    expect(evaluate(s, 'o1', market())).to.deep.equal({ action: 'none' });
    expect(
      evaluate(s, 'o1', market({ quote: quote({ ask: '98.9', askSize: 120 }) })),
    ).to.deep.equal({
      action: 'fill',
      qty: '120',
      price: '98.9',
    });
    expect(
      evaluate(s, 'o1', market({ halted: true, quote: quote({ ask: '98.9' }) })),
    ).to.deep.equal({ action: 'none' });
    expect(evaluate(s, 'o1', market({ quote: quote({ symbol: 'MSFT', ask: '1' }) }))).to.deep.equal(
      { action: 'none' },
    );
  });

  it('says expire at the close before anything else', () => {
    const s = stateOf(
      given(opened()).and(place({ type: 'limit', limitPrice: '99' }, { fillId: null })),
    );
    expect(evaluate(s, 'o1', market({ now: CLOSE, quote: quote({ ask: '98' }) }))).to.deep.equal({
      action: 'expire',
      reason: 'session_close',
    });
  });

  it('says trigger (with the fill it would make) when a stop is hit, including a gap', () => {
    const s = stateOf(
      long.and(
        place({ side: 'sell', type: 'stop', stopPrice: '95', qty: '100' }, { orderId: 's' }),
      ),
    );
    expect(evaluate(s, 's', market())).to.deep.equal({ action: 'none' });
    expect(
      evaluate(
        s,
        's',
        market({ quote: quote({ bid: '90', ask: '90.1', last: '90.05', bidSize: 40 }) }),
      ),
    ).to.deep.equal({
      action: 'trigger',
      triggerPrice: '90.05',
      fill: { qty: '40', price: '90' },
    });
    expect(
      evaluate(s, 's', market({ quote: quote({ bid: '0', ask: '90.1', last: '90.05' }) })),
    ).to.deep.equal({
      action: 'trigger',
      triggerPrice: '90.05',
      fill: null,
    });
  });

  it('checks a trailing stop before ratcheting it, and ratchets on new highs only', () => {
    const s = stateOf(
      long.and(
        place(
          { side: 'sell', type: 'trailing_stop', trailPrice: '2', qty: '100' },
          { orderId: 't' },
        ),
      ),
    );
    expect(evaluate(s, 't', market({ quote: quote({ last: '103' }) }))).to.deep.equal({
      action: 'update_water_mark',
      hwm: '103',
      stopPrice: '101',
    });
    expect(evaluate(s, 't', market({ quote: quote({ last: '99' }) }))).to.deep.equal({
      action: 'none',
    });
    expect(evaluate(s, 't', market({ quote: quote({ last: '98', bid: '97.9' }) }))).to.deep.include(
      { action: 'trigger' },
    );
    const unmarked = stateOf(
      long.and(
        place(
          { side: 'sell', type: 'trailing_stop', trailPrice: '2', qty: '100' },
          { orderId: 'u', market: market({ quote: undefined }) },
        ),
      ),
    );
    expect(evaluate(unmarked, 'u', market({ quote: quote({ last: '97' }) }))).to.deep.equal({
      action: 'update_water_mark',
      hwm: '97',
      stopPrice: '95',
    });
  });

  it('a triggered stop-limit evaluates like a limit', () => {
    const g = long
      .and(
        place(
          { side: 'sell', type: 'stop_limit', stopPrice: '95', limitPrice: '94.5', qty: '100' },
          { orderId: 's' },
        ),
      )
      .and({
        type: 'TriggerOrder',
        data: { orderId: 's', market: market({ quote: quote({ last: '94', bid: '94' }) }) },
      });
    const s = stateOf(g);
    expect(evaluate(s, 's', market({ quote: quote({ bid: '94.4' }) }))).to.deep.equal({
      action: 'none',
    });
    expect(evaluate(s, 's', market({ quote: quote({ bid: '94.6' }) }))).to.deep.equal({
      action: 'fill',
      qty: '100',
      price: '94.6',
    });
  });

  it('offers the auction print to opg orders before their expiry', () => {
    const pre = market({ now: '2025-03-03T13:00:00.000Z', phase: 'pre' });
    const s = stateOf(given(opened()).and(place({ timeInForce: 'opg' }, { market: pre })));
    const atOpen = market({
      auction: { kind: 'open', price: '100.2', time: '2025-03-03T14:30:00.000Z' },
    });
    expect(evaluate(s, 'o1', atOpen)).to.deep.equal({ action: 'fill', qty: '10', price: '100.2' });
    expect(evaluate(s, 'o1', market())).to.deep.equal({
      action: 'expire',
      reason: 'opening_auction',
    });
  });

  it('ignores terminal and held orders', () => {
    const s = stateOf(
      given(opened())
        .and(place({}, { orderId: 'done' }))
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
        ),
    );
    expect(evaluate(s, 'done', market())).to.deep.equal({ action: 'none' });
    expect(evaluate(s, 'c', market({ quote: quote({ bid: '130' }) }))).to.deep.equal({
      action: 'none',
    });
  });

  it('evaluateAccount lists only orders with something to do, for the quoted symbol', () => {
    const s = stateOf(
      given(opened())
        .and(place({ type: 'limit', limitPrice: '99' }, { orderId: 'a', fillId: null }))
        .and(place({ type: 'limit', limitPrice: '90' }, { orderId: 'b', fillId: null })),
    );
    expect(evaluateAccount(s, market({ quote: quote({ ask: '98' }) }))).to.deep.equal([
      { orderId: 'a', evaluation: { action: 'fill', qty: '10', price: '98' } },
    ]);
    expect(
      evaluateAccount(s, market({ quote: undefined, now: CLOSE })).map((e) => e.orderId),
    ).to.deep.equal(['a', 'b']);
  });
});
