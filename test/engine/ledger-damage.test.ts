import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSnapshot } from "../../src/engine/index.ts";
import { nurture } from "../support/cli.ts";

const FILE = "20261119T120000Z-r1.ndjson";
const AT = "2026-11-19T12:00:00.000Z";
const KEY = "294e9294442f6ea35fba9a899f180ba4";

/** The lines a run writes when it sends u1 the welcome email: an intent, its batch and the send. */
const INTENT = { kind: "intent", at: AT, run: "r1", key: KEY, user_id: "u1", campaign: "welcome", step: "welcome", template: "welcome", type: "regular", occurrence: AT, due: AT, batch: "b1" };
const BATCH = { kind: "batch", at: AT, run: "r1", batch: "b1", idempotency_key: "i1", keys: [KEY], payload_sha256: "0".repeat(64) };
const SENT = { kind: "sent", at: AT, run: "r1", key: KEY, provider_id: "p1", transport: "resend", batch: "b1" };
const RUN = [INTENT, BATCH, SENT].map((r) => JSON.stringify(r));
const FAILED = { kind: "failed", at: AT, run: "r1", key: KEY, error: "e", retryable: false, batch: "b1" };
const SKIPPED = { kind: "skipped", at: AT, run: "r1", key: KEY, user_id: "u1", campaign: "welcome", step: "welcome", occurrence: AT, due: AT, reason: "too late" };
const SUPPRESSED = { kind: "suppressed", at: AT, run: "r1", user_id: "u1", reason: "unsubscribed", since: AT };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A data directory with one user and `text` as its only ledger file (`FILE`). */
function dataDir(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-ledger-damage-"));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, "snapshots/users"), { recursive: true });
  fs.mkdirSync(path.join(dir, "snapshots/events"), { recursive: true });
  fs.mkdirSync(path.join(dir, "ledger"));
  fs.writeFileSync(path.join(dir, "snapshots/users/u.ndjson"), JSON.stringify({ user_id: "u1", email: "u1@example.com", created_at: AT }));
  fs.writeFileSync(path.join(dir, "snapshots/events/e.ndjson"), "");
  fs.writeFileSync(path.join(dir, "ledger", FILE), text);
  return dir;
}

/** `lines` as a ledger file a run finished writing (a newline after each). */
const file = (...lines: string[]): string => lines.map((l) => `${l}\n`).join("");

/** What opening a snapshot of `dir` throws (undefined when it opens). */
async function openError(dir: string): Promise<unknown> {
  try {
    (await openSnapshot(dir)).close();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** The damaged-ledger error naming `FILE` under `dir`, its `line` and a message matching `what`. */
const damaged = (dir: string, line: number, what: RegExp) => ({
  name: "NurtureError",
  code: "damaged-ledger",
  problems: [{
    code: "damaged-ledger",
    severity: "error",
    file: path.join(dir, "ledger", FILE),
    line,
    message: expect.stringMatching(new RegExp(`^line ${line} ${what.source}.*the file was changed after it was written$`)),
    hint: expect.stringMatching(/restore the file from git/),
  }],
});

describe("a ledger line no run can have written stops the load with damaged-ledger", () => {
  it.each([
    ["a word", "yesterday", /is a `sent` record whose `at` is not a time \("yesterday"\)/],
    ["empty", "", /is a `sent` record whose `at` is not a time \(""\)/],
    ["a number", 1763553601, /is a `sent` record whose `at` is not a time \(1763553601\)/],
    ["not finite", "infinity", /is a `sent` record whose `at` is not a time \("infinity"\)/],
  ])("an `at` that is not a time (%s)", async (_, at, what) => {
    const dir = dataDir(file(RUN[0]!, JSON.stringify({ ...SENT, at })));
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, what));
  });

  it.each([
    ["an array", "[1,2]"],
    ["a string", '"hello"'],
    ["a number", "12"],
    ["null", "null"],
  ])("a JSON value that is not an object (%s)", async (_, line) => {
    const dir = dataDir(file(RUN[0]!, line, RUN[2]!));
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, /is not a JSON object/));
  });

  it("a JSON value that is not an object as the last line, with no newline after it (it is whole, so not torn)", async () => {
    const dir = dataDir(`${file(RUN[0]!)}12`);
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, /is not a JSON object/));
  });

  it("a record of a kind no run writes", async () => {
    const dir = dataDir(file(RUN[0]!, JSON.stringify({ ...SENT, kind: "delivered" })));
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, /has an unknown kind "delivered"/));
  });

  it("a record without a kind", async () => {
    const { kind: _, ...noKind } = SENT;
    const dir = dataDir(file(JSON.stringify(noKind), RUN[2]!));
    expect(await openError(dir)).toMatchObject(damaged(dir, 1, /is a record without `kind`/));
  });

  it.each([
    ["sent", "key", SENT],
    ["failed", "key", FAILED],
    ["intent", "key", INTENT],
    ["intent", "user_id", INTENT],
    ["skipped", "key", SKIPPED],
    ["skipped", "user_id", SKIPPED],
    ["suppressed", "user_id", SUPPRESSED],
    ["sent", "at", SENT],
  ])("a `%s` record without `%s`", async (kind, field, record) => {
    const dir = dataDir(file(RUN[0]!, JSON.stringify({ ...record, [field]: undefined })));
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, new RegExp(`is a \`${kind}\` record without \`${field}\``)));
  });

  it("a damaged line before a torn last line (the torn line is still no excuse for the one before it)", async () => {
    const dir = dataDir(`${file(RUN[0]!, JSON.stringify({ ...SENT, at: "soon" }))}{"kind":"se`);
    expect(await openError(dir)).toMatchObject(damaged(dir, 2, /is a `sent` record whose `at` is not a time \("soon"\)/));
  });

  it("names the first damaged line of the file when there are several", async () => {
    const dir = dataDir(file(RUN[0]!, RUN[1]!, JSON.stringify({ ...SENT, kind: "opened" }), RUN[2]!, "[]", JSON.stringify({ ...SENT, at: "" })));
    expect(await openError(dir)).toMatchObject(damaged(dir, 3, /has an unknown kind "opened"/));
  });

  it("is an error the CLI reports as such, not a crash", async () => {
    const dir = dataDir(file(RUN[0]!, JSON.stringify({ ...SENT, at: "yesterday" })));
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", dir, "--now", "2026-11-20T09:00:00Z");
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(dir, "ledger", FILE)}:2: line 2 is a \`sent\` record whose \`at\` is not a time ("yesterday")`);
    expect(r.err).not.toContain("unexpected error");
  });
});

// A guard against refusing too much: passes before and after the checks above were added.
it("loads every kind a run writes, needing only the fields the engine reads", async () => {
  const minimal = [
    { kind: "intent", at: AT, key: "k1", user_id: "u1" },
    { kind: "batch", at: AT },
    { kind: "sent", at: AT, key: "k1" },
    { kind: "failed", at: AT, key: "k2" },
    { kind: "skipped", at: AT, key: "k3", user_id: "u1" },
    { kind: "suppressed", at: "2026-11-19 12:00:00+00", user_id: "u1" },
  ];
  const snap = await openSnapshot(dataDir(file(...minimal.map((r) => JSON.stringify(r)))));
  try {
    const rows = (await snap.connection.runAndReadAll(`SELECT kind, "at"::VARCHAR AS at FROM ledger ORDER BY kind`)).getRowObjects();
    expect(rows).toEqual(["batch", "failed", "intent", "sent", "skipped", "suppressed"].map((kind) => ({ kind, at: "2026-11-19 12:00:00+00" })));
  } finally {
    snap.close();
  }
});
