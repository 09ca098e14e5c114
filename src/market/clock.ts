/**
 * Clock adapters. Everything in the venue that needs the time or a timer asks a `Clock`, so a
 * simulated clock can run the market faster than real time, or be stepped by hand in tests.
 */
import type { Cancel, Clock } from './port.ts';

/** Node caps setTimeout delays at 2^31-1 ms; longer waits are re-armed. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** Shared `sleep` on top of `schedule`. */
function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(abortError(signal as AbortSignal));
    };
    const cancel = clock.schedule(new Date(clock.now().getTime() + Math.max(0, ms)), () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall-clock time and real timers. */
export class RealClock implements Clock {
  now(): Date {
    return new Date();
  }

  schedule(at: Date, fn: () => void): Cancel {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = at.getTime() - Date.now();
      if (delay <= 0) {
        handle = setTimeout(() => {
          if (!cancelled) fn();
        }, 0);
      } else {
        handle = setTimeout(arm, Math.min(delay, MAX_TIMER_DELAY_MS));
      }
      handle.unref();
    };
    arm();
    return () => {
      cancelled = true;
      clearTimeout(handle);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** Options for {@link SimulatedClock}. */
export interface SimulatedClockOptions {
  /** Simulation time at creation. */
  readonly start: Date;
  /**
   * Simulated milliseconds per real millisecond: 1 = real time, 60 = a minute per second,
   * 0 = frozen (time moves only through `advance`, which is what deterministic tests use).
   */
  readonly speed?: number;
  /** Wall-clock source in real milliseconds; tests may replace it. Defaults to `performance.now`. */
  readonly wallNow?: () => number;
}

interface PendingTimer {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
}

/**
 * A clock whose time runs at `speed` times real time from `start`, and can be moved forward
 * with `advance(ms)`. Timers fire in time order; during `advance` each one fires with `now()`
 * equal to its due time, so a test stepping a frozen clock sees exactly the same sequence of
 * events on every run.
 */
export class SimulatedClock implements Clock {
  #baseSimMs: number;
  #baseWallMs: number;
  #speed: number;
  readonly #wallNow: () => number;
  readonly #timers: PendingTimer[] = [];
  #order = 0;
  #realTimer: NodeJS.Timeout | undefined;
  #advancing = false;

  constructor(options: SimulatedClockOptions) {
    const speed = options.speed ?? 1;
    if (!Number.isFinite(speed) || speed < 0) {
      throw new RangeError(`clock speed must be a finite number ≥ 0, got ${speed}`);
    }
    if (Number.isNaN(options.start.getTime())) throw new RangeError('invalid start Date');
    this.#wallNow = options.wallNow ?? (() => performance.now());
    this.#baseSimMs = options.start.getTime();
    this.#baseWallMs = this.#wallNow();
    this.#speed = speed;
  }

  /** Current speed (simulated ms per real ms). */
  get speed(): number {
    return this.#speed;
  }

  now(): Date {
    return new Date(this.#nowMs());
  }

  schedule(at: Date, fn: () => void): Cancel {
    const timer: PendingTimer = { at: at.getTime(), order: this.#order++, fn };
    const index = this.#timers.findIndex(
      (t) => t.at > timer.at || (t.at === timer.at && t.order > timer.order),
    );
    if (index === -1) this.#timers.push(timer);
    else this.#timers.splice(index, 0, timer);
    this.#arm();
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i !== -1) {
        this.#timers.splice(i, 1);
        this.#arm();
      }
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /**
   * Moves simulation time forward by `ms`, firing every timer that falls due on the way (in
   * order, each seeing `now()` at its due time, including timers scheduled while advancing).
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance by ${ms} ms`);
    if (this.#advancing) throw new Error('advance() called from inside a timer');
    const target = this.#nowMs() + ms;
    this.#advancing = true;
    try {
      for (;;) {
        const next = this.#timers[0];
        if (!next || next.at > target) break;
        this.#timers.shift();
        this.#rebase(Math.max(next.at, this.#nowMs()));
        next.fn();
      }
      this.#rebase(Math.max(target, this.#nowMs()));
    } finally {
      this.#advancing = false;
      this.#arm();
    }
  }

  /** Jumps to an instant at or after `now()`, firing timers on the way like `advance`. */
  advanceTo(instant: Date): void {
    this.advance(Math.max(0, instant.getTime() - this.#nowMs()));
  }

  /** Changes the speed from now on (0 freezes the clock). */
  setSpeed(speed: number): void {
    if (!Number.isFinite(speed) || speed < 0) {
      throw new RangeError(`clock speed must be a finite number ≥ 0, got ${speed}`);
    }
    this.#rebase(this.#nowMs());
    this.#speed = speed;
    this.#arm();
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  #nowMs(): number {
    return this.#baseSimMs + Math.floor((this.#wallNow() - this.#baseWallMs) * this.#speed);
  }

  #rebase(simMs: number): void {
    this.#baseSimMs = simMs;
    this.#baseWallMs = this.#wallNow();
  }

  /** Keeps one real timer for the earliest simulated timer while the clock runs on its own. */
  #arm(): void {
    clearTimeout(this.#realTimer);
    this.#realTimer = undefined;
    const next = this.#timers[0];
    if (!next || this.#speed === 0 || this.#advancing) return;
    const delay = Math.max(0, (next.at - this.#nowMs()) / this.#speed);
    this.#realTimer = setTimeout(
      () => {
        this.#fireDue();
      },
      Math.min(Math.ceil(delay), MAX_TIMER_DELAY_MS),
    );
    this.#realTimer.unref();
  }

  #fireDue(): void {
    this.#realTimer = undefined;
    const now = this.#nowMs();
    try {
      for (;;) {
        const next = this.#timers[0];
        if (!next || next.at > now) break;
        this.#timers.shift();
        next.fn();
      }
    } finally {
      this.#arm();
    }
  }
}
