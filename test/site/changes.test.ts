import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { simpleGit } from "simple-git";
import { configChanges } from "../../src/site/changes.ts";
import { changeMarkers } from "../../src/site/markers.ts";

describe("config change log", () => {
  it("lists commits touching config/ with hash, date, author name, message and files, never the author's email", async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-changes-"));
    fs.mkdirSync(path.join(repo, "config"));
    fs.mkdirSync(path.join(repo, "src"));
    const git = simpleGit({ baseDir: repo });
    await git.init();
    await git.addConfig("user.name", "Mara Marketer").addConfig("user.email", "mara@company.example");
    fs.writeFileSync(path.join(repo, "config/settings.json"), "{}");
    await git.add(".").commit("Add settings", { "--date": "2026-03-05T10:00:00Z" });
    fs.writeFileSync(path.join(repo, "src/x.ts"), "");
    await git.add(".").commit("Code only");
    const changes = await configChanges(path.join(repo, "config"));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ date: "2026-03-05T10:00:00.000Z", author: "Mara Marketer", message: "Add settings", files: ["config/settings.json"] });
    expect(changes[0]!.hash).toMatch(/^[0-9a-f]{7}$/);
    expect(JSON.stringify(changes)).not.toContain("mara@company.example");
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it("a directory outside git has no history, not an error", async () => {
    expect(await configChanges(fs.mkdtempSync(path.join(os.tmpdir(), "nurture-nogit-")))).toEqual([]);
  });
});

describe("change markers on period charts", () => {
  const change = (date: string) => ({ hash: "abc1234", date, author: "A", message: "m", files: [] });
  it.each([
    ["2026-03-05T10:00:00Z", 0], // inside the first week
    ["2026-03-09T00:00:00Z", 1], // the day the second week starts
    ["2026-03-20T00:00:00Z", 1],
  ])("a change on %s sits on label %i", (date, index) => {
    expect(changeMarkers(["2026-03-02", "2026-03-09"], [change(date)]).map((m) => m.index)).toEqual([index]);
  });

  it("leaves off changes before the first period", () => {
    expect(changeMarkers(["2026-03-02"], [change("2026-02-01T00:00:00Z")])).toEqual([]);
  });

  it("works on month labels", () => {
    expect(changeMarkers(["2026-02", "2026-03"], [change("2026-03-15T00:00:00Z")]).map((m) => m.index)).toEqual([1]);
  });
});
