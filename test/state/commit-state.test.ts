import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";
import { commitState } from "../../src/engine/state/commit-state.ts";
import { git, makeRepos, writeLedger, type Repos } from "./_repos.ts";

let repos: Repos;
let a: string;
let b: string;
beforeEach(() => {
  repos = makeRepos();
  a = repos.clone("a");
  b = repos.clone("b");
});
afterEach(() => repos.remove());

/** The nightly workflow's invocation, run in a clone. */
const commitStateIn = (clone: string, ...extra: string[]) => nurture("commit-state", "--data", path.join(clone, "data"), "--branch", "main", ...extra);
const remoteHead = () => git(repos.remote, "rev-parse", "main");
const remoteFiles = () => git(repos.remote, "ls-tree", "-r", "--name-only", "main").split("\n");
const isAncestor = (older: string, newer: string) => {
  try {
    git(repos.remote, "merge-base", "--is-ancestor", older, newer);
    return true;
  } catch {
    return false;
  }
};

describe("nurture commit-state", () => {
  it("commits new ledger files (even though .gitignore lists data/ledger/) and pushes them as nurture bot", async () => {
    writeLedger(a, "20261120T090000Z-r1.ndjson", "k1", "k2");
    const r = await commitStateIn(a);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/committed 1 file\(s\) as [0-9a-f]{7} to origin\/main/);
    expect(remoteFiles()).toContain("data/ledger/20261120T090000Z-r1.ndjson");
    expect(git(repos.remote, "log", "-1", "--format=%an <%ae> | %s", "main")).toBe("nurture bot <nurture-bot@users.noreply.github.com> | nurture: state (1 file)");
  });

  it("says so and exits 0 when there is nothing to commit, also on a rerun", async () => {
    const empty = await commitStateIn(a);
    expect(empty.code).toBe(0);
    expect(empty.out).toContain("nothing to commit");
    writeLedger(a, "r1.ndjson", "k1");
    await commitStateIn(a);
    const head = remoteHead();
    const again = await commitStateIn(a);
    expect(again.code).toBe(0);
    expect(again.out).toContain("nothing to commit");
    expect(remoteHead()).toBe(head);
  });

  it("commits only the state paths, leaves other changes alone, and commits a grown ledger file", async () => {
    writeLedger(a, "r1.ndjson", "k1");
    await commitStateIn(a);
    writeLedger(a, "r1.ndjson", "k2");
    fs.appendFileSync(path.join(a, "README.md"), "local edit\n");
    const r = await commitStateIn(a);
    expect(r.code).toBe(0);
    expect(git(repos.remote, "show", "main:data/ledger/r1.ndjson").split("\n")).toHaveLength(2);
    expect(git(repos.remote, "show", "main:README.md")).toBe("# state");
    expect(git(a, "status", "--porcelain")).toBe("M README.md");
  });

  it("after another clone pushed first, rebases and retries: both ledgers on the remote, linear history, nothing forced", async () => {
    writeLedger(b, "20261120T090000Z-rb.ndjson", "kb");
    expect((await commitStateIn(b)).code).toBe(0);
    const afterB = remoteHead();
    writeLedger(a, "20261120T090001Z-ra.ndjson", "ka");
    fs.appendFileSync(path.join(a, "README.md"), "dirty tree during the rebase\n");

    const r = await commitStateIn(a, "--json");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ pushed: true, attempts: 2, files: ["data/ledger/20261120T090001Z-ra.ndjson"] });
    expect(remoteFiles()).toEqual(expect.arrayContaining(["data/ledger/20261120T090000Z-rb.ndjson", "data/ledger/20261120T090001Z-ra.ndjson"]));
    expect(git(repos.remote, "rev-list", "--merges", "main")).toBe("");
    expect(git(repos.remote, "rev-list", "--count", "main")).toBe("3");
    expect(isAncestor(afterB, remoteHead())).toBe(true);
    expect(result.commit).toBe(remoteHead());
    expect(git(a, "status", "--porcelain")).toBe("M README.md");
  });

  it("gives up with exit 1 when the remote keeps moving beyond --retries, keeping the commit for a rerun", async () => {
    writeLedger(b, "rb.ndjson", "kb");
    await commitStateIn(b);
    writeLedger(a, "ra.ndjson", "ka");
    const r = await commitStateIn(a, "--retries", "0");
    expect(r.code).toBe(1);
    expect(r.err).toContain("kept moving");
    expect(git(a, "log", "-1", "--format=%s")).toBe("nurture: state (1 file)");
    const rerun = await commitStateIn(a);
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain("pushed an earlier unpushed commit");
    expect(remoteFiles()).toEqual(expect.arrayContaining(["data/ledger/ra.ndjson", "data/ledger/rb.ndjson"]));
  });

  it("treats a conflict on a ledger file as an error and never drops its lines", async () => {
    writeLedger(b, "same-run.ndjson", "kb");
    await commitStateIn(b);
    const before = remoteHead();
    const file = writeLedger(a, "same-run.ndjson", "ka");
    const r = await commitStateIn(a);
    expect(r.code).toBe(1);
    expect(r.err).toContain("data/ledger/same-run.ndjson");
    expect(r.err).toContain("append-only");
    expect(fs.readFileSync(file, "utf8")).toContain('"key":"ka"');
    expect(fs.existsSync(path.join(a, ".git/rebase-merge")) || fs.existsSync(path.join(a, ".git/rebase-apply"))).toBe(false);
    expect(remoteHead()).toBe(before);
  });

  it("refuses to commit a ledger file whose committed lines were rewritten, and never commits a deletion", async () => {
    const r1 = writeLedger(a, "r1.ndjson", "k1");
    const r2 = writeLedger(a, "r2.ndjson", "k2");
    await commitStateIn(a);
    fs.writeFileSync(r1, '{"kind":"sent","key":"other"}\n');
    const rewritten = await commitStateIn(a);
    expect(rewritten.code).toBe(1);
    expect(rewritten.err).toMatch(/data\/ledger\/r1\.ndjson.*append-only/);

    git(a, "checkout", "--", "data/ledger/r1.ndjson");
    fs.rmSync(r2);
    writeLedger(a, "r3.ndjson", "k3");
    expect((await commitStateIn(a)).code).toBe(0);
    expect(remoteFiles()).toEqual(expect.arrayContaining(["data/ledger/r1.ndjson", "data/ledger/r2.ndjson", "data/ledger/r3.ndjson"]));
  });

  it("commits the removal of run files an archive holds (compact-ledger), and of no others", async () => {
    writeLedger(a, "20260928T090000Z-r1.ndjson", "k1");
    writeLedger(a, "20260929T090000Z-r2.ndjson", "k2");
    writeLedger(a, "20261102T090000Z-r3.ndjson", "k3");
    await commitStateIn(a);
    const compacted = await nurture("compact-ledger", "--data", path.join(a, "data"), "--now", "2026-11-03T09:00:00Z");
    expect(compacted.code).toBe(0);
    fs.rmSync(path.join(a, "data/ledger/20261102T090000Z-r3.ndjson")); // not archived: its removal must not be committed

    const r = await commitStateIn(a);
    expect(r.code).toBe(0);
    expect(r.out).toContain("data/ledger/archive-2026-09.parquet");
    expect(r.out).toContain("data/ledger/20260928T090000Z-r1.ndjson (removed: its archive holds it)");
    expect(remoteFiles().filter((f) => f.startsWith("data/ledger/"))).toEqual(["data/ledger/20261102T090000Z-r3.ndjson", "data/ledger/archive-2026-09.parquet"]);
    expect(git(a, "status", "--porcelain", "--", "data/ledger")).toBe("D data/ledger/20261102T090000Z-r3.ndjson");
  });

  it("takes the author from GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL", async () => {
    writeLedger(a, "r1.ndjson", "k1");
    process.env.GIT_AUTHOR_NAME = "Ops";
    process.env.GIT_AUTHOR_EMAIL = "ops@example.com";
    try {
      const result = await commitState({ paths: [path.join(a, "data/ledger")], backoffMs: 0 });
      expect(result).toMatchObject({ branch: "main", remote: "origin", pushed: true, attempts: 1 });
    } finally {
      delete process.env.GIT_AUTHOR_NAME;
      delete process.env.GIT_AUTHOR_EMAIL;
    }
    expect(git(repos.remote, "log", "-1", "--format=%an <%ae> / %cn", "main")).toBe("Ops <ops@example.com> / Ops");
  });

  it.each([
    [["--branch", "release"], /check out release first/],
    [["--remote", "upstream"], /no such remote/],
    [["--retries", "lots"], /--retries lots/],
  ])("is a usage error (exit 2): %j", async (args, message) => {
    writeLedger(a, "r1.ndjson", "k1");
    const r = await nurture("commit-state", "--data", path.join(a, "data"), ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it("exits 1 outside a git repository", async () => {
    const r = await nurture("commit-state", "--data", path.join(repos.root, "nowhere", "data"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("not inside a git repository");
  });
});
