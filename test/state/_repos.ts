/** Temp git repositories for the commit-state tests: a bare "remote" and clones of it. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs git in `dir` and returns its trimmed output. */
export const git = (dir: string, ...args: string[]): string => execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

export interface Repos {
  root: string;
  remote: string;
  /** Clones a fresh working copy of the remote's main branch. */
  clone(name: string): string;
  remove(): void;
}

/**
 * A bare remote whose `main` holds one commit (a README and a .gitignore that, like this
 * repository's, ignores data/ledger/). HOME points into the temp dir so the machine's
 * ~/.gitconfig identity does not leak in; call `remove` to restore the environment.
 */
export function makeRepos(): Repos {
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-state-"));
  // simple-git strips GIT_CONFIG_GLOBAL from the environment, so point HOME away from ~/.gitconfig instead.
  process.env.HOME = root;
  process.env.XDG_CONFIG_HOME = path.join(root, ".config");
  const remote = path.join(root, "remote.git");
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  const seed = path.join(root, "seed");
  git(root, "clone", "--quiet", remote, seed);
  fs.writeFileSync(path.join(seed, "README.md"), "# state\n");
  fs.writeFileSync(path.join(seed, ".gitignore"), "/data/ledger/\n");
  git(seed, "add", ".");
  git(seed, "-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", "seed");
  git(seed, "push", "--quiet", "origin", "HEAD:main");
  return {
    root,
    remote,
    clone: (name) => {
      const dir = path.join(root, name);
      git(root, "clone", "--quiet", "--branch", "main", remote, dir);
      return dir;
    },
    remove: () => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Appends NDJSON ledger lines to `<clone>/data/ledger/<name>`. */
export function writeLedger(clone: string, name: string, ...keys: string[]): string {
  const file = path.join(clone, "data/ledger", name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, keys.map((key) => JSON.stringify({ kind: "sent", at: "2026-11-20T09:00:00.000Z", run: name, key })).join("\n") + "\n");
  return file;
}
