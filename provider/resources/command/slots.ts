/**
 * Session slots: how many sessions this process holds at once per instance and per region, so
 * that many Commands on one instance wait their turn instead of failing with the clouds'
 * session limits (ECS: 20 connected per instance, 100 active per region). First come, first
 * served among the waiters of one instance; one that does not fit yet never blocks another that does.
 */

/** Slots per instance and per region. */
export interface SlotLimits {
  perInstance: number;
  perRegion: number;
}

interface Waiter {
  region: string;
  instance: string;
  grant: (release: () => void) => void;
}

/** A counting semaphore over (region, instance) pairs. */
export class SessionSlots {
  private readonly held = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: SlotLimits) {}

  /** Waits for a slot on `instance` in `region`; call the returned function to give it back. */
  acquire(region: string, instance: string): Promise<() => void> {
    if (this.fits(region, instance)) return Promise.resolve(this.take(region, instance));
    return new Promise((grant) => this.waiting.push({ region, instance, grant }));
  }

  /** Runs `work` holding a slot. */
  async run<T>(region: string, instance: string, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(region, instance);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private keys(region: string, instance: string): string[] {
    return [`r:${region}`, `i:${region}/${instance}`];
  }

  private fits(region: string, instance: string): boolean {
    const [regionKey, instanceKey] = this.keys(region, instance);
    return (
      (this.held.get(regionKey) ?? 0) < this.limits.perRegion &&
      (this.held.get(instanceKey) ?? 0) < this.limits.perInstance
    );
  }

  private take(region: string, instance: string): () => void {
    const keys = this.keys(region, instance);
    for (const key of keys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const left = (this.held.get(key) ?? 1) - 1;
        if (left === 0) this.held.delete(key);
        else this.held.set(key, left);
      }
      this.wake();
    };
  }

  /** Grants, in order, every waiter that fits now (a waiter that does not fit blocks no other). */
  private wake(): void {
    for (let i = 0; i < this.waiting.length;) {
      const next = this.waiting[i];
      if (!this.fits(next.region, next.instance)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      next.grant(this.take(next.region, next.instance));
    }
  }
}
