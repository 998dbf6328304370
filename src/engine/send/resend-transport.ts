/**
 * The Resend transport: one `batch.send` per batch through the official SDK, with the
 * batch's idempotency key, permissive batch validation (valid emails go out, invalid ones
 * come back by index instead of failing their 99 neighbours), a timeout per attempt,
 * pacing to the reported rate limit, and retries as retry.ts decides.
 */
import { Resend } from "resend";
import { Pacer, systemClock, type Clock } from "./pacer.ts";
import { backoffMs, classify, describeError, type BackoffOptions, type ProviderError } from "./retry.ts";
import type { BatchRequest, BatchResult, EmailResult, Transport } from "./transport.ts";

export interface ResendTransportOptions {
  apiKey: string;
  /** API base URL; default: the SDK's (`RESEND_BASE_URL`, else https://api.resend.com). */
  baseUrl?: string;
  /** Per-attempt timeout in ms (default 30 000); a timeout counts as a network failure. */
  timeoutMs?: number;
  /** Attempts on 5xx and network failures before the batch is recorded failed (default 5). */
  maxAttempts?: number;
  /** 429 answers tolerated per batch before it is recorded failed (default 30). */
  maxRateLimited?: number;
  /** Requests per second before the first response reports the limit (default 2). */
  initialRate?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
}

interface BatchPayload {
  data?: { id: string }[];
  errors?: { index: number; message: string }[];
}

/** Maps a permissive batch answer onto the request's emails: ids in order, skipping the failed indexes. */
function results(count: number, payload: BatchPayload): EmailResult[] {
  const failed = new Map((payload.errors ?? []).map((e) => [e.index, e.message]));
  const ids = (payload.data ?? []).map((d) => d.id);
  let next = 0;
  return Array.from({ length: count }, (_, i): EmailResult => {
    const message = failed.get(i);
    if (message !== undefined) return { ok: false, error: `validation_error: ${message}`, retryable: false };
    return { ok: true, providerId: ids[next++] ?? "unknown" };
  });
}

/**
 * A Resend transport. Requests from concurrent `sendBatch` calls share one pacer.
 *
 * @example
 * const transport = resendTransport({ apiKey: process.env.RESEND_API_KEY! });
 * const { results } = await transport.sendBatch(request);
 */
export function resendTransport(options: ResendTransportOptions): Transport {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const clock = options.clock ?? systemClock;
  const pacer = new Pacer({ initialRate: options.initialRate ?? 2, clock });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxRateLimited = options.maxRateLimited ?? 30;

  const failAll = (count: number, error: string, retryable: boolean, fatal?: string): BatchResult => ({
    results: Array.from({ length: count }, () => ({ ok: false, error, retryable })),
    ...(fatal ? { fatal } : {}),
  });

  return {
    name: "resend",
    async sendBatch(request: BatchRequest): Promise<BatchResult> {
      let attempts = 0;
      let rateLimited = 0;
      for (;;) {
        await pacer.acquire();
        const response = await resend.batch.send(request.emails, {
          idempotencyKey: request.idempotencyKey,
          batchValidation: "permissive",
          signal: AbortSignal.timeout(timeoutMs),
        });
        pacer.observe(response.headers);
        if (!response.error) return { results: results(request.emails.length, response.data as BatchPayload) };

        const error = response.error as ProviderError;
        const verdict = classify(error, response.headers);
        if (verdict.action === "wait") {
          if (++rateLimited > maxRateLimited) return failAll(request.emails.length, describeError(error), true);
          pacer.pause(verdict.ms);
        } else if (verdict.action === "retry") {
          if (++attempts >= maxAttempts) return failAll(request.emails.length, `${describeError(error)} after ${attempts} attempts`, true);
          await clock.sleep(backoffMs(attempts - 1, options.backoff));
        } else if (verdict.action === "stop") {
          return failAll(request.emails.length, describeError(error), true, verdict.reason);
        } else {
          return failAll(request.emails.length, describeError(error), false);
        }
      }
    },
  };
}
