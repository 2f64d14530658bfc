// Exponential backoff with jitter, shaped like cenkalti/backoff's defaults that
// geoipupdate uses (start 0.5 s, ×1.5 per try, ±50 % jitter, at most 60 s apart),
// bounded by a total time budget (RetryFor). A budget of 0 means one try only.

export interface BackoffOptions {
  budgetMs: number;
  initialMs?: number;
  maxIntervalMs?: number;
  multiplier?: number;
  /** Injected in tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type Attempt<T> = { done: true; value: T } | { done: false; retryable: boolean; value: T };

/** Calls `fn` until it is done, returns a permanent failure, or the budget runs out. */
export async function withBackoff<T>(fn: (attempt: number) => Promise<Attempt<T>>, o: BackoffOptions, onRetry?: (value: T, waitMs: number) => void): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const start = now();
  let interval = o.initialMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    const r = await fn(attempt);
    if (r.done || !r.retryable) return r.value;
    const wait = Math.round(interval * (0.5 + Math.random()));
    if (now() - start + wait > o.budgetMs) return r.value;
    onRetry?.(r.value, wait);
    await sleep(wait);
    interval = Math.min(interval * (o.multiplier ?? 1.5), o.maxIntervalMs ?? 60_000);
  }
}
