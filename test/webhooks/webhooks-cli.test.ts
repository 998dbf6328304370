import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Resend } from "resend";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import { openSnapshot } from "../../src/engine/index.ts";
import { signWebhook, verifyWebhookSignature } from "../../src/engine/webhooks/signature.ts";
import { click, ndjson, resendEvent, SECRET, signed, TAGS } from "./_deliveries.ts";

let dir: string;
let data: string;
const savedSecret = process.env.RESEND_WEBHOOK_SECRET;
beforeEach(() => {
  delete process.env.RESEND_WEBHOOK_SECRET;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-webhooks-"));
  data = path.join(dir, "data");
  fs.mkdirSync(path.join(data, "snapshots/users"), { recursive: true });
  const users = [
    { user_id: "u1", email: "secret-ann@example.com", created_at: "2026-11-01T00:00:00Z" },
    { user_id: "u2", email: "bob@example.com", created_at: "2026-11-01T00:00:00Z" },
  ];
  fs.writeFileSync(path.join(data, "snapshots/users/u.ndjson"), ndjson(users));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (savedSecret === undefined) delete process.env.RESEND_WEBHOOK_SECRET;
  else process.env.RESEND_WEBHOOK_SECRET = savedSecret;
});

const input = (name: string, lines: unknown[]): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ndjson(lines));
  return file;
};
const eventsDir = () => path.join(data, "snapshots/events");
const written = () => (fs.existsSync(eventsDir()) ? fs.readdirSync(eventsDir()) : []);
const readRows = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const webhooks = (...args: string[]) => nurture("webhooks", "--data", data, ...args);

const DAY_OF_EVENTS = [
  resendEvent("email.sent", {}, TAGS, "2026-11-20T08:59:59.000Z"),
  resendEvent("email.delivered"),
  resendEvent("email.opened", {}, TAGS, "2026-11-20T09:02:00.000Z"),
  click("https://taskly.github.io/nurture/nps/3/?k=k-welcome-u1&utm_source=nurture", { ...TAGS, type: "survey" }),
  resendEvent("email.bounced", { bounce: { message: "mailbox full", subType: "MailboxFull", type: "Transient" } }, { ...TAGS, user: "u2" }),
  { type: "contact.created", created_at: "2026-11-20T09:00:00.000Z", data: { id: "c1", email: "x@example.com" } },
];

describe("nurture webhooks", () => {
  it("writes event rows under snapshots/events/ that openSnapshot reads without bad rows", async () => {
    const r = await webhooks("--in", input("resend.ndjson", DAY_OF_EVENTS));
    expect(r.code).toBe(0);
    expect(written()).toEqual([expect.stringMatching(/^webhooks-20261120T085959Z-[0-9a-f]{8}\.ndjson$/)]);
    expect(r.out).toContain("6 deliveries → 6 event row(s)");
    expect(r.out).toContain("email.bounced 1, email.clicked 1, email.delivered 1, email.opened 1, email.sent 1, nps.answered 1");
    expect(r.out).toContain("signatures: not checked (RESEND_WEBHOOK_SECRET is not set)");
    expect(r.out).toContain("ignored (not about a sent email): contact.created 1");
    expect(r.out + r.err).not.toContain("secret-ann");

    const snap = await openSnapshot(data);
    try {
      expect(await snap.badRows()).toEqual([]);
      const reader = await snap.connection.runAndReadAll(
        "SELECT user_id, event, json_extract_string(properties, '$.key') AS key, json_extract(properties, '$.score')::INTEGER AS score FROM events ORDER BY ts, event",
      );
      const rows = reader.getRowObjects();
      expect(rows).toHaveLength(6);
      expect(rows.every((row) => row.key === "k-welcome-u1")).toBe(true);
      expect(rows.find((row) => row.event === "nps.answered")).toMatchObject({ user_id: "u1", score: 3 });
    } finally {
      snap.close();
    }
  });

  it("is idempotent: converting the same file again overwrites the same file with the same rows", async () => {
    const file = input("resend.ndjson", DAY_OF_EVENTS);
    await webhooks("--in", file);
    const [first] = written();
    const before = fs.readFileSync(path.join(eventsDir(), first!), "utf8");
    const again = await webhooks("--in", file);
    expect(again.code).toBe(0);
    expect(written()).toEqual([first]);
    expect(fs.readFileSync(path.join(eventsDir(), first!), "utf8")).toBe(before);
  });

  it("writes a delivery repeated in the input (a webhook retry) once", async () => {
    const r = await webhooks("--in", input("a.ndjson", [DAY_OF_EVENTS[1]]), "--in", input("b.ndjson", [DAY_OF_EVENTS[1], DAY_OF_EVENTS[2]]), "--json");
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ deliveries: 3, rows: 2, repeats: 1 });
    expect(readRows(result.file).map((row: { event: string }) => row.event)).toEqual(["email.delivered", "email.opened"]);
  });

  it("reports a malformed line with its line number, sets aside events without a user tag, and still writes the good rows", async () => {
    const file = input("mixed.ndjson", [DAY_OF_EVENTS[1], "{not json", "", resendEvent("email.opened", {}, { key: "k9" })]);
    const r = await webhooks("--in", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("set aside: 2 line(s)");
    expect(r.err).toMatch(new RegExp(`error ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not JSON`));
    expect(r.err).toMatch(/warning \S+mixed\.ndjson:4: email\.opened .* has no "user" tag/);
    expect(written()).toHaveLength(1);
    expect(readRows(path.join(eventsDir(), written()[0]!))).toHaveLength(1);
  });

  it("exits 0 when only events without a user tag were set aside (mail nurture did not send)", async () => {
    const r = await webhooks("--in", input("other.ndjson", [resendEvent("email.delivered", {}, null)]), "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: 0, setAside: [{ line: 1, kind: "no-user" }] });
    expect(written()).toEqual([]);
  });

  it("--out puts the file elsewhere", async () => {
    const out = path.join(dir, "elsewhere");
    const r = await webhooks("--in", input("resend.ndjson", DAY_OF_EVENTS), "--out", out);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out)).toHaveLength(1);
    expect(written()).toEqual([]);
  });

  it("explains a missing --in (exit 2) and a file that does not exist (exit 1)", async () => {
    expect((await webhooks()).code).toBe(2);
    const missing = await webhooks("--in", path.join(dir, "nope.ndjson"));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("nope.ndjson");
  });
});

describe("nurture webhooks with a signing secret", () => {
  it("checks every signature against the raw body and rejects a forged one by line", async () => {
    process.env.RESEND_WEBHOOK_SECRET = SECRET;
    const good = signed(DAY_OF_EVENTS[1], "msg_good");
    const forged = { ...signed(DAY_OF_EVENTS[2], "msg_forged", "whsec_" + Buffer.from("another secret!!").toString("base64")) };
    const tampered = { ...signed(DAY_OF_EVENTS[0], "msg_tampered"), body: JSON.stringify({ ...DAY_OF_EVENTS[0], type: "email.complained" }) };
    const r = await webhooks("--in", input("signed.ndjson", [good, forged, tampered, DAY_OF_EVENTS[3]]), "--json");
    expect(r.code).toBe(1);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ verified: true, rows: 1, byEvent: { "email.delivered": 1 } });
    expect(result.setAside.map((s: { line: number; reason: string }) => [s.line, s.reason.split(" ")[0]])).toEqual([
      [2, "signature"],
      [3, "signature"],
      [4, "no"],
    ]);
    expect(readRows(result.file)[0]).toMatchObject({ event_id: "msg_good", event: "email.delivered" });
  });

  it("reads the secret from --secret-env, and refuses a named variable that is not set (exit 2)", async () => {
    process.env.MY_HOOK_SECRET = SECRET;
    try {
      const r = await webhooks("--in", input("signed.ndjson", [signed(DAY_OF_EVENTS[1], "msg_1")]), "--secret-env", "MY_HOOK_SECRET");
      expect(r.code).toBe(0);
      expect(r.out).toContain("signatures: checked with MY_HOOK_SECRET");
    } finally {
      delete process.env.MY_HOOK_SECRET;
    }
    expect((await webhooks("--in", input("x.ndjson", [DAY_OF_EVENTS[1]]), "--secret-env", "MY_HOOK_SECRET")).code).toBe(2);
  });

  it("signs exactly as the resend SDK verifies (Svix scheme)", () => {
    const body = JSON.stringify(DAY_OF_EVENTS[1]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = signWebhook(SECRET, "msg_sdk", timestamp, body);
    const sdk = new Resend("re_test_key").webhooks.verify({ payload: body, headers: { id: "msg_sdk", timestamp, signature }, webhookSecret: SECRET });
    expect(sdk).toEqual(DAY_OF_EVENTS[1]);
    expect(verifyWebhookSignature(SECRET, { id: "msg_sdk", timestamp, signature }, body)).toBe(true);
    expect(verifyWebhookSignature(SECRET, { id: "msg_sdk", timestamp, signature: `v1,${"A".repeat(44)}` }, body)).toBe(false);
  });
});
