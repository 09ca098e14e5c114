import { expect } from 'chai';
import { IsoDates, isoDate } from '../../src/market/civil-days.ts';

describe('civil days: IsoDates', () => {
  it('formats every day like isoDate, in order, backwards and at random', () => {
    const dates = new IsoDates();
    // 1899-12-25 … 2101-01-05: month ends, leap days (1900 is not a leap year, 2000 is).
    const first = -25_574;
    const last = 47_851;
    for (let d = first; d <= last; d++) expect(dates.format(d)).to.equal(isoDate(d));
    for (let d = last; d >= first; d -= 17) expect(dates.format(d)).to.equal(isoDate(d));
    for (const d of [0, 11_016, -25_508, 10_956, 11_015, 47_850, 59]) {
      expect(dates.format(d)).to.equal(isoDate(d));
    }
    expect(dates.format(11_016)).to.equal('2000-02-29');
    expect(dates.format(-25_508)).to.equal('1900-03-01');
  });
});
