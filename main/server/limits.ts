/**
 * Inbound limits of the headless server: what one client may ask of it, so that no client (a viewer's tab left in a
 * loop, a script, an attacker with a token) can take the event loop the engine and the controller tick on.
 */
export interface RateLimits {
  /** Requests per second one WebSocket connection, or one HTTP client (address + token), may make (default 50). */
  ratePerS: number;
  /** Requests above the rate allowed at once (default 2 × rate). */
  burst: number;
  /** Unanswered requests one connection or HTTP client may have; beyond it the socket stops being read (default 32). */
  maxInFlight: number;
}

export const DEFAULT_LIMITS: RateLimits = { ratePerS: 50, burst: 100, maxInFlight: 32 };

/** Limits from a rate alone: burst twice the rate, the default in-flight bound. */
export function limitsFor(ratePerS: number | undefined): RateLimits {
  if (ratePerS === undefined) return DEFAULT_LIMITS;
  return { ratePerS, burst: Math.max(1, Math.round(2 * ratePerS)), maxInFlight: DEFAULT_LIMITS.maxInFlight };
}

/** A token bucket: `capacity` tokens, refilled at `perS` a second; each request takes one. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perS: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perS);
    this.at = now;
  }

  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Empty the bucket and owe `seconds` of refill on top: a penalty for a client closed for flooding. */
  drain(now: number, seconds: number): void {
    this.refill(now);
    this.tokens = -seconds * this.perS;
  }

  /** Full again (nothing owed): the bucket can be forgotten. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }
}

export type Admission = 'ok' | 'rate' | 'flood';

/**
 * One client's admission: a request bucket (the rate and burst) and a strike bucket (as many refusals as the burst,
 * refilled at the rate). A request over the rate is refused ('rate'); a client that keeps sending while refused
 * empties its strikes and is to be closed ('flood').
 */
export class ClientLimiter {
  private readonly requests: TokenBucket;
  private readonly strikes: TokenBucket;
  inFlight = 0;

  constructor(
    readonly limits: RateLimits,
    now: number,
  ) {
    this.requests = new TokenBucket(limits.ratePerS, limits.burst, now);
    this.strikes = new TokenBucket(limits.ratePerS, limits.burst, now);
  }

  admit(now: number): Admission {
    if (this.requests.take(now)) return 'ok';
    return this.strikes.take(now) ? 'rate' : 'flood';
  }

  penalize(now: number, seconds: number): void {
    this.requests.drain(now, seconds);
  }

  idle(now: number): boolean {
    return this.inFlight === 0 && this.requests.full(now) && this.strikes.full(now);
  }
}

/** Limiters by key (HTTP: remote address + principal), forgotten once idle so the map cannot grow without bound. */
export class KeyedLimiters {
  private readonly map = new Map<string, ClientLimiter>();
  private sweptAt = 0;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string): ClientLimiter {
    const t = this.now();
    if (t - this.sweptAt > 10_000) {
      this.sweptAt = t;
      for (const [k, l] of this.map) if (l.idle(t)) this.map.delete(k);
    }
    let l = this.map.get(key);
    if (!l) this.map.set(key, (l = new ClientLimiter(this.limits, t)));
    return l;
  }

  get size(): number {
    return this.map.size;
  }
}

/** The refusal a client reads when it is over its rate. */
export function rateError(l: RateLimits): string {
  return `rate limit: at most ${l.ratePerS} requests/s (burst ${l.burst}) per connection; slow down`;
}

export function inFlightError(l: RateLimits): string {
  return `too many unanswered requests: at most ${l.maxInFlight} at a time per connection`;
}

/** Seconds a client closed for flooding waits before it may connect again. */
export const FLOOD_PENALTY_S = 5;
