/**
 * The engine's public surface: what the CLI, the sender and the report site may use.
 * Anything not exported here is internal to the engine.
 */
export { checkConfig, loadConfig, displayPaths, type CheckResult } from "./config/index.ts";
export type * from "./config/types.ts";
export { MESSAGE_TYPES, STAGES, ENGAGEMENT_LEVELS, isMarketing } from "./config/types.ts";
export { renderEmail, sampleUser } from "./templates/index.ts";
export { openSnapshot, type Snapshot, type SnapshotOptions } from "./data/snapshot.ts";
export { NurtureError, formatProblem, type Problem } from "./errors.ts";
export { parseDuration, formatDuration } from "./duration.ts";
export type { LedgerRecord } from "./ledger/types.ts";
export type { Plan, PlannedSend, HeldBack } from "./evaluate/types.ts";
export { messageKey, chooseVariant } from "./evaluate/key.ts";
export { evaluate } from "./evaluate/evaluate.ts";
export { explain, type Explanation, type CampaignExplanation } from "./explain/explain.ts";
export { signUnsubscribeToken, verifyUnsubscribeToken, unsubscribeUrl } from "./send/unsubscribe.ts";
export { decodeTagValue, encodeTagValue } from "./send/tags.ts";
export { runSends, summarize, resendTransport, outboxTransport, type SendReport, type SendSummary, type Transport } from "./send/index.ts";
export { impactDiff, type ImpactDiff, type DiffOptions } from "./impact/diff.ts";
export { diffMarkdown } from "./impact/diff-markdown.ts";
export { backtest, runInstants, type BacktestReport, type BacktestOptions } from "./impact/backtest.ts";
export { backtestMarkdown } from "./impact/backtest-markdown.ts";
export { audienceSnapshot, type AudienceCounts } from "./evaluate/audience.ts";
export { whereSql } from "./sql/conditions.ts";
export { convertWebhooks, type ConvertOptions } from "./webhooks/convert.ts";
export type { EventRow, SetAside, WebhookConversion } from "./webhooks/types.ts";
export { signWebhook, verifyWebhookSignature } from "./webhooks/signature.ts";
export { npsScore } from "./webhooks/nps-link.ts";
export { commitState, type CommitStateOptions, type CommitStateResult } from "./state/commit-state.ts";
