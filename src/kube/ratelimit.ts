/** Token-bucket rate limiting, as client-go's flowcontrol: `qps` tokens per second, `burst` at most. */
import { sleep } from '../poll.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(qps > 0) || !(burst >= 1))
      throw new Error(`rate limit needs qps > 0 and burst >= 1 (got qps ${qps}, burst ${burst})`);
    this.tokens = burst;
    this.last = this.now();
  }

  /** Reserves a token; returns how long (ms) the caller must wait before using it (0 = now). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  /** Waits until a token is available. */
  async wait(signal?: AbortSignal): Promise<void> {
    const ms = this.take();
    if (ms > 0) await sleep(ms, signal);
  }
}
