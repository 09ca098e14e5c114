import { expect } from 'chai';
import { RealClock, SimulatedClock } from '../../src/market/clock.ts';

const START = new Date('2026-11-24T15:00:00Z');

describe('market/clock', () => {
  describe('SimulatedClock driven by hand (speed 0)', () => {
    it('stays put until advanced, then moves by exactly the amount asked', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      expect(clock.now().toISOString()).to.equal(START.toISOString());
      clock.advance(90_000);
      expect(clock.now().toISOString()).to.equal('2026-11-24T15:01:30.000Z');
      clock.advanceTo(new Date('2026-11-24T16:00:00Z'));
      expect(clock.now().toISOString()).to.equal('2026-11-24T16:00:00.000Z');
    });

    it('fires timers in time order, each seeing now() at its due time', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      const seen: string[] = [];
      const at = (ms: number): Date => new Date(START.getTime() + ms);
      clock.schedule(at(3_000), () => seen.push(`c@${clock.now().toISOString()}`));
      clock.schedule(at(1_000), () => seen.push(`a@${clock.now().toISOString()}`));
      clock.schedule(at(2_000), () => seen.push(`b@${clock.now().toISOString()}`));
      clock.schedule(at(9_000), () => seen.push('late'));
      clock.advance(5_000);
      expect(seen).to.deep.equal([
        'a@2026-11-24T15:00:01.000Z',
        'b@2026-11-24T15:00:02.000Z',
        'c@2026-11-24T15:00:03.000Z',
      ]);
      expect(clock.now().toISOString()).to.equal('2026-11-24T15:00:05.000Z');
      expect(clock.pendingTimers).to.equal(1);
    });

    it('fires timers scheduled by timers when they fall inside the same advance', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      const fired: number[] = [];
      const tick = (): void => {
        fired.push(clock.now().getTime() - START.getTime());
        clock.schedule(new Date(clock.now().getTime() + 1_000), tick);
      };
      clock.schedule(new Date(START.getTime() + 1_000), tick);
      clock.advance(4_500);
      expect(fired).to.deep.equal([1_000, 2_000, 3_000, 4_000]);
    });

    it('keeps insertion order for timers due at the same instant', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      const order: string[] = [];
      const due = new Date(START.getTime() + 10);
      clock.schedule(due, () => order.push('first'));
      clock.schedule(due, () => order.push('second'));
      clock.advance(10);
      expect(order).to.deep.equal(['first', 'second']);
    });

    it('does not fire a cancelled timer', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      let fired = false;
      const cancel = clock.schedule(new Date(START.getTime() + 1_000), () => {
        fired = true;
      });
      cancel();
      cancel();
      clock.advance(2_000);
      expect(fired).to.equal(false);
      expect(clock.pendingTimers).to.equal(0);
    });

    it('resolves sleep() when advanced past it and rejects it when aborted', async () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      const slept = clock.sleep(60_000);
      clock.advance(60_000);
      await slept;
      expect(clock.now().getTime() - START.getTime()).to.equal(60_000);

      const controller = new AbortController();
      const aborted = clock.sleep(1_000, controller.signal);
      controller.abort(new Error('stop'));
      let reason: unknown;
      await aborted.catch((error: unknown) => (reason = error));
      expect(reason).to.be.instanceOf(Error).with.property('message', 'stop');
      expect(clock.pendingTimers).to.equal(0);

      let early: unknown;
      await clock.sleep(1, controller.signal).catch((error: unknown) => (early = error));
      expect(early).to.equal(reason);
    });

    it('rejects nonsense', () => {
      expect(() => new SimulatedClock({ start: START, speed: -1 })).to.throw(RangeError);
      expect(() => new SimulatedClock({ start: new Date(Number.NaN) })).to.throw(RangeError);
      const clock = new SimulatedClock({ start: START, speed: 0 });
      expect(() => {
        clock.advance(-1);
      }).to.throw(RangeError);
      expect(() => {
        clock.setSpeed(Number.NaN);
      }).to.throw(RangeError);
    });

    it('refuses to advance from inside a timer', () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      let error: unknown;
      clock.schedule(new Date(START.getTime() + 1), () => {
        try {
          clock.advance(1);
        } catch (e) {
          error = e;
        }
      });
      clock.advance(5);
      expect(error).to.be.instanceOf(Error);
    });
  });

  describe('SimulatedClock running on its own', () => {
    it('runs `speed` times faster than the wall clock it is given', () => {
      let wall = 0;
      const clock = new SimulatedClock({ start: START, speed: 60, wallNow: () => wall });
      expect(clock.speed).to.equal(60);
      wall += 1_000;
      expect(clock.now().getTime() - START.getTime()).to.equal(60_000);
      clock.setSpeed(1);
      wall += 1_000;
      expect(clock.now().getTime() - START.getTime()).to.equal(61_000);
      clock.setSpeed(0);
      wall += 1_000_000;
      expect(clock.now().getTime() - START.getTime()).to.equal(61_000);
    });

    it('fires scheduled timers through real timers', async () => {
      // One simulated hour per real millisecond: the timer is due almost at once.
      const clock = new SimulatedClock({ start: START, speed: 3_600_000 });
      const firedAt = await new Promise<Date>((resolve) => {
        clock.schedule(new Date(START.getTime() + 3_600_000), () => {
          resolve(clock.now());
        });
      });
      expect(firedAt.getTime()).to.be.at.least(START.getTime() + 3_600_000);
      await clock.sleep(3_600_000);
      expect(clock.pendingTimers).to.equal(0);
    });

    it('starts firing when a frozen clock is given a speed', async () => {
      const clock = new SimulatedClock({ start: START, speed: 0 });
      const fired = new Promise<void>((resolve) => {
        clock.schedule(new Date(START.getTime() + 1_000), resolve);
      });
      clock.setSpeed(1_000_000);
      await fired;
      expect(clock.pendingTimers).to.equal(0);
    });
  });

  describe('RealClock', () => {
    const clock = new RealClock();

    it('tells the wall-clock time', () => {
      const before = Date.now();
      const now = clock.now().getTime();
      expect(now).to.be.within(before, Date.now());
    });

    it('fires a timer whose instant has passed, and not a cancelled one', async () => {
      let cancelledFired = false;
      const cancel = clock.schedule(new Date(Date.now() + 5), () => {
        cancelledFired = true;
      });
      cancel();
      await new Promise<void>((resolve) => {
        clock.schedule(new Date(Date.now() - 1_000), resolve);
      });
      await clock.sleep(10);
      expect(cancelledFired).to.equal(false);
    });

    it('rejects an aborted sleep with an AbortError', async () => {
      const controller = new AbortController();
      const sleeping = clock.sleep(60_000, controller.signal);
      controller.abort();
      let reason: unknown;
      await sleeping.catch((error: unknown) => (reason = error));
      expect(reason).to.have.property('name', 'AbortError');
    });
  });
});
