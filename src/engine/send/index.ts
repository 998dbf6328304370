// The sending module's public surface: run a send, pick a transport, sign unsubscribe links.
export { runSends, newRunId } from "./run.ts";
export { summarize, type SendSummary, type SendCounts } from "./summary.ts";
export type { SendRunOptions, SendReport, SendProgress, Outcome } from "./types.ts";
export { resendTransport, type ResendTransportOptions } from "./resend-transport.ts";
export { outboxTransport } from "./outbox-transport.ts";
export { MAX_BATCH_SIZE, requestBody, payloadSha256, type Transport, type BatchRequest, type BatchResult, type EmailResult, type OutgoingEmail } from "./transport.ts";
export { composeEmail, type Composed } from "./compose.ts";
export { encodeTagValue, decodeTagValue, emailTags, type EmailTag } from "./tags.ts";
export {
  signUnsubscribeToken, verifyUnsubscribeToken, unsubscribeUrl, unsubscribeSecret, UNSUBSCRIBE_SECRET_ENV, DEV_UNSUBSCRIBE_SECRET,
} from "./unsubscribe.ts";
export { Pacer, systemClock, type Clock } from "./pacer.ts";
export { backoffMs, classify } from "./retry.ts";
export { toEml } from "./eml.ts";
