import { expect } from 'chai';
import { preTradeRisk } from '../../src/commands/preview-risk.ts';
import type { OrderRequest } from '../../src/domain/account/index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { equity } from '../../src/domain/instrument.ts';
import {
  option,
  optionMarket,
  optionQuote,
  openedOptions,
} from '../domain/account/options-helper.ts';
import { market as stockMarket, stateOf } from '../domain/account/spec-helper.ts';

/** The risk block and findings of a preview, on a fresh 100,000 account (nothing filled yet). */
describe('pre-trade risk of option orders', () => {
  const state = stateOf(openedOptions());
  const preview = (request: OrderRequest, price: string, market = optionMarket([])) =>
    preTradeRisk({
      before: state,
      after: state,
      request,
      symbol: request.instrument.kind === 'option' ? request.instrument.occSymbol : 'AAPL',
      market,
      filledQty: new Dec(0),
      price: new Dec(price),
      accepted: true,
    });
  const sell = (instrument: OrderRequest['instrument'], qty: string): OrderRequest => ({
    instrument,
    side: 'sell',
    type: 'limit',
    timeInForce: 'day',
    qty,
  });

  it('flags a naked short call as unbounded, with a warning instead of the stock short-sale note', () => {
    const c = option('call', 110);
    const q = optionQuote(c, '1.2', '1.3');
    const { risk, findings } = preview(sell(c, '1'), '1.2', optionMarket([q], q));
    expect(risk.optionMaxLoss).to.equal(null);
    expect(risk.optionMaxLossUnbounded).to.equal(true);
    expect(risk.optionRisk?.strategy).to.equal('short_call');
    expect(findings.map((f) => [f.severity, f.code])).to.deep.include([
      'warning',
      'unlimited_loss',
    ]);
    expect(findings.map((f) => f.code)).to.not.include('short_sale');
  });

  it('reports a short put’s bounded loss as information', () => {
    // 95 × 100 × 3 − 3 × 2.10 × 100 = 28,500 − 630 = 27,870.
    const p = option('put', 95);
    const q = optionQuote(p, '2.1', '2.2');
    const { risk, findings } = preview(sell(p, '3'), '2.1', optionMarket([q], q));
    expect(risk.optionMaxLoss).to.equal('27870');
    expect(risk.optionMaxLossUnbounded).to.equal(false);
    expect(findings).to.deep.include({
      severity: 'info',
      code: 'option_max_loss',
      message: risk.optionRisk?.explanation,
    });
  });

  it('leaves the option fields null for a stock order, which keeps its short-sale note', () => {
    const { risk, findings } = preview(sell(equity('AAPL'), '10'), '99.99', stockMarket());
    expect(risk.optionMaxLoss).to.equal(null);
    expect(risk.optionMaxLossUnbounded).to.equal(null);
    expect(risk.optionRisk).to.equal(null);
    expect(findings.map((f) => f.code)).to.include('short_sale');
  });
});
