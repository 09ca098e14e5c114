import { expect } from 'chai';
import { DEFAULT_FILL_MODEL } from '../../../src/domain/fill-model.ts';
import { findOrderByClientOrderId, type AccountEvent } from '../../../src/domain/account/index.ts';
import { asset, given, market, NOW, opened, place, quote, stateOf } from './spec-helper.ts';

describe('market orders', () => {
  it('fills a market buy in the regular session at once, at the ask, recording quote and model', () => {
    const q = quote();
    const events = given(opened('100000')).when(place({ clientOrderId: 'my-1' })).events;
    expect(events.map((e) => e.type)).to.deep.equal(['OrderPlaced', 'OrderFilled']);
    const [placed, filled] = events as [
      Extract<AccountEvent, { type: 'OrderPlaced' }>,
      Extract<AccountEvent, { type: 'OrderFilled' }>,
    ];
    expect(placed.data.order).to.include({
      id: 'o1',
      clientOrderId: 'my-1',
      symbol: 'AAPL',
      status: 'new',
      qty: '10',
      filledQty: '0',
      reservePrice: '102.0102',
    });
    expect(filled.data).to.deep.equal({
      orderId: 'o1',
      fillId: 'f1',
      symbol: 'AAPL',
      side: 'buy',
      qty: '10',
      price: '100.01',
      multiplier: 1,
      grossAmount: '1000.1',
      commission: '0',
      secFee: '0',
      taf: '0',
      cashDelta: '-1000.1',
      cumulativeQty: '10',
      leavesQty: '0',
      avgFillPrice: '100.01',
      orderStatus: 'filled',
      realizedPnl: '0',
      position: { qty: '10', costBasis: '1000.1' },
      quote: q,
      auction: null,
      model: {
        basePrice: '100.01',
        slippagePerUnit: '0',
        slippage: { kind: 'none' },
        commission: { kind: 'none' },
        regulatoryFees: DEFAULT_FILL_MODEL.regulatoryFees,
        maxParticipation: '1',
        partialFillRule: 'displayed_size',
        limitPrice: null,
      },
      at: NOW,
    });
  });

  it('sells at the bid and charges the SEC fee and FINRA TAF on the sale', () => {
    given(opened('100000'))
      .and(place({ qty: '100' }))
      .when(place({ side: 'sell', qty: '100' }, { orderId: 'o2', fillId: 'f2' }))
      .thenMatches([
        { type: 'OrderPlaced' },
        {
          type: 'OrderFilled',
          data: {
            price: '99.99',
            grossAmount: '9999',
            // 9999 × 0.0000278 = 0.2779722 → 0.28 ; 100 × 0.000166 = 0.0166 → 0.02
            secFee: '0.28',
            taf: '0.02',
            cashDelta: '9998.7',
            realizedPnl: '-2',
            position: { qty: '0', costBasis: '0' },
          },
        },
      ]);
  });

  it('fills only the displayed size; the rest stays open and fills on a later quote', () => {
    const first = given(opened()).when(
      place({ qty: '300' }, { market: market({ quote: quote({ askSize: 100 }) }) }),
    );
    first.thenMatches([
      { type: 'OrderPlaced' },
      {
        type: 'OrderFilled',
        data: { qty: '100', leavesQty: '200', orderStatus: 'partially_filled' },
      },
    ]);
    given(opened(), first.events)
      .when({
        type: 'FillOrder',
        data: {
          orderId: 'o1',
          fillId: 'f2',
          market: market({ quote: quote({ ask: '100.05', askSize: 1000 }) }),
        },
      })
      .thenMatches([
        {
          type: 'OrderFilled',
          data: {
            qty: '200',
            price: '100.05',
            cumulativeQty: '300',
            avgFillPrice: '100.036666667',
            orderStatus: 'filled',
          },
        },
      ]);
  });

  it('IOC remainder canceled after a partial fill', () => {
    given(opened())
      .when(
        place(
          { qty: '300', timeInForce: 'ioc' },
          { market: market({ quote: quote({ askSize: 120 }) }) },
        ),
      )
      .thenMatches([
        { type: 'OrderPlaced' },
        { type: 'OrderFilled', data: { qty: '120', orderStatus: 'partially_filled' } },
        { type: 'OrderCanceled', data: { orderId: 'o1', reason: 'ioc_remainder' } },
      ]);
  });

  it('IOC with nothing at the touch is placed and canceled at once', () => {
    given(opened())
      .when(place({ timeInForce: 'ioc' }, { market: market({ quote: quote({ askSize: 0 }) }) }))
      .thenTypes(['OrderPlaced', 'OrderCanceled']);
  });

  it('FOK without enough size is rejected whole', () => {
    given(opened())
      .when(
        place(
          { qty: '300', timeInForce: 'fok' },
          { market: market({ quote: quote({ askSize: 299 }) }) },
        ),
      )
      .thenRejects('fok_not_fillable');
  });

  it('FOK with enough size fills completely', () => {
    given(opened())
      .when(
        place(
          { qty: '300', timeInForce: 'fok' },
          { market: market({ quote: quote({ askSize: 300 }) }) },
        ),
      )
      .thenMatches([
        { type: 'OrderPlaced' },
        { type: 'OrderFilled', data: { qty: '300', orderStatus: 'filled' } },
      ]);
  });

  it('IOC and FOK need a fill id and the regular session', () => {
    given(opened())
      .when(place({ timeInForce: 'ioc' }, { fillId: null }))
      .thenThrows('invalid_command');
    given(opened())
      .when(place({ timeInForce: 'fok' }, { market: market({ phase: 'pre' }) }))
      .thenRejects('market_closed');
  });

  it('without a fill id a marketable order is placed and left for the engine', () => {
    given(opened())
      .when(place({}, { fillId: null }))
      .thenTypes(['OrderPlaced']);
  });

  it('holiday (phase closed): a market order is queued for the open as accepted, never filled', () => {
    const holiday = market({
      now: '2025-12-25T15:00:00.000Z',
      phase: 'closed',
      sessionOpen: undefined,
      sessionClose: undefined,
      extendedClose: undefined,
    });
    given(opened())
      .when(place({}, { market: holiday }))
      .thenMatches([
        { type: 'OrderPlaced', data: { order: { status: 'accepted', filledQty: '0' } } },
      ]);
  });

  it('holiday (phase closed): a market order is rejected when queuing is off', () => {
    given(opened())
      .when(place({}, { market: market({ phase: 'closed' }), queueWhenClosed: false }))
      .thenRejects('market_closed');
  });

  it('pre-market: a market order is queued and fills at the open via the engine', () => {
    const pre = market({ now: '2025-03-03T13:00:00.000Z', phase: 'pre' });
    const placed = given(opened()).when(place({}, { market: pre }));
    placed.thenMatches([{ type: 'OrderPlaced', data: { order: { status: 'accepted' } } }]);
    given(opened(), placed.events)
      .when({
        type: 'FillOrder',
        data: { orderId: 'o1', fillId: 'f9', market: market({ now: OPEN_PLUS }) },
      })
      .thenMatches([{ type: 'OrderFilled', data: { price: '100.01', orderStatus: 'filled' } }]);
    given(opened(), placed.events)
      .when({ type: 'FillOrder', data: { orderId: 'o1', fillId: 'f9', market: pre } })
      .thenThrows('order_not_fillable');
  });

  it('halted symbol: rejects new orders and does not fill resting ones', () => {
    given(opened())
      .when(place({}, { market: market({ halted: true }) }))
      .thenRejects('symbol_halted');
    given(opened())
      .and(place({}, { fillId: null }))
      .when({
        type: 'FillOrder',
        data: { orderId: 'o1', fillId: 'f1', market: market({ halted: true }) },
      })
      .thenThrows('order_not_fillable');
  });

  it('insufficient buying power: a market buy reserves ask × (1 + buffer)', () => {
    // 10 × 100.01 × 1.02 = 1020.102 > 1020
    given(opened('1020')).when(place()).thenRejects('insufficient_buying_power');
    given(opened('1020.11')).when(place()).thenTypes(['OrderPlaced', 'OrderFilled']);
  });

  it('insufficient buying power counts buying power reserved by other open buys', () => {
    given(opened('2000'))
      .and(place({ type: 'limit', limitPrice: '95', qty: '10' }, { orderId: 'o0' }))
      .when(place({ type: 'limit', limitPrice: '95', qty: '12' }))
      .thenRejects('insufficient_buying_power');
    given(opened('2000'))
      .when(place({ type: 'limit', limitPrice: '95', qty: '12' }))
      .thenTypes(['OrderPlaced']);
  });

  it('a market buy without any quote cannot be priced for buying power', () => {
    given(opened())
      .when(place({}, { market: market({ quote: undefined }) }))
      .thenRejects('no_quote');
  });

  it('short sale without shares in a cash account is not allowed', () => {
    given(opened())
      .when(place({ side: 'sell' }))
      .thenRejects('short_not_allowed');
  });

  it('short sale without a locate (not easy to borrow) is rejected in a margin account', () => {
    given(opened('100000', { accountType: 'margin' }))
      .when(
        place(
          { side: 'sell' },
          { market: market({ asset: asset('AAPL', { easyToBorrow: false }) }) },
        ),
      )
      .thenRejects('not_easy_to_borrow');
    given(opened('100000', { accountType: 'margin' }))
      .when(
        place({ side: 'sell' }, { market: market({ asset: asset('AAPL', { shortable: false }) }) }),
      )
      .thenRejects('short_not_allowed');
    given(opened('100000', { accountType: 'margin', shortingEnabled: false }))
      .when(place({ side: 'sell' }))
      .thenRejects('short_not_allowed');
  });

  it('short sale of an easy-to-borrow symbol in a margin account opens a short position', () => {
    const outcome = given(opened('100000', { accountType: 'margin' })).when(
      place({ side: 'sell', qty: '10' }),
    );
    outcome.thenMatches([
      { type: 'OrderPlaced' },
      {
        type: 'OrderFilled',
        data: { price: '99.99', position: { qty: '-10', costBasis: '-999.9' } },
      },
    ]);
    expect(outcome.state.positions['AAPL']?.qty).to.equal('-10');
  });

  it('a short larger than margin buying power is rejected', () => {
    given(opened('1000', { accountType: 'margin' }))
      .when(place({ side: 'sell', qty: '30' }))
      .thenRejects('insufficient_buying_power');
  });

  it('selling more than held in a cash account is rejected (insufficient position)', () => {
    given(opened())
      .and(place({ qty: '5' }))
      .when(place({ side: 'sell', qty: '6' }, { orderId: 'o2' }))
      .thenRejects('insufficient_position');
  });

  it('shares promised to an open sell order are not available to another', () => {
    given(opened())
      .and(place({ qty: '10' }))
      .and(place({ side: 'sell', type: 'limit', limitPrice: '120', qty: '8' }, { orderId: 'o2' }))
      .when(place({ side: 'sell', qty: '3' }, { orderId: 'o3' }))
      .thenRejects('insufficient_position');
  });

  it('duplicate client_order_id: a retried PlaceOrder produces no events and the original is found', () => {
    const history = given(opened()).and(place({ clientOrderId: 'retry-me' }));
    history
      .when(place({ clientOrderId: 'retry-me' }, { orderId: 'o2', fillId: 'f2' }))
      .thenNothing();
    const found = findOrderByClientOrderId(stateOf(history.events), 'retry-me');
    expect(found?.orderId).to.equal('o1');
    expect(found?.order?.status).to.equal('filled');
  });

  it('duplicate client_order_id of a rejected order repeats nothing and reports the rejection', () => {
    const history = given(opened('10')).and(place({ clientOrderId: 'r-1' }));
    history.when(place({ clientOrderId: 'r-1' }, { orderId: 'o2' })).thenNothing();
    const found = findOrderByClientOrderId(stateOf(history.events), 'r-1');
    expect(found?.rejection?.reason).to.equal('insufficient_buying_power');
  });

  it('a reused order id is a command-layer bug and throws', () => {
    given(opened())
      .and(place())
      .when(place({ clientOrderId: 'other' }))
      .thenThrows('duplicate_order_id');
  });

  it('quotes for another symbol are refused', () => {
    given(opened())
      .when(place({}, { market: market({ quote: quote({ symbol: 'MSFT' }) }) }))
      .thenThrows('quote_symbol_mismatch');
  });

  it('fractional market day orders fill when the asset and account allow it', () => {
    given(opened())
      .when(place({ qty: '0.5' }))
      .thenMatches([
        { type: 'OrderPlaced' },
        { type: 'OrderFilled', data: { qty: '0.5', grossAmount: '50.005' } },
      ]);
  });

  const fractionalRejects: [string, Parameters<typeof place>[0], Parameters<typeof place>[1]][] = [
    ['a limit order', { qty: '0.5', type: 'limit', limitPrice: '100' }, {}],
    ['a gtc order', { qty: '0.5', timeInForce: 'gtc' }, {}],
    [
      'a non-fractionable asset',
      { qty: '0.5' },
      { market: market({ asset: asset('AAPL', { fractionable: false }) }) },
    ],
  ];
  for (const [what, request, options] of fractionalRejects) {
    it(`rejects a fractional quantity on ${what}`, () => {
      given(opened()).when(place(request, options)).thenRejects('fractional_not_allowed');
    });
  }

  const invalid: [string, Parameters<typeof place>[0], string][] = [
    ['a zero quantity', { qty: '0' }, 'invalid_quantity'],
    ['a non-numeric quantity', { qty: 'ten' }, 'invalid_quantity'],
    ['a bad symbol', { instrument: { kind: 'equity', symbol: 'aapl!' } }, 'invalid_symbol'],
  ];
  for (const [what, request, reason] of invalid) {
    it(`rejects ${what}`, () => {
      given(opened())
        .when(place(request, { market: market({ quote: undefined }) }))
        .thenRejects(reason as 'invalid_quantity');
    });
  }

  it('rejects an unknown symbol and an untradable asset', () => {
    given(opened())
      .when(
        place(
          { instrument: { kind: 'equity', symbol: 'ZZZZ' } },
          { market: market({ quote: undefined, asset: undefined }) },
        ),
      )
      .thenRejects('unknown_symbol');
    given(opened())
      .when(place({}, { market: market({ asset: asset('AAPL', { tradable: false }) }) }))
      .thenRejects('asset_not_tradable');
  });

  it('refuses malformed ids on the command', () => {
    given(opened())
      .when(place({}, { orderId: '' }))
      .thenThrows('invalid_command');
    given(opened())
      .when(place({ clientOrderId: 'x'.repeat(129) }))
      .thenThrows('invalid_command');
  });
});

const OPEN_PLUS = '2025-03-03T14:30:01.000Z';
