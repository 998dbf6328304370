/**
 * What to do about a failed provider request. The `resend` SDK never throws: it returns
 * `{ error: { name, statusCode, message } }`, with `statusCode: null` when the request
 * never got an HTTP answer (network failure, timeout). Those and 5xx answers may or may not
 * have been processed, so they are retried with the same idempotency key; 429 waits for
 * `retry-after`; validation errors are final; a bad API key or an exhausted quota stops
 * the run, since no other batch can succeed either.
 */

export interface ProviderError {
  name: string;
  statusCode: number | null;
  message: string;
}

export type Verdict =
  | { action: "wait"; ms: number }
  | { action: "retry" }
  | { action: "fail"; retryable: false }
  | { action: "stop"; reason: string };

/** Seconds in a `retry-after` header as milliseconds (default 1 s, at least 0.1 s). */
function retryAfterMs(headers: Record<string, string> | null | undefined): number {
  const seconds = Number(headers?.["retry-after"]);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.max(100, seconds * 1000) : 1000;
}

/** Decides how to handle one failed attempt. */
export function classify(error: ProviderError, headers: Record<string, string> | null | undefined): Verdict {
  const status = error.statusCode;
  if (status === 429 && error.name !== "daily_quota_exceeded" && error.name !== "monthly_quota_exceeded") {
    return { action: "wait", ms: retryAfterMs(headers) };
  }
  if (error.name === "daily_quota_exceeded" || error.name === "monthly_quota_exceeded") {
    return { action: "stop", reason: `Resend ${error.name.replaceAll("_", " ")}: ${error.message}` };
  }
  if (status === 401 || status === 403) {
    return { action: "stop", reason: `Resend refused the request (${error.name}): ${error.message}; check RESEND_API_KEY and the sending domain` };
  }
  if (status === null || status >= 500 || error.name === "concurrent_idempotent_requests") return { action: "retry" };
  return { action: "fail", retryable: false };
}

export interface BackoffOptions {
  /** First delay in ms (default 500). */
  baseMs?: number;
  /** Largest delay in ms (default 30 000). */
  capMs?: number;
  /** Uniform [0, 1) source, injectable for tests. */
  random?: () => number;
}

/**
 * Capped exponential backoff with "equal jitter": half the step fixed, half random, so
 * retries from many clients spread out but never come back immediately.
 *
 * @example backoffMs(0) // 250–500 ms; backoffMs(3) // 2–4 s
 */
export function backoffMs(attempt: number, options: BackoffOptions = {}): number {
  const step = Math.min(options.capMs ?? 30_000, (options.baseMs ?? 500) * 2 ** attempt);
  return step / 2 + (step / 2) * (options.random ?? Math.random)();
}

/** One line for the ledger's `error` field. */
export const describeError = (error: ProviderError): string =>
  `${error.name} (${error.statusCode ?? "no HTTP answer"}): ${error.message}`;
