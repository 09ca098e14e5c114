import { expect } from 'chai';
import { nyseCalendar } from '../../src/market/calendar.ts';
import { dailySession, isoInstant } from '../../src/market/replay/bar-path.ts';
import { newYorkWallTime } from '../../src/market/time-zone.ts';

describe('bar path: instants and daily sessions', () => {
  it('isoInstant answers what Date#toISOString answers, and throws where it throws', () => {
    const day = 86_400_000;
    const instants = [
      0,
      -1,
      1,
      day - 1,
      -day,
      Date.parse('1900-02-28T14:30:00Z'),
      Date.parse('1900-03-01T21:00:00.999Z'),
      Date.parse('2000-02-29T23:59:59.999Z'),
      -62_167_219_200_000, // 0000-01-01
      -62_167_219_200_001, // year −1: Date's extended format
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      253_402_300_800_000, // +010000
      1.5, // truncated by Date
      -0.5,
    ];
    // A walk over 250 years of session-like times and back, crossing day and month ends.
    for (
      let t = Date.parse('1890-01-01T14:30:00Z');
      t < Date.parse('2140-01-01');
      t += 7 * day + 3_601_001
    )
      instants.push(t, t + 23_400_000 - 1000);
    for (const t of instants) expect(isoInstant(t), String(t)).to.equal(new Date(t).toISOString());
    for (const t of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1])
      expect(() => isoInstant(t)).to.throw(RangeError);
  });

  it('dailySession gives the calendar’s open and close for every day, early closes included', () => {
    const checked = { early: 0, days: 0 };
    for (let y = 1999; y <= 2026; y++) {
      for (const date of nyseCalendar.sessions(`${y}-01-01`, `${y}-12-31`)) {
        const session = dailySession(newYorkWallTime(date.date, 0).getTime());
        expect(session.open, date.date).to.equal(date.open.getTime());
        expect(session.close, date.date).to.equal(date.close.getTime());
        checked.days += 1;
        if (date.earlyClose) checked.early += 1;
      }
    }
    expect(checked.days).to.be.greaterThan(7000);
    expect(checked.early).to.be.greaterThan(40);
  });
});
