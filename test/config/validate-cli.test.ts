import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs/promises";
import path from "node:path";
import { nurture } from "../support/cli.ts";
import { brokenCopy, VALID } from "./_fixture.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** A fixture copy with one unknown template (error) and one undeclared variable (warning). */
async function broken(): Promise<string> {
  const dir = await brokenCopy(
    { file: "sequences/welcome.json", edit: (j) => (j.steps[1].template = "welcom-2") },
    { file: "templates/nudge.md", text: "---\nsubject: Your task list is waiting\ntype: trigger\n---\nOpen {{ cta_url }}\n" },
  );
  dirs.push(dir);
  return path.relative(process.cwd(), dir);
}

describe("nurture validate", () => {
  const valid = path.relative(process.cwd(), VALID);

  it("names a config file that is a link to nothing, without a stack trace; exits 1", async () => {
    const dir = await brokenCopy();
    dirs.push(dir);
    await fs.symlink(path.join(dir, "missing", "footer.md"), path.join(dir, "templates", "footer.md"));
    const r = await nurture("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`templates/footer.md is a link to ${path.join(dir, "missing", "footer.md")}, which does not exist`);
    expect(r.out + r.err).not.toMatch(/this is a bug|\n\s+at /);
  });

  it("reads a config folder that is a link to a folder elsewhere, as the folder it leads to", async () => {
    const dir = await brokenCopy();
    dirs.push(dir);
    await fs.rename(path.join(dir, "templates"), path.join(dir, "shared-templates"));
    await fs.mkdir(path.join(dir, ".shared"));
    await fs.rename(path.join(dir, "shared-templates"), path.join(dir, ".shared", "templates"));
    await fs.symlink(path.join(dir, ".shared", "templates"), path.join(dir, "templates"));
    const r = await nurture("validate", "--config", dir);
    expect(r.out).toContain("0 errors, 0 warnings");
    expect(r.code).toBe(0);
  });

  it("exits 0 on a valid config and says so", async () => {
    const r = await nurture("validate", "--config", valid);
    expect(r.code).toBe(0);
    expect(r.out).toContain("0 errors, 0 warnings");
  });

  it("lists problems as text with location, pointer and hint, then a summary; exits 1", async () => {
    const dir = await broken();
    const r = await nurture("validate", "--config", dir);
    expect(r.code).toBe(1);
    const lines = r.out.split("\n");
    const i = lines.findIndex((l) => l.includes("unknown template"));
    expect(lines[i]).toMatch(new RegExp(`^error ${dir}/sequences/welcome\\.json:\\d+:\\d+ at /steps/1/template: unknown template "welcom-2"`));
    expect(lines[i + 1]).toBe('  hint: did you mean "welcome-2"?');
    expect(r.out).toMatch(new RegExp(`^warning ${dir}/templates/nudge\\.md:5 at /body: placeholder "cta_url"`, "m"));
    expect(lines.at(-1)).toBe("1 error, 1 warning in 2 files");
  });

  it("--json prints ok, counts and problems, and a failure as every command's --json does", async () => {
    const dir = await broken();
    const r = await nurture("validate", "--config", dir, "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ ok: false, errors: 1, warnings: 1, exitCode: 1, error: { code: "invalid-config", message: expect.stringContaining("1 error") } });
    expect(report.error.problems.map((p: { code: string }) => p.code)).toEqual(["unknown-template"]);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: "unknown-template", file: `${dir}/sequences/welcome.json`, pointer: "/steps/1/template" }));
    expect(JSON.parse((await nurture("validate", "--config", valid, "--json")).out)).toEqual({ ok: true, errors: 0, warnings: 0, problems: [] });
  });

  it("--format github prints workflow annotations (warnings as ::warning)", async () => {
    const dir = await broken();
    const r = await nurture("validate", "--config", dir, "--format", "github");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^::error file=${dir}/sequences/welcome\\.json,line=\\d+,col=\\d+,title=unknown-template::unknown template "welcom-2"`, "m"));
    expect(r.out).toContain('(did you mean "welcome-2"?)');
    expect(r.out).toMatch(/^::warning file=.*templates\/nudge\.md,line=5,title=unknown-variable::/m);
  });

  it("exits 0 when there are only warnings", async () => {
    const dir = await brokenCopy({ file: "templates/nudge.md", text: "---\nsubject: Hi\ntype: trigger\n---\n{{ x }}\n" });
    dirs.push(dir);
    const r = await nurture("validate", "--config", dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("0 errors, 1 warning in 1 file");
  });

  it("exits 1 with a message for a missing directory, and 2 for an unknown --format", async () => {
    const missing = await nurture("validate", "--config", "no/such/dir");
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("config directory no/such/dir does not exist");
    const usage = await nurture("validate", "--config", valid, "--format", "xml");
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--format "xml" is not known');
  });
});
