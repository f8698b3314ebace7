/**
 * Injectable time, so tests can move past the four-week retention, the 3-minute idle close or an
 * hour of credentials in milliseconds. Timers set on a clock never hold the process open.
 */
export interface ClockTimer {
  /** Cancels the timer; idempotent, harmless after it fired. */
  clear(): void;
}

export interface Clock {
  now(): Date;
  /** Runs `fn` once `ms` of this clock's time have passed. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { clear: () => clearTimeout(timer) };
  },
};

/** A clock, or only a source of the time (a skewed one): its timers are then real ones. */
export type TimeSource = Pick<Clock, "now"> & Partial<Pick<Clock, "setTimeout">>;

export function asClock(source: TimeSource): Clock {
  const { setTimeout = systemClock.setTimeout } = source;
  return { now: () => source.now(), setTimeout: (fn, ms) => setTimeout.call(source, fn, ms) };
}

interface ManualTimer {
  due: number;
  /** Order of creation: timers due at the same time fire in the order they were set. */
  order: number;
  fn: () => void;
  cleared: boolean;
}

/** A clock tests move by hand: `advance` fires every timer that falls due, in time order. */
export class ManualClock implements Clock {
  private current: number;
  private timers: ManualTimer[] = [];
  private created = 0;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: ManualTimer = {
      due: this.current + Math.max(0, ms),
      order: this.created++,
      fn,
      cleared: false,
    };
    this.timers.push(timer);
    return {
      clear: () => {
        timer.cleared = true;
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Timers not yet fired nor cleared (tests check nothing is left behind). */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, stopping at each timer's due time to fire it; a timer set while
   * firing fires too when it falls within the same advance.
   */
  advance(ms: number): void {
    const end = this.current + ms;
    for (let next = this.nextDue(end); next; next = this.nextDue(end)) {
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = end;
  }

  private nextDue(end: number): ManualTimer | undefined {
    let first: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.due > end || t.cleared) continue;
      if (!first || t.due < first.due || (t.due === first.due && t.order < first.order)) first = t;
    }
    return first;
  }
}
