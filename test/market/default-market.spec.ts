import { expect } from 'chai';
import { Decimal } from 'decimal.js';
import { nyseCalendar } from '../../src/market/calendar.ts';
import { RealClock, SimulatedClock } from '../../src/market/clock.ts';
import { createDefaultMarket, defaultSimulatedStart } from '../../src/market/default.ts';
import { DEFAULT_MARKET_SEED } from '../../src/market/simulated/feed.ts';

describe('market/default market', () => {
  it('is in a regular session with an AAPL quote right away, whatever the real time', () => {
    const market = createDefaultMarket({ seed: 42 });
    const context = market.context('AAPL');
    expect(context.phase).to.equal('regular');
    expect(context.halted).to.equal(false);
    expect(context.quote?.source).to.equal('simulated');
    expect(new Decimal(context.quote?.ask ?? '0').gt(0)).to.equal(true);
    expect(Date.parse(context.now)).to.be.at.most(Date.now());
    expect(market.seed).to.equal(42);
    market.close();
  });

  it('uses the default seed when none is given', () => {
    expect(createDefaultMarket().seed).to.equal(DEFAULT_MARKET_SEED);
  });

  describe('defaultSimulatedStart', () => {
    const cases: [string, string, string][] = [
      ['a Tuesday at 11:00 ET', '2026-11-24T16:00:00Z', '2026-11-24T15:00:00.000Z'],
      ['a Tuesday at 09:00 ET (before 10:00)', '2026-11-24T14:00:00Z', '2026-11-23T15:00:00.000Z'],
      ['a Saturday', '2026-11-28T17:00:00Z', '2026-11-27T15:00:00.000Z'],
      ['Thanksgiving', '2026-11-26T17:00:00Z', '2026-11-25T15:00:00.000Z'],
      ['a Monday at 03:00 ET', '2026-11-30T08:00:00Z', '2026-11-27T15:00:00.000Z'],
      ['a summer Wednesday night', '2026-07-08T03:00:00Z', '2026-07-07T14:00:00.000Z'],
    ];
    for (const [label, now, expected] of cases) {
      it(`starts at 10:00 ET of the latest session day for ${label}`, () => {
        const start = defaultSimulatedStart(new Date(now));
        expect(start.toISOString()).to.equal(expected);
        expect(nyseCalendar.phaseAt(start)).to.equal('regular');
      });
    }
  });

  it('can start at a chosen instant and speed', () => {
    const market = createDefaultMarket({
      start: new Date('2026-11-27T17:30:00Z'),
      speed: 0,
      tickMs: 500,
      haltProbability: 0,
      anchorDate: '2026-01-02',
    });
    expect(market.clock).to.be.instanceOf(SimulatedClock);
    expect(market.tickMs).to.equal(500);
    expect(market.context('SPY').sessionClose).to.equal('2026-11-27T18:00:00.000Z');
  });

  it('follows the real calendar on a real clock', () => {
    const market = createDefaultMarket({ clock: 'real' });
    expect(market.clock).to.be.instanceOf(RealClock);
    const context = market.context('AAPL');
    expect(context.phase).to.equal(nyseCalendar.phaseAt(new Date(context.now)));
    expect(context.quote).not.to.equal(undefined);
  });

  it('accepts any Clock', () => {
    const clock = new SimulatedClock({ start: new Date('2026-11-24T15:00:00Z'), speed: 0 });
    const market = createDefaultMarket({ clock, universe: [], calendar: nyseCalendar });
    expect(market.clock).to.equal(clock);
    expect(market.assets()).to.deep.equal([]);
  });
});
