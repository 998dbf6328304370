/**
 * What `nurture webhooks` produces: event-snapshot rows (the README's data contract) and
 * a summary of the conversion, with every line it could not use and why.
 */

/** One row of `data/snapshots/events/**`, as written to NDJSON. */
export interface EventRow {
  user_id: string;
  event: string;
  /** ISO-8601 UTC instant. */
  ts: string;
  properties: Record<string, string | number>;
  /** The delivery's svix-id, or a hash of its payload; derived rows add a suffix (`:nps`). */
  event_id: string;
}

/** A line that was not turned into rows, and why. */
export interface SetAside {
  /** The input file as given on the command line. */
  file: string;
  /** 1-based line number in that file. */
  line: number;
  /** `malformed`: the line could not be read or verified (exit 1); `no-user`: a readable event without nurture's `user` tag. */
  kind: "malformed" | "no-user";
  reason: string;
}

/** The outcome of converting one or more webhook files. */
export interface WebhookConversion {
  /** The NDJSON file written (absolute), or undefined when no row was made. */
  file?: string;
  /** Non-blank lines read. */
  deliveries: number;
  /** Rows written (after removing repeats of the same event_id). */
  rows: number;
  /** Rows written by event name, sorted by name. */
  byEvent: Record<string, number>;
  /** Deliveries seen more than once in the input (same event_id), written once. */
  repeats: number;
  /** Webhook types that are not about a sent email (contact.*, domain.*, email.received…), by type. */
  ignored: Record<string, number>;
  setAside: SetAside[];
  /** Whether signatures were checked (a secret was given). */
  verified: boolean;
}
