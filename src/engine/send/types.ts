import type { Config, MessageType } from "../config/types.ts";
import type { HeldBack, Plan, PlannedSend } from "../evaluate/types.ts";
import type { Transport } from "./transport.ts";

export interface SendRunOptions {
  config: Config;
  /** The data directory: snapshots/, ledger/, spool/ (and outbox/ for that transport). */
  dataDir: string;
  /** The instant the plan is evaluated at. */
  now: Date;
  /** Where emails go; undefined for a dry run, which sends and writes nothing. */
  transport?: Transport;
  /** Secret that signs unsubscribe tokens. */
  secret: string;
  /** The clock ledger records are stamped with (default: the wall clock; the CLI passes `--now` when given). */
  clock?: () => Date;
  /** Emails per provider request, at most 100 (default 100). */
  batchSize?: number;
  /** Provider requests in flight at once (default 2; the pacer still keeps to the rate limit). */
  maxInFlight?: number;
  /** Worker threads that render emails (default: for runs of 400 sends or more, one per spare core up to 4; 0 renders on this thread). */
  renderWorkers?: number;
  /** Run id (default: time-ordered random). */
  runId?: string;
  onProgress?: (progress: SendProgress) => void;
}

export interface SendProgress {
  phase: "replay" | "send";
  /** Emails with an outcome so far in this phase, and how many the phase has. */
  done: number;
  total: number;
  sent: number;
  failed: number;
}

/** What happened to one key in this run. */
export interface Outcome {
  key: string;
  userId: string;
  campaign: string;
  step: string;
  type: MessageType | string;
  status: "sent" | "failed" | "would-send";
  /** True when the email went out as part of replaying a batch an earlier run left unfinished. */
  replayed: boolean;
  providerId?: string;
  error?: string;
  retryable?: boolean;
}

export interface SendReport {
  run: string;
  transport: "resend" | "outbox" | "dry-run";
  /** The ledger file this run appended to; undefined when it recorded nothing (or was a dry run). */
  ledgerFile?: string;
  plan: Plan;
  outcomes: Outcome[];
  /** Marketing sends refused because the plan also holds the user as suppressed. */
  refused: PlannedSend[];
  /** Held as too late or by the exit condition, and recorded as `skipped` (a dry run: would be). */
  skipped: HeldBack[];
  /** Unfinished batches of earlier runs replayed (a dry run: would be). */
  replayedBatches: string[];
  /** Why the run stopped early (bad API key, quota), if it did. */
  stopped?: string;
  warnings: string[];
}
