import path from "node:path";
import type { CommandSpec } from "../main.ts";
import { usageError } from "../../engine/errors.ts";
import { commitState } from "../../engine/state/commit-state.ts";

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(",").filter(Boolean)];

function retriesFrom(text: unknown): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw usageError(`--retries ${String(text)}: give a whole number from 0 to 20`);
  return n;
}

export const commitStateCommand: CommandSpec = {
  name: "commit-state",
  summary: "commits new ledger files (and other state paths) and pushes them, rebasing and retrying when another run pushed first",
  configure: (cmd) =>
    cmd
      .option("--paths <path>", "file or directory to commit, repeatable or comma-separated (default: <data>/ledger)", collect)
      .option("--branch <name>", "branch to push to (default: the checked-out branch)")
      .option("--remote <name>", "remote to push to", "origin")
      .option("--message <text>", "commit message (default: \"nurture: state (N files)\")")
      .option("--retries <n>", "rebase-and-retry rounds when the push is rejected because the remote moved on", "3"),
  action: async (ctx, options) => {
    const paths = (options.paths as string[] | undefined) ?? [path.join(ctx.dataDir, "ledger")];
    const result = await commitState({
      paths,
      cwd: process.cwd(),
      branch: options.branch as string | undefined,
      remote: options.remote as string,
      message: options.message as string | undefined,
      retries: retriesFrom(options.retries),
    });
    if (ctx.json) {
      ctx.out(JSON.stringify(result, null, 2));
      return 0;
    }
    if (!result.pushed) {
      ctx.out(`commit-state: nothing to commit under ${paths.map((p) => path.relative(process.cwd(), path.resolve(p)) || ".").join(", ")}; ${result.remote}/${result.branch} is up to date`);
      return 0;
    }
    const what = result.commit ? `committed ${result.files.length} file(s) as ${result.commit.slice(0, 7)}` : "pushed an earlier unpushed commit";
    const retried = result.attempts > 1 ? ` after ${result.attempts - 1} rebase(s) onto newer remote commits` : "";
    ctx.out(`commit-state: ${what} to ${result.remote}/${result.branch}${retried}`);
    for (const file of result.files) ctx.out(`  ${file}${result.removed.includes(file) ? " (removed: its archive holds it)" : ""}`);
    return 0;
  },
};
