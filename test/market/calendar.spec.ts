import { expect } from 'chai';
import { marketClock, NyseCalendar, nyseCalendar } from '../../src/market/calendar.ts';

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('market/calendar: NYSE sessions', () => {
  describe('a normal day (Tuesday 2026-11-24, EST)', () => {
    const session = nyseCalendar.session('2026-11-24');

    it('has pre 04:00, open 09:30, close 16:00 and post 20:00 New York time as UTC instants', () => {
      expect(session).to.deep.equal({
        date: '2026-11-24',
        preOpen: new Date('2026-11-24T09:00:00Z'),
        open: new Date('2026-11-24T14:30:00Z'),
        close: new Date('2026-11-24T21:00:00Z'),
        postClose: new Date('2026-11-25T01:00:00Z'),
        earlyClose: false,
      });
    });

    it('reads a Date as the New York date containing it', () => {
      // 02:00Z on the 25th is still 21:00 on the 24th in New York.
      expect(nyseCalendar.session(new Date('2026-11-25T02:00:00Z'))?.date).to.equal('2026-11-24');
    });
  });

  it('has no session at the weekend', () => {
    expect(nyseCalendar.isSessionDay('2026-11-28')).to.equal(false);
    expect(nyseCalendar.isSessionDay('2026-11-29')).to.equal(false);
    expect(nyseCalendar.session('2026-11-28')).to.equal(undefined);
    expect(nyseCalendar.phaseAt(new Date('2026-11-28T16:00:00Z'))).to.equal('closed');
  });

  describe('holidays', () => {
    it('closes all day on Thanksgiving 2026-11-26', () => {
      expect(nyseCalendar.isSessionDay('2026-11-26')).to.equal(false);
      expect(nyseCalendar.phaseAt(new Date('2026-11-26T15:00:00Z'))).to.equal('closed');
      expect(nyseCalendar.holidays(2026)).to.deep.include({
        date: '2026-11-26',
        name: 'Thanksgiving Day',
      });
    });

    it('lists the 2026 NYSE holidays, with Independence Day observed on Friday July 3', () => {
      expect(nyseCalendar.holidays(2026).map((h) => h.date)).to.deep.equal([
        '2026-01-01',
        '2026-01-19',
        '2026-02-16',
        '2026-04-03',
        '2026-05-25',
        '2026-06-19',
        '2026-07-03',
        '2026-09-07',
        '2026-11-26',
        '2026-12-25',
      ]);
    });

    it('includes ad-hoc closures such as the 2025-01-09 national day of mourning', () => {
      expect(nyseCalendar.isSessionDay('2025-01-09')).to.equal(false);
      expect(nyseCalendar.isSessionDay('2025-01-08')).to.equal(true);
    });

    it('does not observe a Saturday New Year on the Friday before', () => {
      expect(nyseCalendar.isSessionDay('2021-12-31')).to.equal(true);
      expect(nyseCalendar.holidays(2022).map((h) => h.date)).not.to.include('2021-12-31');
    });
  });

  describe('early closes', () => {
    it('closes the day after Thanksgiving (2026-11-27) at 13:00 ET, post-market to 17:00', () => {
      const session = nyseCalendar.session('2026-11-27');
      expect(session?.earlyClose).to.equal(true);
      expect(iso(session?.close)).to.equal('2026-11-27T18:00:00.000Z');
      expect(iso(session?.postClose)).to.equal('2026-11-27T22:00:00.000Z');
      expect(nyseCalendar.phaseAt(new Date('2026-11-27T17:59:59Z'))).to.equal('regular');
      expect(nyseCalendar.phaseAt(new Date('2026-11-27T18:00:00Z'))).to.equal('post');
      expect(nyseCalendar.phaseAt(new Date('2026-11-27T22:00:00Z'))).to.equal('closed');
    });

    it('closes early on Christmas Eve and July 3 when they fall Monday to Thursday', () => {
      expect(nyseCalendar.session('2026-12-24')?.earlyClose).to.equal(true);
      expect(nyseCalendar.session('2025-07-03')?.earlyClose).to.equal(true);
      expect(nyseCalendar.session('2024-07-03')?.earlyClose).to.equal(true);
      expect(nyseCalendar.session('2025-12-24')?.earlyClose).to.equal(true);
    });

    it('has no early close when July 3 or December 24 is itself the observed holiday', () => {
      expect(nyseCalendar.isSessionDay('2026-07-03')).to.equal(false);
      expect(nyseCalendar.session('2026-07-02')?.earlyClose).to.equal(false);
      expect(nyseCalendar.isSessionDay('2027-12-24')).to.equal(false);
      expect(nyseCalendar.session('2027-12-23')?.earlyClose).to.equal(false);
    });
  });

  describe('daylight saving time', () => {
    it('opens at 14:30Z on the Friday before the March switch and 13:30Z the Monday after', () => {
      expect(iso(nyseCalendar.session('2026-03-06')?.open)).to.equal('2026-03-06T14:30:00.000Z');
      expect(nyseCalendar.isSessionDay('2026-03-08')).to.equal(false);
      expect(iso(nyseCalendar.session('2026-03-09')?.open)).to.equal('2026-03-09T13:30:00.000Z');
      expect(iso(nyseCalendar.session('2026-03-09')?.preOpen)).to.equal('2026-03-09T08:00:00.000Z');
    });

    it('moves back to 14:30Z after the November switch', () => {
      expect(iso(nyseCalendar.session('2026-10-30')?.close)).to.equal('2026-10-30T20:00:00.000Z');
      expect(iso(nyseCalendar.session('2026-11-02')?.close)).to.equal('2026-11-02T21:00:00.000Z');
      expect(iso(nyseCalendar.session('2026-11-02')?.postClose)).to.equal(
        '2026-11-03T01:00:00.000Z',
      );
    });

    it('places phase boundaries on the local clock on both sides of the switch', () => {
      expect(nyseCalendar.phaseAt(new Date('2026-03-09T13:29:59.999Z'))).to.equal('pre');
      expect(nyseCalendar.phaseAt(new Date('2026-03-09T13:30:00Z'))).to.equal('regular');
      expect(nyseCalendar.phaseAt(new Date('2026-03-06T14:29:59.999Z'))).to.equal('pre');
      expect(nyseCalendar.phaseAt(new Date('2026-03-06T14:30:00Z'))).to.equal('regular');
    });
  });

  describe('phase boundaries (2026-11-24)', () => {
    const cases: [string, string][] = [
      ['2026-11-24T08:59:59.999Z', 'closed'],
      ['2026-11-24T09:00:00.000Z', 'pre'],
      ['2026-11-24T14:29:59.999Z', 'pre'],
      ['2026-11-24T14:30:00.000Z', 'regular'],
      ['2026-11-24T20:59:59.999Z', 'regular'],
      ['2026-11-24T21:00:00.000Z', 'post'],
      ['2026-11-25T00:59:59.999Z', 'post'],
      ['2026-11-25T01:00:00.000Z', 'closed'],
    ];
    for (const [instant, phase] of cases) {
      it(`is ${phase} at ${instant}`, () => {
        expect(nyseCalendar.phaseAt(new Date(instant))).to.equal(phase);
      });
    }
  });

  describe('next open and close', () => {
    it('goes from a Friday evening to Monday', () => {
      const friday = new Date('2026-11-20T22:00:00Z');
      expect(iso(nyseCalendar.nextOpen(friday))).to.equal('2026-11-23T14:30:00.000Z');
      expect(iso(nyseCalendar.nextClose(friday))).to.equal('2026-11-23T21:00:00.000Z');
    });

    it('skips Thanksgiving and lands on the early close', () => {
      const wednesdayEvening = new Date('2026-11-25T22:00:00Z');
      expect(iso(nyseCalendar.nextOpen(wednesdayEvening))).to.equal('2026-11-27T14:30:00.000Z');
      expect(iso(nyseCalendar.nextClose(wednesdayEvening))).to.equal('2026-11-27T18:00:00.000Z');
    });

    it('during a session, gives today’s close and tomorrow’s open', () => {
      const midday = new Date('2026-11-24T17:00:00Z');
      expect(iso(nyseCalendar.nextClose(midday))).to.equal('2026-11-24T21:00:00.000Z');
      expect(iso(nyseCalendar.nextOpen(midday))).to.equal('2026-11-25T14:30:00.000Z');
    });

    it('is strictly after the instant when called exactly at the open', () => {
      const open = new Date('2026-11-24T14:30:00Z');
      expect(iso(nyseCalendar.nextOpen(open))).to.equal('2026-11-25T14:30:00.000Z');
    });
  });

  describe('sessions(from, to)', () => {
    it('lists Thanksgiving week without the holiday or the weekend', () => {
      const dates = nyseCalendar.sessions('2026-11-22', '2026-11-29').map((s) => s.date);
      expect(dates).to.deep.equal(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27']);
    });

    it('counts the sessions of a year', () => {
      // 2026: 261 weekdays, 10 weekday holidays.
      expect(nyseCalendar.sessions('2026-01-01', '2026-12-31')).to.have.length(251);
    });

    it('is empty when the range is reversed, and refuses ranges over ten years', () => {
      expect(nyseCalendar.sessions('2026-11-29', '2026-11-22')).to.deep.equal([]);
      expect(() => nyseCalendar.sessions('2000-01-01', '2026-01-01')).to.throw(RangeError);
    });

    it('finds the nearest session on either side of a closed day', () => {
      expect(nyseCalendar.sessionOnOrAfter('2026-11-26').date).to.equal('2026-11-27');
      expect(nyseCalendar.sessionOnOrBefore('2026-11-29').date).to.equal('2026-11-27');
    });
  });

  it('rejects malformed dates', () => {
    expect(() => nyseCalendar.session('2026-13-01')).to.throw(RangeError);
    expect(() => nyseCalendar.session('2026-02-30')).to.throw(RangeError);
    expect(() => nyseCalendar.session('26-11-24')).to.throw(RangeError);
    expect(() => nyseCalendar.session(new Date(Number.NaN))).to.throw(RangeError);
  });

  it('gives the same answers from a fresh instance', () => {
    const fresh = new NyseCalendar();
    expect(fresh.sessions('2026-11-01', '2026-12-31')).to.deep.equal(
      nyseCalendar.sessions('2026-11-01', '2026-12-31'),
    );
  });

  it('summarises the market clock like Alpaca’s /v2/clock', () => {
    expect(marketClock(nyseCalendar, new Date('2026-11-27T17:00:00Z'))).to.deep.equal({
      timestamp: '2026-11-27T17:00:00.000Z',
      phase: 'regular',
      isOpen: true,
      nextOpen: '2026-11-30T14:30:00.000Z',
      nextClose: '2026-11-27T18:00:00.000Z',
    });
  });
});
