import { expect } from 'chai';
import {
  allOrders,
  buyingPower,
  findOrderByClientOrderId,
  fold,
  initialState,
  isOrderIdUsed,
  orderById,
  orderIdOfClientOrderId,
  rejectionById,
  reviveState,
  type AccountState,
} from '../../../src/domain/account/index.ts';
import { AppendMap } from '../../../src/domain/append-map.ts';
import { given, market, NOW, opened, place, quote } from './spec-helper.ts';

const LATER = '2025-03-03T16:00:00.000Z';
const resting = (orderId: string, clientOrderId?: string) =>
  place(
    {
      type: 'limit',
      limitPrice: '99',
      qty: '10',
      ...(clientOrderId === undefined ? {} : { clientOrderId }),
    },
    { orderId, fillId: null },
  );

describe('account state: open orders only, terminal orders in an append-only map', () => {
  it('evolve moves an order out of `orders` when it reaches a terminal status', () => {
    const h = given(opened('100000'))
      .and(place({}, { orderId: 'filled' }))
      .and(resting('open'))
      .and(resting('gone'))
      .and({ type: 'CancelOrder', data: { orderId: 'gone', at: LATER } })
      .and(resting('old'))
      .and({
        type: 'ReplaceOrder',
        data: {
          orderId: 'old',
          newOrderId: 'new',
          changes: { limitPrice: '98' },
          market: market(),
        },
      })
      .and(place({ qty: '1000000' }, { orderId: 'refused' }));
    const s = fold(h.events);
    expect(Object.keys(s.orders).sort()).to.deep.equal(['new', 'open']);
    expect([...s.terminalOrders.keys()]).to.deep.equal(['filled', 'gone', 'old']);
    expect(s.terminalOrders.get('filled')?.status).to.equal('filled');
    expect(s.terminalOrders.get('gone')?.status).to.equal('canceled');
    expect(s.terminalOrders.get('old')).to.include({ status: 'replaced', replacedBy: 'new' });
    expect(s.rejections.get('refused')?.reason).to.equal('insufficient_buying_power');
    expect(s.orders['refused']).to.equal(undefined);
    // Buying power: only the two resting buys reserve.
    expect(buyingPower(s).toString()).to.equal(
      buyingPower({ ...s, orders: {} })
        .minus('990')
        .minus('980')
        .toString(),
    );
  });

  it('lookups answer open and finished orders, rejections and client order ids', () => {
    const h = given(opened('100000'))
      .and(place({ clientOrderId: 'mkt' }, { orderId: 'o1' }))
      .and(resting('o2', 'lim'))
      .and(place({ qty: '1000000', clientOrderId: 'big' }, { orderId: 'o3' }));
    const s = fold(h.events);
    expect(orderById(s, 'o1')?.status).to.equal('filled');
    expect(orderById(s, 'o2')?.status).to.equal('new');
    expect(orderById(s, 'o3')).to.equal(undefined);
    expect(rejectionById(s, 'o3')?.clientOrderId).to.equal('big');
    expect(rejectionById(s, 'o1')).to.equal(undefined);
    expect(allOrders(s).map((o) => o.id)).to.deep.equal(['o1', 'o2']);
    expect(orderIdOfClientOrderId(s, 'mkt')).to.equal('o1');
    expect(orderIdOfClientOrderId(s, 'big')).to.equal('o3');
    expect(orderIdOfClientOrderId(s, 'never')).to.equal(undefined);
    for (const id of ['o1', 'o2', 'o3']) expect(isOrderIdUsed(s, id), id).to.equal(true);
    expect(isOrderIdUsed(s, 'o4')).to.equal(false);
    expect(findOrderByClientOrderId(s, 'mkt')?.order?.status).to.equal('filled');
    expect(findOrderByClientOrderId(s, 'big')).to.deep.include({ orderId: 'o3', order: undefined });
    expect(findOrderByClientOrderId(s, 'big')?.rejection?.reason).to.equal(
      'insufficient_buying_power',
    );
  });

  it('finished orders still answer commands with their own reasons, and their ids stay used', () => {
    const h = given(opened('100000'))
      .and(place({ clientOrderId: 'first' }, { orderId: 'o1' }))
      .and(place({ qty: '1000000', clientOrderId: 'big' }, { orderId: 'o2' }));
    h.when({ type: 'CancelOrder', data: { orderId: 'o1', at: LATER } }).thenThrows(
      'order_not_cancelable',
    );
    h.when({
      type: 'ReplaceOrder',
      data: { orderId: 'o1', newOrderId: 'o9', changes: {}, market: market() },
    }).thenThrows('order_not_replaceable');
    h.when({ type: 'CancelOrder', data: { orderId: 'nope', at: LATER } }).thenThrows(
      'order_not_found',
    );
    // The same client order id (filled or rejected) answers with nothing: the original stands.
    h.when(place({ clientOrderId: 'first' }, { orderId: 'o3' })).thenNothing();
    h.when(place({ clientOrderId: 'big' }, { orderId: 'o3' })).thenNothing();
    // Order ids of finished and rejected orders are never reused.
    h.when(place({ clientOrderId: 'x' }, { orderId: 'o1' })).thenThrows('duplicate_order_id');
    h.when(place({ clientOrderId: 'y' }, { orderId: 'o2' })).thenThrows('duplicate_order_id');
  });

  it('client order ids named like Object.prototype members are ordinary ids', () => {
    let h = given(opened('100000'));
    for (const [i, id] of ['constructor', '__proto__', 'toString', 'hasOwnProperty'].entries()) {
      const command = resting(`p${String(i)}`, id);
      h.when(command).thenTypes(['OrderPlaced']);
      h = h.and(command);
      h.when(resting(`again${String(i)}`, id)).thenNothing();
    }
    const s = fold(h.events);
    expect(findOrderByClientOrderId(s, '__proto__')?.order?.id).to.equal('p1');
    expect(findOrderByClientOrderId(s, 'constructor')?.orderId).to.equal('p0');
    expect(findOrderByClientOrderId(s, 'valueOf')).to.equal(undefined);
    expect(orderById(s, 'constructor')).to.equal(undefined);
    expect(isOrderIdUsed(s, '__proto__')).to.equal(false);
  });

  it('a state survives a JSON round trip, and a state stored with terminal orders is migrated', () => {
    const h = given(opened('100000'))
      .and(place({}, { orderId: 'o1' }))
      .and(resting('o2'))
      .and(place({ qty: '1000000' }, { orderId: 'o3' }));
    const s = fold(h.events);
    const back = reviveState(JSON.parse(JSON.stringify(s)) as AccountState);
    expect(back).to.deep.equal(s);
    expect(back.terminalOrders).to.be.instanceOf(AppendMap);
    // The shape before terminal orders moved out: every order in `orders`, plain objects.
    const filled = s.terminalOrders.get('o1');
    const legacy = {
      ...JSON.parse(JSON.stringify(s)),
      orders: { o1: filled, o2: s.orders['o2'] },
      terminalOrders: undefined,
    } as unknown as AccountState;
    const migrated = reviveState(legacy);
    expect(Object.keys(migrated.orders)).to.deep.equal(['o2']);
    expect(migrated.terminalOrders.get('o1')).to.deep.equal(filled);
    expect(findOrderByClientOrderId(migrated, 'o3')?.rejection?.reason).to.equal(
      'insufficient_buying_power',
    );
    // And it folds on like the original.
    const next = given(opened('100000')).and(resting('o4')).events.slice(-1);
    expect(fold(next, migrated)).to.deep.equal(fold(next, s));
  });

  it('folding again from an older state (a retry) leaves the newer state as it was', () => {
    const base = fold(given(opened('100000')).and(place({}, { orderId: 'o1' })).events);
    const first = given(opened('100000'))
      .and(place({}, { orderId: 'o1' }))
      .and(place({ clientOrderId: 'c2' }, { orderId: 'o2' }));
    const newer = fold(first.events.slice(-2), base);
    const second = decideAgain(base, 'o3', 'c2');
    expect(orderById(newer, 'o2')?.status).to.equal('filled');
    expect(orderById(newer, 'o3')).to.equal(undefined);
    expect(orderIdOfClientOrderId(newer, 'c2')).to.equal('o2');
    expect(orderById(second, 'o3')?.status).to.equal('filled');
    expect(orderById(second, 'o2')).to.equal(undefined);
    expect(orderIdOfClientOrderId(second, 'c2')).to.equal('o3');
    expect(orderById(base, 'o2')).to.equal(undefined);
    expect(base.terminalOrders.size).to.equal(1);
  });

  it('an account reset forgets every order', () => {
    const h = given(opened('100000'))
      .and(place({}, { orderId: 'o1' }))
      .and({ type: 'ResetAccount', data: { initialCash: '5000', at: LATER } });
    const s = fold(h.events);
    expect(s.orders).to.deep.equal({});
    expect(s.terminalOrders.size).to.equal(0);
    expect(s.clientOrderIds.size).to.equal(0);
    expect(initialState().terminalOrders.size).to.equal(0);
  });
});

/** Folds the placement of `orderId` (client order id `clientOrderId`) onto `state`. */
function decideAgain(state: AccountState, orderId: string, clientOrderId: string): AccountState {
  const events = given(opened('100000'))
    .and(place({ clientOrderId }, { orderId, market: market({ quote: quote(), now: NOW }) }))
    .events.slice(-2);
  return fold(events, state);
}
