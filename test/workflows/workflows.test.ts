import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands/index.ts";

const dir = path.resolve(".github/workflows");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));
const scripts = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>);
const known = new Set(commands.map((c) => c.name));

interface Workflow {
  on: unknown;
  jobs: Record<string, { steps?: { run?: string; uses?: string }[]; uses?: string }>;
}

describe.each(files)("workflow %s", (file) => {
  const text = readFileSync(path.join(dir, file), "utf8");
  const wf = parseYaml(text) as Workflow;
  const runs = Object.values(wf.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.run ?? ""));

  it("parses and has jobs", () => {
    expect(wf.on).toBeTruthy();
    expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
  });

  it("calls only commands and npm scripts that exist", () => {
    for (const run of runs) {
      for (const [, name] of run.matchAll(/npx nurture ([a-z-]+)/g)) expect(known, `${file}: nurture ${name}`).toContain(name);
      for (const [, name] of run.matchAll(/npm run ([a-z:-]+)/g)) expect(scripts, `${file}: npm run ${name}`).toContain(name);
    }
  });

  it("calls only reusable workflows that exist", () => {
    for (const job of Object.values(wf.jobs)) {
      if (job.uses?.startsWith("./")) expect(readdirSync(dir)).toContain(path.basename(job.uses));
    }
  });
});
