/**
 * `nurture webhooks`: files of Resend webhook deliveries → one NDJSON file of event rows
 * under `<data>/snapshots/events/`, named `webhooks-<first ts>-<sha8>.ndjson` from its own
 * content. Converting the same deliveries again writes the same file name with the same
 * bytes (a rerun overwrites, never duplicates), and each row's event_id is the delivery's
 * svix-id or a hash of its payload, so overlapping files are counted once when loaded.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { NurtureError } from "../errors.ts";
import { compactIso, syncDirectory, writeFileDurably } from "../ledger/writer.ts";
import { readDeliveries } from "./read-deliveries.ts";
import { toEvents } from "./to-events.ts";
import type { EventRow, SetAside, WebhookConversion } from "./types.ts";

export interface ConvertOptions {
  /** Input files of deliveries, one per line. */
  inputs: string[];
  /** The data directory; rows go to `<dataDir>/snapshots/events/` unless `outDir` is given. */
  dataDir: string;
  outDir?: string;
  /** The `whsec_…` signing secret; when set, every delivery's signature is checked. */
  secret?: string;
}

const byTimeThenId = (a: EventRow, b: EventRow): number => a.ts.localeCompare(b.ts) || a.event_id.localeCompare(b.event_id);

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new NurtureError("webhooks-input", `cannot read webhook file ${file}`, {
      cause: error,
      problems: [{ code: "webhooks-input", severity: "error", message: (error as Error).message, file, hint: "pass --in with an NDJSON file of Resend webhook deliveries, one per line" }],
    });
  }
}

/**
 * Converts webhook delivery files into event rows and writes them (see the module comment).
 * Lines that cannot be read or verified, and events without nurture's `user` tag, are set
 * aside with file, line and reason; the good rows are written regardless.
 *
 * @example
 * const result = convertWebhooks({ inputs: ["resend-events.ndjson"], dataDir: "data", secret: process.env.RESEND_WEBHOOK_SECRET });
 * // result.file === "…/data/snapshots/events/webhooks-20261120T083000Z-1a2b3c4d.ndjson"
 */
export function convertWebhooks(options: ConvertOptions): WebhookConversion {
  const rows = new Map<string, EventRow>();
  const setAside: SetAside[] = [];
  const ignored: Record<string, number> = {};
  let deliveries = 0;
  let repeats = 0;

  for (const file of options.inputs) {
    for (const item of readDeliveries(readInput(file), options.secret)) {
      deliveries += 1;
      if ("reason" in item) {
        setAside.push({ file, line: item.line, kind: "malformed", reason: item.reason });
        continue;
      }
      const result = toEvents(item.payload, item.eventId);
      if (result.kind === "ignored") ignored[result.type] = (ignored[result.type] ?? 0) + 1;
      else if (result.kind === "malformed" || result.kind === "no-user") setAside.push({ file, line: item.line, kind: result.kind, reason: result.reason });
      else {
        if (rows.has(result.rows[0]!.event_id)) repeats += 1;
        for (const row of result.rows) if (!rows.has(row.event_id)) rows.set(row.event_id, row);
      }
    }
  }

  const sorted = [...rows.values()].sort(byTimeThenId);
  const byEvent: Record<string, number> = {};
  for (const row of sorted) byEvent[row.event] = (byEvent[row.event] ?? 0) + 1;
  const summary: WebhookConversion = {
    deliveries,
    rows: sorted.length,
    byEvent: Object.fromEntries(Object.entries(byEvent).sort(([a], [b]) => a.localeCompare(b))),
    repeats,
    ignored: Object.fromEntries(Object.entries(ignored).sort(([a], [b]) => a.localeCompare(b))),
    setAside,
    verified: Boolean(options.secret),
  };
  if (sorted.length === 0) return summary;

  const content = sorted.map((row) => JSON.stringify(row)).join("\n") + "\n";
  const sha8 = createHash("sha256").update(content).digest("hex").slice(0, 8);
  const dir = path.resolve(options.outDir ?? path.join(options.dataDir, "snapshots", "events"));
  const file = path.join(dir, `webhooks-${compactIso(new Date(sorted[0]!.ts))}-${sha8}.ndjson`);
  fs.mkdirSync(dir, { recursive: true });
  writeFileDurably(file, content);
  syncDirectory(dir);
  return { ...summary, file };
}
