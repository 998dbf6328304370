/**
 * Paces provider requests to the rate limit the provider reports. Resend documents its
 * per-team limit as 2 and as 5 requests per second, so the pacer starts at the safe end
 * and then follows the `ratelimit-limit` header of each response (requests per one-second
 * window). Requests start at least 1/limit seconds apart, plus a small margin so that
 * jitter between the two clocks does not push one over; a 429 pauses everyone for its
 * `retry-after`.
 */

export interface Clock {
  /** Milliseconds on a monotonic-enough clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface PacerOptions {
  /** Requests per second until a response says otherwise (default 2). */
  initialRate?: number;
  /** Extra spacing as a fraction of the interval (default 0.03). */
  margin?: number;
  clock?: Clock;
}

export class Pacer {
  private interval: number;
  private nextAt = -Infinity;
  private pausedUntil = -Infinity;
  private readonly margin: number;
  private readonly clock: Clock;
  /** The limit last read from the provider, requests per second. */
  limit: number;

  constructor(options: PacerOptions = {}) {
    this.margin = options.margin ?? 0.03;
    this.clock = options.clock ?? systemClock;
    this.limit = options.initialRate ?? 2;
    this.interval = this.intervalFor(this.limit);
  }

  private intervalFor(rate: number): number {
    return (1000 / rate) * (1 + this.margin);
  }

  /** Waits for the next request slot and takes it. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const at = Math.max(this.nextAt, this.pausedUntil);
      if (at <= now) {
        this.nextAt = now + this.interval;
        return;
      }
      await this.clock.sleep(at - now);
    }
  }

  /** Reads `ratelimit-limit` from a response's headers (absent headers change nothing). */
  observe(headers: Record<string, string> | null | undefined): void {
    const limit = Number(headers?.["ratelimit-limit"]);
    if (Number.isFinite(limit) && limit > 0 && limit !== this.limit) {
      this.limit = limit;
      this.interval = this.intervalFor(limit);
    }
  }

  /** Holds every request back for `ms` (after a 429's `retry-after`). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }
}
