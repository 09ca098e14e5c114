import { expect } from 'chai';
import { availableToSell, fold } from '../../../src/domain/account/index.ts';
import { given, market, opened, place, quote } from './spec-helper.ts';
import { orderById } from '../../../src/domain/account/order-lookup.ts';

const at = (bid: string, ask: string, last: string): ReturnType<typeof market> =>
  market({ quote: quote({ bid, ask, last, seq: 3 }) });

const bracket = (
  extra: Parameters<typeof place>[0] = {},
  fillId: string | null = null,
): ReturnType<typeof place> =>
  place(
    {
      orderClass: 'bracket',
      type: 'limit',
      limitPrice: '99',
      qty: '10',
      takeProfit: { limitPrice: '110' },
      stopLoss: { stopPrice: '95', limitPrice: '94.5' },
      ...extra,
    },
    { orderId: 'p', legOrderIds: ['tp', 'sl'], fillId },
  );

describe('order classes', () => {
  describe('bracket', () => {
    it('places the entry and holds both exits until the entry fills', () => {
      given(opened())
        .when(bracket())
        .thenMatches([
          {
            type: 'OrderPlaced',
            data: { order: { id: 'p', status: 'new', legRole: 'entry', legIds: ['tp', 'sl'] } },
          },
          {
            type: 'OrderPlaced',
            data: {
              order: {
                id: 'tp',
                side: 'sell',
                type: 'limit',
                limitPrice: '110',
                status: 'held',
                parentId: 'p',
                ocoGroupId: 'p',
              },
            },
          },
          {
            type: 'OrderPlaced',
            data: {
              order: {
                id: 'sl',
                side: 'sell',
                type: 'stop_limit',
                stopPrice: '95',
                limitPrice: '94.5',
                status: 'held',
                ocoGroupId: 'p',
              },
            },
          },
        ]);
    });

    it('activates both exits when the entry fills; held exits cannot fill before', () => {
      const h = given(opened()).and(bracket());
      h.when({
        type: 'FillOrder',
        data: { orderId: 'tp', fillId: 'x', market: at('111', '111.1', '111') },
      }).thenThrows('order_not_fillable');
      const filled = h.when({
        type: 'FillOrder',
        data: { orderId: 'p', fillId: 'f1', market: at('98.9', '99', '99') },
      });
      filled.thenMatches([
        { type: 'OrderFilled', data: { orderId: 'p', price: '99', orderStatus: 'filled' } },
        { type: 'OrderActivated', data: { orderId: 'tp', parentId: 'p', qty: '10' } },
        { type: 'OrderActivated', data: { orderId: 'sl', parentId: 'p', qty: '10' } },
      ]);
      const s = filled.state;
      expect(orderById(s, 'tp')?.status).to.equal('new');
      // the two exits sell the same ten shares: they are promised once
      expect(availableToSell(s, 'AAPL').toString()).to.equal('0');
    });

    it('when the take-profit fills, the stop-loss is canceled (OCO)', () => {
      given(opened())
        .and(bracket({}, 'f0'))
        .and({
          type: 'FillOrder',
          data: { orderId: 'p', fillId: 'f1', market: at('98.9', '99', '99') },
        })
        .when({
          type: 'FillOrder',
          data: { orderId: 'tp', fillId: 'f2', market: at('110.5', '110.6', '110.5') },
        })
        .thenMatches([
          { type: 'OrderFilled', data: { orderId: 'tp', price: '110.5', realizedPnl: '115' } },
          { type: 'OrderCanceled', data: { orderId: 'sl', reason: 'oco_sibling_filled' } },
        ]);
    });

    it('when the stop-loss triggers and fills, the take-profit is canceled', () => {
      given(opened())
        .and(bracket())
        .and({
          type: 'FillOrder',
          data: { orderId: 'p', fillId: 'f1', market: at('98.9', '99', '99') },
        })
        .when({
          type: 'TriggerOrder',
          data: { orderId: 'sl', fillId: 'f2', market: at('94.8', '94.9', '94.9') },
        })
        .thenTypes(['OrderTriggered', 'OrderFilled', 'OrderCanceled']);
    });

    it('an active take-profit leg can be replaced; the new leg stays in the OCO group', () => {
      const outcome = given(opened())
        .and(bracket())
        .and({
          type: 'FillOrder',
          data: { orderId: 'p', fillId: 'f1', market: at('98.9', '99', '99') },
        })
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
          data: { newOrder: { id: 'tp2', status: 'new', ocoGroupId: 'p', limitPrice: '112' } },
        },
      ]);
      expect(availableToSell(outcome.state, 'AAPL').toString()).to.equal('0');
    });

    it('canceling an unfilled entry cancels the held exits', () => {
      given(opened())
        .and(bracket())
        .when({ type: 'CancelOrder', data: { orderId: 'p', at: '2025-03-03T15:05:00.000Z' } })
        .thenMatches([
          { type: 'OrderCanceled', data: { orderId: 'p', reason: 'user' } },
          { type: 'OrderCanceled', data: { orderId: 'tp', reason: 'parent_canceled' } },
          { type: 'OrderCanceled', data: { orderId: 'sl', reason: 'parent_canceled' } },
        ]);
    });

    it('a market entry fills at once and releases the exits in the same decision', () => {
      given(opened())
        .when(bracket({ type: 'market', limitPrice: undefined }, 'f1'))
        .thenTypes([
          'OrderPlaced',
          'OrderPlaced',
          'OrderPlaced',
          'OrderFilled',
          'OrderActivated',
          'OrderActivated',
        ]);
    });

    it('a short bracket mirrors the exits: take-profit below, stop-loss above', () => {
      given(opened('100000', { accountType: 'margin' }))
        .when(
          bracket({
            side: 'sell',
            limitPrice: '101',
            takeProfit: { limitPrice: '90' },
            stopLoss: { stopPrice: '105' },
          }),
        )
        .thenMatches([
          { type: 'OrderPlaced', data: { order: { side: 'sell' } } },
          { type: 'OrderPlaced', data: { order: { side: 'buy', legRole: 'take_profit' } } },
          {
            type: 'OrderPlaced',
            data: { order: { side: 'buy', type: 'stop', legRole: 'stop_loss' } },
          },
        ]);
    });

    const badBrackets: [string, Parameters<typeof place>[0]][] = [
      ['a take-profit below the entry', { takeProfit: { limitPrice: '98' } }],
      ['a stop-loss above the entry', { stopLoss: { stopPrice: '99.5' } }],
      ['a stop-limit limit above its stop', { stopLoss: { stopPrice: '95', limitPrice: '96' } }],
    ];
    for (const [what, extra] of badBrackets) {
      it(`rejects ${what}`, () => {
        given(opened()).when(bracket(extra)).thenRejects('invalid_bracket_prices');
      });
    }

    it('rejects a bracket without both legs, with a trailing entry, or with ioc', () => {
      given(opened())
        .when(bracket({ stopLoss: undefined }))
        .thenRejects('invalid_order_class');
      given(opened())
        .when(bracket({ type: 'trailing_stop', trailPrice: '1', limitPrice: undefined }))
        .thenRejects('invalid_order_class');
      given(opened())
        .when(bracket({ timeInForce: 'ioc' }, 'f'))
        .thenRejects('invalid_time_in_force');
    });

    it('needs two generated leg ids', () => {
      given(opened())
        .when(
          place({
            orderClass: 'bracket',
            type: 'limit',
            limitPrice: '99',
            takeProfit: { limitPrice: '110' },
            stopLoss: { stopPrice: '90' },
          }),
        )
        .thenThrows('invalid_command');
    });

    it('a partially filled entry that is canceled releases exits for the filled quantity', () => {
      given(opened())
        .and(bracket())
        .and({
          type: 'FillOrder',
          data: {
            orderId: 'p',
            fillId: 'f1',
            market: market({ quote: quote({ ask: '99', askSize: 4 }) }),
          },
        })
        .when({ type: 'CancelOrder', data: { orderId: 'p', at: '2025-03-03T15:05:00.000Z' } })
        .thenMatches([
          { type: 'OrderCanceled', data: { orderId: 'p' } },
          { type: 'OrderActivated', data: { orderId: 'tp', qty: '4' } },
          { type: 'OrderActivated', data: { orderId: 'sl', qty: '4' } },
        ]);
    });
  });

  describe('oco', () => {
    const long = given(opened()).and(place({ qty: '10' }, { orderId: 'buy', fillId: 'fb' })).events;
    const oco = (extra: Parameters<typeof place>[0] = {}): ReturnType<typeof place> =>
      place(
        {
          orderClass: 'oco',
          side: 'sell',
          type: 'limit',
          qty: '10',
          takeProfit: { limitPrice: '110' },
          stopLoss: { stopPrice: '95' },
          ...extra,
        },
        { orderId: 'c', legOrderIds: ['c-sl'], fillId: 'fc' },
      );

    it('places two live exit orders in one OCO group', () => {
      given(long)
        .when(oco())
        .thenMatches([
          {
            type: 'OrderPlaced',
            data: {
              order: { id: 'c', type: 'limit', limitPrice: '110', status: 'new', ocoGroupId: 'c' },
            },
          },
          {
            type: 'OrderPlaced',
            data: {
              order: { id: 'c-sl', type: 'stop', stopPrice: '95', status: 'new', ocoGroupId: 'c' },
            },
          },
        ]);
    });

    it('when one leg fills the other is canceled', () => {
      given(long)
        .and(oco())
        .when({
          type: 'TriggerOrder',
          data: { orderId: 'c-sl', fillId: 'f2', market: at('94.9', '95', '94.95') },
        })
        .thenMatches([
          { type: 'OrderTriggered' },
          { type: 'OrderFilled', data: { orderId: 'c-sl' } },
          { type: 'OrderCanceled', data: { orderId: 'c', reason: 'oco_sibling_filled' } },
        ]);
    });

    it('canceling one leg cancels the other', () => {
      given(long)
        .and(oco())
        .when({ type: 'CancelOrder', data: { orderId: 'c', at: '2025-03-03T15:05:00.000Z' } })
        .thenMatches([
          { type: 'OrderCanceled', data: { orderId: 'c', reason: 'user' } },
          { type: 'OrderCanceled', data: { orderId: 'c-sl', reason: 'oco_sibling_canceled' } },
        ]);
    });

    it('exits only what is held, and needs the take-profit beyond the stop', () => {
      given(opened()).when(oco()).thenRejects('insufficient_position');
      given(long)
        .when(oco({ takeProfit: { limitPrice: '94' } }))
        .thenRejects('invalid_bracket_prices');
      given(long)
        .when(oco({ type: 'market' }))
        .thenRejects('invalid_order_class');
    });

    it('a buy OCO covers a short', () => {
      const short = given(opened('100000', { accountType: 'margin' })).and(
        place({ side: 'sell', qty: '10' }, { orderId: 's' }),
      );
      short
        .when(
          oco({ side: 'buy', takeProfit: { limitPrice: '90' }, stopLoss: { stopPrice: '105' } }),
        )
        .thenTypes(['OrderPlaced', 'OrderPlaced']);
      short
        .when(
          oco({
            side: 'buy',
            qty: '11',
            takeProfit: { limitPrice: '90' },
            stopLoss: { stopPrice: '105' },
          }),
        )
        .thenRejects('insufficient_position');
    });
  });

  describe('oto', () => {
    it('holds its single child until the parent fills, then activates it', () => {
      const h = given(opened()).and(
        place(
          { orderClass: 'oto', type: 'limit', limitPrice: '99', stopLoss: { stopPrice: '90' } },
          { orderId: 'p', legOrderIds: ['c1'], fillId: null },
        ),
      );
      const s = fold(h.events);
      expect(orderById(s, 'c1')).to.include({
        status: 'held',
        type: 'stop',
        ocoGroupId: null,
        parentId: 'p',
      });
      h.when({
        type: 'FillOrder',
        data: { orderId: 'p', fillId: 'f1', market: at('98.9', '99', '99') },
      }).thenTypes(['OrderFilled', 'OrderActivated']);
    });

    it('needs exactly one of take-profit and stop-loss', () => {
      given(opened())
        .when(
          place(
            { orderClass: 'oto', type: 'limit', limitPrice: '99' },
            { orderId: 'p', legOrderIds: ['c1'] },
          ),
        )
        .thenRejects('invalid_order_class');
    });
  });

  it('simple orders may not carry legs', () => {
    given(opened())
      .when(place({ takeProfit: { limitPrice: '120' } }))
      .thenRejects('invalid_order_class');
  });
});
