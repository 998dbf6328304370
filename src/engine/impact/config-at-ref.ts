/**
 * The config directory as of a git ref: its files are read with `git show REF:path`
 * into a temporary directory (nothing in the checkout or its git state changes), checked
 * there like any config, and the directory is removed again whatever happens.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SimpleGit } from "simple-git";
import { checkConfig, parseTemplate } from "../config/index.ts";
import type { Config } from "../config/types.ts";
import { usageError, type Problem } from "../errors.ts";
import { repositoryAt } from "../git-repository.ts";

/** Where the config directory sits in its repository, and the git handle to reach it. */
export interface ConfigRepo {
  git: SimpleGit;
  /** Absolute repository root. */
  root: string;
  /** The config directory relative to the root, with forward slashes (`.` for the root itself). */
  configPath: string;
}

/** The base side of a diff: the config at `ref` when it is valid, else why not. */
export interface BaseConfig {
  ref: string;
  /** Full commit hash the ref resolved to. */
  commit: string;
  config?: Config;
  /** Errors that kept the base config from loading (files relative to the repository root). */
  problems: Problem[];
  /** Template subjects at the ref by template id, read even when the config is invalid. */
  subjects: Map<string, string>;
}

/**
 * Finds the repository holding `configDir`. Outside git, diff cannot work: exit 1 with
 * a hint.
 */
export async function configRepo(configDir: string): Promise<ConfigRepo> {
  const dir = fs.realpathSync(configDir);
  const { git, root } = await repositoryAt(dir, configDir, {
    consequence: "so there is no base to compare with",
    message: "nurture diff compares the config with a git ref",
    hint: "run it in a git checkout of the repository (in GitHub Actions, actions/checkout with fetch-depth: 0)",
  });
  const configPath = path.relative(root, dir).split(path.sep).join("/") || ".";
  return { git, root, configPath };
}

/** Resolves `ref` to a commit hash; an unknown ref is a usage error (exit 2). */
export async function resolveRef(repo: ConfigRepo, ref: string): Promise<string> {
  // simple-git resolves a failing command with empty output when git printed nothing, so check the answer too.
  const hash = await repo.git.raw(["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`]).catch(() => "");
  if (/^[0-9a-f]{40,64}$/.test(hash.trim())) return hash.trim();
  throw usageError(
    `--base "${ref}" is not a commit in this repository; pass a branch, tag or commit that exists (a remote branch may need \`git fetch origin\`; in GitHub Actions check out with fetch-depth: 0)`,
  );
}

/**
 * Files under the config directory that differ between `commit` and the working tree
 * (committed, uncommitted and untracked), relative to the repository root, sorted.
 */
export async function changedConfigFiles(repo: ConfigRepo, commit: string): Promise<string[]> {
  const tracked = await repo.git.raw(["diff", "--name-only", "--no-renames", commit, "--", repo.configPath]);
  const untracked = await repo.git.raw(["ls-files", "--others", "--exclude-standard", "--", repo.configPath]);
  const names = `${tracked}\n${untracked}`.split("\n").map((l) => l.trim()).filter(Boolean);
  return [...new Set(names)].sort();
}

/**
 * Loads the config as it was at `commit`. An invalid (or missing) base config is not an
 * error here: its problems are returned so the diff can say "base config invalid".
 */
export async function loadConfigAtRef(repo: ConfigRepo, ref: string, commit: string): Promise<BaseConfig> {
  const prefix = repo.configPath === "." ? "" : `${repo.configPath}/`;
  const listing = await repo.git.raw(["ls-tree", "-r", "--name-only", "--full-tree", commit, "--", prefix || "."]);
  // Schemas are the product's own (see config/_schemas.ts): their copies need not be read.
  const files = listing.split("\n").filter((f) => f && f.startsWith(prefix) && !f.slice(prefix.length).startsWith("schemas/"));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-base-"));
  try {
    const subjects = new Map<string, string>();
    await Promise.all(
      files.map(async (file) => {
        const rel = file.slice(prefix.length);
        const text = await repo.git.raw(["show", `${commit}:${file}`]);
        fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
        fs.writeFileSync(path.join(tmp, rel), text);
        const template = /^templates\/([^/]+)\.md$/.exec(rel);
        if (template) {
          const subject = parseTemplate(template[1]!, text, rel).template?.subject;
          if (subject !== undefined) subjects.set(template[1]!, subject);
        }
      }),
    );
    if (files.length === 0) {
      const problem: Problem = { code: "config-not-found", severity: "error", message: `${repo.configPath} does not exist at ${ref}`, file: repo.configPath };
      return { ref, commit, problems: [problem], subjects };
    }
    const { config, problems } = await checkConfig(tmp);
    const errors = problems.filter((p) => p.severity === "error").map((p) => (p.file ? { ...p, file: `${prefix}${p.file}` } : p));
    return config ? { ref, commit, config, problems: [], subjects } : { ref, commit, problems: errors, subjects };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
