import { expect } from 'chai';
import { createDefaultMarket, SimulatedClock } from '../../src/market/index.ts';
import {
  OPTION_CHAIN_KIND,
  OptionsMarket,
  type OptionChain,
} from '../../src/market/options/index.ts';

describe('market: the option-chain cache codec', () => {
  const clock = new SimulatedClock({ start: new Date('2025-03-03T15:00:00.000Z'), speed: 0 });
  const market = new OptionsMarket(createDefaultMarket({ seed: 3, clock, haltProbability: 0 }), {
    seed: 3,
  });

  it('round-trips a whole chain exactly: decimal strings, sizes, doubles, contract terms', () => {
    const chain = market.chain('NVDA');
    if (chain === undefined) throw new Error('NVDA has options');
    const text = OPTION_CHAIN_KIND.encode(chain);
    expect(OPTION_CHAIN_KIND.decode(text)).to.deep.equal(chain);
    // Compact: well under plain JSON.
    expect(text.length).to.be.lessThan(JSON.stringify(chain).length / 2);
  });

  it('keeps numbers JSON cannot carry (NaN, ±Infinity)', () => {
    const chain = market.chain('AAPL');
    const first = chain?.contracts[0];
    if (chain === undefined || first === undefined) throw new Error('AAPL has options');
    const odd: OptionChain = {
      ...chain,
      contracts: [
        {
          ...first,
          impliedVolatility: Number.NaN,
          greeks: { ...first.greeks, gamma: Infinity, vega: -Infinity },
        },
      ],
    };
    const back = OPTION_CHAIN_KIND.decode(OPTION_CHAIN_KIND.encode(odd)).contracts[0];
    expect(back?.impliedVolatility).to.be.NaN;
    expect(back?.greeks.gamma).to.equal(Infinity);
    expect(back?.greeks.vega).to.equal(-Infinity);
    expect(back?.quote).to.deep.equal(first.quote);
  });
});
