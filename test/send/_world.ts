/**
 * Small, readable worlds for the sending tests: a temporary data directory with a users
 * and an events file, and the valid fixture config (test/fixtures/config/valid).
 *
 * At NOW (09:00 UTC, 10:00 in Berlin): ann and cat signed up at 02:00 on a trial, so the
 * welcome sequence's first email (`welcome-1`, type regular = marketing) is due; cat
 * marked an email as spam, so hers is held as suppressed. bob's licence expires in 7
 * days, so the `license-expiring` trigger's service email is due to him.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LedgerRecord } from "../../src/engine/ledger/types.ts";

export const CONFIG_DIR = "test/fixtures/config/valid";
export const NOW = "2026-11-20T09:00:00Z";
export const SECRET = "test-unsubscribe-secret-0123456789";

export const ANN = { user_id: "ann", email: "ann@example.com", first_name: "Ann", created_at: "2026-11-20T02:00:00Z", plan: "trial", timezone: "Europe/Berlin" };
export const BOB = { user_id: "bob", email: "bob@example.com", first_name: "Bob", created_at: "2026-01-01T00:00:00Z", plan: "pro", license_expires_at: "2026-11-27T08:30:00Z" };
export const CAT = { user_id: "cat", email: "cat@example.com", first_name: "Cat", created_at: "2026-11-20T02:00:00Z", plan: "trial" };
export const CAT_COMPLAINED = { user_id: "cat", event: "email.complained", ts: "2026-11-20T03:00:00Z" };

export interface World {
  dir: string;
  /** Every record in data/ledger/*.ndjson, in file-name order. */
  ledger(): LedgerRecord[];
  files(sub: string): string[];
  remove(): void;
}

/** A data directory holding `users` and `events` (NDJSON). */
export function makeWorld(users: object[] = [ANN, BOB, CAT], events: object[] = [CAT_COMPLAINED]): World {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-send-"));
  const write = (file: string, rows: object[]) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), rows.map((r) => JSON.stringify(r)).join("\n"));
  };
  write("snapshots/users/users.ndjson", users);
  write("snapshots/events/events.ndjson", events);
  const files = (sub: string): string => path.join(dir, sub);
  return {
    dir,
    ledger: () => {
      const ledgerDir = files("ledger");
      if (!fs.existsSync(ledgerDir)) return [];
      return fs.readdirSync(ledgerDir).sort().flatMap((f) =>
        fs.readFileSync(path.join(ledgerDir, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as LedgerRecord));
    },
    files: (sub) => (fs.existsSync(files(sub)) ? (fs.readdirSync(files(sub), { recursive: true }) as string[]).sort() : []),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
