// Temporary git repositories and tiny snapshots for the impact-preview tests.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";
import { main } from "../../src/cli/main.ts";

/** Runs the CLI in-process and collects its output. */
export async function nurture(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

type Rows = Record<string, unknown>[];
const ndjson = (rows: Rows): string => rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");

/** A data directory with users, events and (optionally) ledger NDJSON files. */
export function makeData(data: { users: Rows; events?: Rows; ledger?: Rows }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-impact-data-"));
  const write = (file: string, rows: Rows) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), ndjson(rows));
  };
  write("snapshots/users/users.ndjson", data.users);
  write("snapshots/events/events.ndjson", data.events ?? []);
  if (data.ledger) write("ledger/20261101T000000Z-r1.ndjson", data.ledger);
  return dir;
}

/** Every file under `dir` with its contents, to prove a command wrote nothing. */
export function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, file)] = fs.readFileSync(file, "utf8");
    }
  }
  return out;
}

/** Edits a JSON file in place. */
export function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
}

/**
 * A git repository whose first commit holds `config/` copied from the valid fixture
 * (after `base` edits it); returns the repository root and its config directory.
 */
export async function makeRepo(base: (configDir: string) => void = () => {}): Promise<{ root: string; config: string }> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "nurture-impact-repo-")));
  const config = path.join(root, "config");
  fs.cpSync("test/fixtures/config/valid", config, { recursive: true });
  base(config);
  const git = simpleGit({ baseDir: root });
  await git.init(["--initial-branch=main"]);
  await git.addConfig("user.name", "Test").addConfig("user.email", "test@example.com").addConfig("commit.gpgsign", "false");
  await git.add(".").commit("base config");
  return { root, config };
}

export const cleanup = (...dirs: string[]): void => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
