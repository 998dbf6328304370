import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, editJson, makeData, makeRepo, nurture } from "./_fixture.ts";

// Berlin (the fixture's default time zone) is UTC+1 in November; the send window is 09:00–18:00 local.
const NOW = "2026-11-20T12:00:00Z";
const users = [
  // Signed up overnight: the welcome email is due at 08:00 UTC (09:00 local).
  { user_id: "uid-ann", email: "secret-ann@example.com", first_name: "Annabel", created_at: "2026-11-20T02:00:00Z", plan: "trial" },
  // Signed up two days ago without creating a task: welcome too late, the no-task nudge due at 11:00 UTC.
  { user_id: "uid-bob", email: "secret-bob@example.com", first_name: "Bartholomew", created_at: "2026-11-18T11:00:00Z", plan: "trial" },
  // A paying customer: outside the trial audiences in the base config.
  { user_id: "uid-cyd", email: "secret-cyd@example.com", first_name: "Cydonia", created_at: "2026-11-20T01:00:00Z", plan: "paid" },
  // Signed up last evening: welcome due at this morning's window opening.
  { user_id: "uid-dee", email: "secret-dee@example.com", first_name: "Deirdre", created_at: "2026-11-19T20:00:00Z", plan: "trial" },
  // A bad row, set aside.
  { user_id: "", email: "secret-nobody@example.com", created_at: "2026-11-19T20:00:00Z" },
];
const PRIVATE = /secret-|Annabel|Bartholomew|Cydonia|Deirdre|uid-/;

let data: string;
let repo: { root: string; config: string };
beforeAll(async () => {
  data = makeData({ users, events: [{ user_id: "uid-ann", event: "task.created", ts: "2026-11-20T02:30:00Z", event_id: "e1" }] });
  repo = await makeRepo();
  // The working tree's change: a wider welcome audience, a longer no-task delay, a new
  // step, a new trigger (untracked file) and a new subject for the nudge.
  editJson(path.join(repo.config, "sequences/welcome.json"), (j) => {
    j.audience = { attribute: "plan", op: "in", value: ["trial", "paid"] };
    j.steps.push({ id: "last-call", after: "subject-test", wait: "2d", template: "offer" });
  });
  editJson(path.join(repo.config, "triggers/no-task.json"), (j) => {
    j.on.within = "3d";
  });
  fs.writeFileSync(path.join(repo.config, "triggers/paid-hello.json"), JSON.stringify({
    name: "Hello to paying users", on: { signup: true }, audience: { attribute: "plan", op: "eq", value: "paid" }, template: "nudge",
  }));
  fs.writeFileSync(path.join(repo.config, "templates/nudge.md"), "---\nsubject: Your tasks are waiting\ntype: trigger\n---\nCreate a task.\n");
});
afterAll(() => cleanup(data, repo.root));

const diff = (...extra: string[]) => nurture("diff", "--base", "main", "--config", repo.config, "--data", data, "--now", NOW, ...extra);

describe("nurture diff", () => {
  it("gives the hand-computed delta per campaign and step, type, status and users reached", async () => {
    const r = await diff("--json");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.base).toMatchObject({ ref: "main", valid: true, problems: [] });
    const changed = d.comparison.rows.filter((x: { changed: boolean }) => x.changed)
      .map((x: Record<string, unknown>) => [x.campaign, x.step, x.base, x.head, x.delta, x.change ?? null]);
    // Rows come in config order: sequences, then triggers.
    expect(changed).toEqual([
      ["welcome", "welcome", 2, 3, 1, null],
      ["welcome", "last-call", 0, 0, 0, "new step"],
      ["no-task", "send", 1, 0, -1, null],
      ["paid-hello", "send", 0, 1, 1, "new campaign"],
    ]);
    expect(d.comparison.sends).toEqual({ key: "sends", base: 3, head: 4, delta: 1 });
    expect(d.comparison.byType).toEqual([
      { key: "regular", base: 2, head: 3, delta: 1 },
      { key: "trigger", base: 1, head: 1, delta: 0 },
    ]);
    expect(d.comparison.held).toEqual([{ key: "too_late", base: 1, head: 1, delta: 0 }]);
    expect(d.comparison.users).toEqual({ base: 3, head: 3, newlyReached: 1, noLongerReached: 1 });
    expect(d.comparison.campaigns).toEqual({ added: ["paid-hello"], removed: [] });
    expect(d.changedFiles).toEqual(["config/sequences/welcome.json", "config/templates/nudge.md", "config/triggers/no-task.json", "config/triggers/paid-hello.json"]);
    expect(d.subjects).toEqual([{ template: "nudge", before: "Your task list is waiting", after: "Your tasks are waiting" }]);
    expect(d.snapshot.badRows).toEqual([{ table: "users", reason: "missing user_id", count: 1 }]);
    expect(r.out).not.toMatch(PRIVATE);
  });

  it("prints Markdown for a pull-request comment with no address, name or user id", async () => {
    const r = await diff();
    expect(r.code).toBe(0);
    const md = r.out;
    expect(md.split("\n")[0]).toMatch(/^## nurture impact preview: `main` \([0-9a-f]{7}\) → this change$/);
    expect(md).toContain("the run would send **4** emails under this change vs **3** on `main` (+1); 1 user(s) newly reached, 1 no longer reached.");
    expect(md).toContain("| `no-task` | `send` | 1 | 0 | -1 |");
    expect(md).toContain("| `paid-hello` | `send` | 0 | 1 | +1 |  | new campaign |");
    expect(md).toContain("`nudge`: `Your task list is waiting` → `Your tasks are waiting`");
    expect(md).toContain("<details>");
    expect(md).toContain("1 row(s) set aside (users: missing user_id 1)");
    expect(md + r.err).not.toMatch(PRIVATE);
  });

  it("writes the report to --out and appends a backtest with --backtest-days", async () => {
    const out = path.join(data, "..", `${path.basename(data)}-impact.md`);
    const r = await diff("--out", out, "--backtest-days", "2");
    expect(r.code).toBe(0);
    expect(r.out).toBe("");
    const md = fs.readFileSync(out, "utf8");
    expect(md).toContain("### Backtest: last 2 day(s) of the snapshot");
    expect(md).not.toMatch(PRIVATE);
    cleanup(out);
  });

  it("exits 2 with a clear message for an unknown ref", async () => {
    const r = await nurture("diff", "--base", "no-such-branch", "--config", repo.config, "--data", data, "--now", NOW);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--base "no-such-branch" is not a commit in this repository');
    expect(r.err).not.toMatch(/\.ts:\d+/);
  });

  it("exits 2 when --base is missing", async () => {
    const r = await nurture("diff", "--config", repo.config, "--data", data);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--base");
  });
});

describe("nurture diff with a broken side", () => {
  it("reports an invalid base config in the Markdown instead of failing", async () => {
    const broken = await makeRepo((config) => fs.writeFileSync(path.join(config, "sequences/welcome.json"), "{ not json"));
    fs.cpSync("test/fixtures/config/valid/sequences/welcome.json", path.join(broken.config, "sequences/welcome.json"));
    const r = await nurture("diff", "--base", "main", "--config", broken.config, "--data", data, "--now", NOW);
    expect(r.code).toBe(0);
    expect(r.out).toContain("**base config invalid:** 1 error(s) at `main`");
    expect(r.out).toContain("`config/sequences/welcome.json` line 1:");
    expect(r.out).toContain("| `welcome` | `welcome` | — | 2 | — |");
    expect(r.out).not.toMatch(PRIVATE);
    cleanup(broken.root);
  });

  it("exits 1 with the validation errors when the working config is invalid", async () => {
    const bad = await makeRepo();
    editJson(path.join(bad.config, "sequences/welcome.json"), (j) => {
      j.steps[0].template = "no-such-template";
    });
    const r = await nurture("diff", "--base", "main", "--config", bad.config, "--data", data, "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.err).toContain("no-such-template");
    cleanup(bad.root);
  });

  it("exits 1 with a hint outside a git repository", async () => {
    const loose = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-impact-nogit-"));
    fs.cpSync("test/fixtures/config/valid", loose, { recursive: true });
    const r = await nurture("diff", "--base", "main", "--config", loose, "--data", data, "--now", NOW);
    expect(r.code).toBe(1);
    expect(r.err).toContain("is not inside a git repository");
    expect(r.err).toContain("fetch-depth: 0");
    cleanup(loose);
  });
});
