import { expect } from 'chai';
import fc from 'fast-check';
import { Dec } from '../../../src/domain/decimal.ts';
import {
  canonicalOcc,
  ContractError,
  formatOcc,
  intrinsicValue,
  isValidNetTick,
  isValidOptionTick,
  listedExpirations,
  optionContract,
  optionInstrument,
  contractOf,
  optionTickSize,
  parseOcc,
  strikeGrid,
  strikeIncrement,
  thirdFriday,
} from '../../../src/domain/options/index.ts';
import { instrumentProblem } from '../../../src/domain/instrument.ts';
import { nyseCalendar } from '../../../src/market/calendar.ts';

const isSessionDay = (date: string): boolean => nyseCalendar.isSessionDay(date);

describe('options: OCC symbols', () => {
  it('parses the padded form exactly: root padded to 6, yymmdd, C/P, strike × 1000 in 8 digits', () => {
    expect(parseOcc('AAPL  250117C00150000')).to.deep.equal({
      symbol: 'AAPL  250117C00150000',
      root: 'AAPL',
      underlying: 'AAPL',
      expiration: '2025-01-17',
      right: 'call',
      strike: '150',
      multiplier: 100,
      style: 'american',
    });
    expect(parseOcc('SPY   240621P00512500')?.strike).to.equal('512.5');
    expect(parseOcc('F     260116C00012125')?.strike).to.equal('12.125');
  });

  it('accepts the compact form and answers the padded one', () => {
    expect(parseOcc('SPY240621P00512500')?.symbol).to.equal('SPY   240621P00512500');
    expect(canonicalOcc(' aapl250117c00150000 ')).to.equal('AAPL  250117C00150000');
    expect(canonicalOcc('AAPL 250117C00150000')).to.equal('AAPL  250117C00150000');
  });

  it('refuses misaligned padding, impossible dates and zero strikes', () => {
    expect(parseOcc('AAPL 250117C00150000')).to.equal(undefined);
    expect(parseOcc('AAPL   250117C00150000')).to.equal(undefined);
    expect(parseOcc('AAPL  250230C00150000')).to.equal(undefined);
    expect(parseOcc('AAPL  251317C00150000')).to.equal(undefined);
    expect(parseOcc('AAPL  250117C00000000')).to.equal(undefined);
    expect(parseOcc('AAPL  250117X00150000')).to.equal(undefined);
    expect(parseOcc('AAPL')).to.equal(undefined);
    expect(canonicalOcc('not an option')).to.equal(undefined);
  });

  it('formats exactly and refuses what the format cannot carry', () => {
    const spec = { root: 'AAPL', expiration: '2025-01-17', right: 'call' as const, strike: '150' };
    expect(formatOcc(spec)).to.equal('AAPL  250117C00150000');
    expect(formatOcc(spec, 'compact')).to.equal('AAPL250117C00150000');
    expect(() => formatOcc({ ...spec, strike: '150.0001' })).to.throw(
      ContractError,
      /three decimals/,
    );
    expect(() => formatOcc({ ...spec, strike: '0' })).to.throw(ContractError);
    expect(() => formatOcc({ ...spec, strike: '100000' })).to.throw(ContractError);
    expect(() => formatOcc({ ...spec, expiration: '2025-02-30' })).to.throw(
      ContractError,
      /expiration/,
    );
    expect(() => formatOcc({ ...spec, root: 'aapl' })).to.throw(ContractError, /root/);
  });

  it('round trip: format(parse(s)) = s and parse(format(c)) = c', () => {
    const spec = fc.record({
      root: fc.stringMatching(/^[A-Z]{1,5}$/),
      expiration: fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
      right: fc.constantFrom('call' as const, 'put' as const),
      strike: fc
        .integer({ min: 1, max: 99_999_999 })
        .map((t) => new Dec(t).dividedBy(1000).toFixed()),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const padded = formatOcc(s);
        expect(padded).to.have.length(21);
        const parsed = parseOcc(padded);
        expect(parsed).to.include({
          root: s.root,
          expiration: s.expiration,
          right: s.right,
          strike: s.strike,
        });
        expect(parseOcc(formatOcc(s, 'compact'))?.symbol).to.equal(padded);
        expect(parsed === undefined ? undefined : formatOcc(parsed)).to.equal(padded);
      }),
    );
  });

  it('a contract is an instrument the decider knows, multiplier 100, American', () => {
    const c = optionContract({
      root: 'AAPL',
      expiration: '2026-01-16',
      right: 'put',
      strike: '250',
    });
    const instrument = optionInstrument(c);
    expect(instrument).to.deep.equal({
      kind: 'option',
      occSymbol: 'AAPL  260116P00250000',
      underlying: 'AAPL',
      multiplier: 100,
    });
    expect(instrumentProblem(instrument)).to.equal(undefined);
    expect(contractOf(instrument)).to.deep.equal(c);
    expect(c.style).to.equal('american');
    expect(intrinsicValue(c, new Dec('240')).toString()).to.equal('10');
    expect(intrinsicValue(c, new Dec('260')).toString()).to.equal('0');
  });
});

describe('options: listed expirations and strikes', () => {
  it('third Fridays', () => {
    expect(thirdFriday(2025, 1)).to.equal('2025-01-17');
    expect(thirdFriday(2026, 5)).to.equal('2026-05-15');
    expect(thirdFriday(2025, 8)).to.equal('2025-08-15');
  });

  it('lists weekly Fridays, monthly third Fridays and January LEAPS, moved off exchange holidays', () => {
    // Thursday 2025-04-10: Good Friday (2025-04-18) is an NYSE holiday, so that weekly is Thursday.
    const listed = listedExpirations('2025-04-10', isSessionDay);
    expect(listed.slice(0, 6)).to.deep.equal([
      '2025-04-11',
      '2025-04-17',
      '2025-04-25',
      '2025-05-02',
      '2025-05-09',
      '2025-05-16',
    ]);
    expect(listed).to.include.members(['2025-06-20', '2025-07-18', '2025-08-15', '2025-09-19']);
    expect(listed).to.include.members(['2026-01-16', '2027-01-15']);
    expect(listed).to.not.include('2025-04-18');
    expect([...listed].sort()).to.deep.equal(listed);
    expect(new Set(listed).size).to.equal(listed.length);
    for (const d of listed) expect(isSessionDay(d), d).to.equal(true);
  });

  it('an expiration is listed until it expires (the set only loses dates as they pass)', () => {
    const days = ['2025-03-03', '2025-03-04', '2025-03-05', '2025-03-06', '2025-03-07'];
    for (let i = 1; i < days.length; i++) {
      const today = days[i] ?? '';
      const before = listedExpirations(days[i - 1] ?? '', isSessionDay).filter((d) => d >= today);
      expect(listedExpirations(today, isSessionDay)).to.include.members(before);
    }
    expect(listedExpirations('2025-03-07', isSessionDay)[0]).to.equal('2025-03-07');
  });

  it('strike increments follow the price bands', () => {
    expect(strikeIncrement(12)).to.equal(0.5);
    expect(strikeIncrement(40)).to.equal(1);
    expect(strikeIncrement(180)).to.equal(2.5);
    expect(strikeIncrement(270)).to.equal(5);
    expect(strikeIncrement(670)).to.equal(10);
  });

  it('strike grids are centred on the spot, wider for longer expirations, finer near the money', () => {
    const near = strikeGrid({ spot: 270, increment: 5, volatility: 0.27, years: 7 / 365 });
    const far = strikeGrid({ spot: 270, increment: 5, volatility: 0.27, years: 1 });
    expect(near[0]).to.be.within(200, 205);
    expect(near.at(-1)).to.be.within(335, 340);
    expect(near).to.include.members([267.5, 270, 272.5]);
    expect(near).to.not.include(217.5);
    expect(far.length).to.be.greaterThan(near.length - 10);
    expect(far.at(-1)).to.be.greaterThan(450);
    expect(far).to.not.include(272.5);
    expect([...far].sort((a, b) => a - b)).to.deep.equal(far);
    expect(strikeGrid({ spot: 0, increment: 5, volatility: 0.2, years: 1 })).to.deep.equal([]);
    // Index ETFs: dollar strikes near the money, fives beyond 10 %.
    const spy = strikeGrid({ spot: 600, increment: 1, volatility: 0.16, years: 0.1, coarse: 5 });
    expect(spy).to.include.members([599, 600, 601, 545, 655]);
    expect(spy).to.not.include(531);
    expect(strikeIncrement(600, true)).to.equal(1);
  });

  it('option tick sizes: $0.01 below $3, $0.05 at or above; net prices in cents', () => {
    expect(optionTickSize(new Dec('2.99')).toString()).to.equal('0.01');
    expect(optionTickSize(new Dec('3')).toString()).to.equal('0.05');
    expect(isValidOptionTick(new Dec('2.37'))).to.equal(true);
    expect(isValidOptionTick(new Dec('3.15'))).to.equal(true);
    expect(isValidOptionTick(new Dec('3.17'))).to.equal(false);
    expect(isValidOptionTick(new Dec('1.005'))).to.equal(false);
    expect(isValidNetTick(new Dec('-1.23'))).to.equal(true);
    expect(isValidNetTick(new Dec('1.234'))).to.equal(false);
  });
});
