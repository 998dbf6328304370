import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { nurture } from "../support/cli.ts";

let data: string;
beforeAll(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-plan-"));
  fs.mkdirSync(path.join(data, "snapshots/users"), { recursive: true });
  fs.mkdirSync(path.join(data, "snapshots/events"), { recursive: true });
  const users = [
    { user_id: "u1", email: "secret-ann@example.com", first_name: "Annabel", created_at: "2026-11-20T02:00:00Z", plan: "trial" },
    { user_id: "", email: "x@example.com", created_at: "2026-11-20T02:00:00Z" },
    { user_id: "u2", email: "u2@example.com", created_at: "2026-11-20T02:00:00Z", plan: "trial" },
  ];
  fs.writeFileSync(path.join(data, "snapshots/users/u.ndjson"), users.map((u) => JSON.stringify(u)).join("\n"));
  fs.writeFileSync(path.join(data, "snapshots/events/e.ndjson"), JSON.stringify({ user_id: "u2", event: "email.complained", ts: "2026-11-20T03:00:00Z" }));
});
afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

describe("nurture plan", () => {
  it("lists the due sends with reasons, reports set-aside rows, and shows no personal data", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/due: 1; held back: suppressed 1/);
    expect(r.out).toContain("newly suppressed: 1 user(s), recorded in the ledger by the next run");
    expect(r.out).toMatch(/send {2}u1 {2}welcome\/\S+ {2}\w+ {2}sequence "welcome" step "\S+" is due/);
    expect(r.err).toContain("set aside: 1 users row(s): missing user_id");
    expect(r.out + r.err).not.toMatch(/secret-ann|Annabel/);
  });

  it("prints the plan as JSON with --json", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z", "--json");
    const plan = JSON.parse(r.out);
    expect(plan.now).toBe("2026-11-20T09:00:00.000Z");
    expect(plan.sends).toHaveLength(1);
    expect(plan.suppressions).toEqual([{ userId: "u2", reason: "complained", since: "2026-11-20T03:00:00.000Z" }]);
    expect(plan.badRows).toMatchObject([{ table: "users", reason: "missing user_id", count: 1 }]);
  });

  it("gives each set-aside count in the JSON its example rows, with file and text", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z", "--json");
    expect(JSON.parse(r.out).badRows).toEqual([{
      table: "users", reason: "missing user_id", count: 1,
      examples: [{ file: "snapshots/users/u.ndjson", text: '{"user_id":"","email":"x@example.com","created_at":"2026-11-20T02:00:00Z"}' }],
    }]);
  });

  it("shows where the set-aside rows are, indented under their count", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z");
    expect(r.err).toContain('set aside: 1 users row(s): missing user_id\n    snapshots/users/u.ndjson: {"user_id":"","email":"x@example.com"');
  });

  it("takes --limit as a whole number of rows only, with --json too", async () => {
    for (const [limit, json] of [["abc", false], ["-2", false], ["1.5", false], ["abc", true]] as const) {
      const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z", "--limit", limit, ...(json ? ["--json"] : []));
      expect(r.code, limit).toBe(2);
      expect(json ? JSON.parse(r.out).error.message : r.err).toContain(`--limit "${limit}" must be a whole number of rows`);
    }
  });

  it("exits 1 naming the directory when there is no snapshot", async () => {
    const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", path.join(data, "nope"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("nurture demo");
  });

  it("exits 1 with a hint, and no stack trace, when NURTURE_MEMORY_LIMIT is not a size", async () => {
    vi.stubEnv("NURTURE_MEMORY_LIMIT", "lots");
    try {
      const r = await nurture("plan", "--config", "test/fixtures/config/valid", "--data", data, "--now", "2026-11-20T09:00:00Z");
      expect(r.code).toBe(1);
      expect(r.err).toContain('NURTURE_MEMORY_LIMIT is "lots"');
      expect(r.err).toContain("NURTURE_MEMORY_LIMIT=3GB");
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
