/**
 * `nurture commit-state`: commits new and grown files under the state paths (the ledger,
 * and webhook event files if asked) and pushes them, safe to run again at any point.
 *
 * * Only the given paths are committed; other changes in the checkout are left alone.
 * * They are added even if .gitignore lists them: the caller named them as state.
 * * Removals are never staged, except of ledger run files that an archive beside them
 *   holds (`nurture compact-ledger` replaced them), and a tracked file whose committed
 *   lines are not a prefix of its new content is refused: ledger files are append-only.
 * * A race with another pusher is handled by rebasing the local commit (see `_push.ts`);
 *   nothing is ever force-pushed.
 * * With nothing new, a commit left unpushed by an earlier attempt is still pushed.
 */
import fs from "node:fs";
import path from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";
import { NurtureError, usageError } from "../errors.ts";
import { createDatabase } from "../data/snapshot.ts";
import { repositoryAt } from "../git-repository.ts";
import { archivedRunFiles, listArchives } from "../ledger/archive.ts";
import { fallbackIdentity, IDENTITY_ENV } from "./_git-identity.ts";
import { pushWithRetry } from "./_push.ts";

export interface CommitStateOptions {
  /** Files or directories to commit (absolute, or relative to `cwd`). */
  paths: string[];
  /** What relative `paths` are relative to; default process.cwd(). The repository is the one holding the first path. */
  cwd?: string;
  /** Branch to push to; default the checked-out branch. */
  branch?: string;
  /** Default `origin`. */
  remote?: string;
  message?: string;
  /** Rebase-and-retry rounds after a rejected push; default 3. */
  retries?: number;
  /** Pause before retry n is n × backoffMs; default 500. */
  backoffMs?: number;
}

export interface CommitStateResult {
  remote: string;
  branch: string;
  /** Files committed now, relative to the repository root. */
  files: string[];
  /** Of those, the run files removed because an archive committed with them holds their records. */
  removed: string[];
  /** The new commit's hash, when one was made. */
  commit?: string;
  pushed: boolean;
  /** Push attempts (more than 1 when the remote moved on meanwhile). */
  attempts: number;
}

const lines = (text: string): string[] => text.split("\n").map((l) => l.trim()).filter(Boolean);

/** The path itself if it is a directory, else its nearest existing ancestor directory. */
function nearestDirectory(p: string): string {
  let dir = p;
  while (!(fs.existsSync(dir) && fs.statSync(dir).isDirectory()) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** The checked-out branch, checked against --branch; a detached HEAD needs --branch. */
async function targetBranch(git: SimpleGit, wanted: string | undefined): Promise<string> {
  const current = (await git.raw(["symbolic-ref", "--quiet", "--short", "HEAD"]).catch(() => "")).trim() || undefined;
  if (wanted && current && wanted !== current) {
    throw usageError(`--branch ${wanted}: the checkout is on ${current}; check out ${wanted} first (commit-state commits on the checked-out branch)`);
  }
  const branch = wanted ?? current;
  if (!branch) throw usageError("HEAD is detached, so there is no branch to push to; pass --branch NAME");
  return branch;
}

/** Refuses a staged change that rewrites committed lines of a tracked file (append-only). */
async function checkAppendOnly(git: SimpleGit, root: string, modified: string[]): Promise<void> {
  for (const file of modified) {
    const before = await git.raw(["show", `HEAD:${file}`]);
    const after = fs.readFileSync(path.join(root, file), "utf8");
    if (!after.startsWith(before)) {
      throw new NurtureError("state-rewritten", `${file} changed lines that are already committed; state files are append-only`, {
        problems: [{ code: "state-rewritten", severity: "error", message: "the committed content is no longer a prefix of the file", file, hint: `restore the committed lines (git diff HEAD -- ${file} shows what changed) and append instead` }],
      });
    }
  }
}

/**
 * Tracked ledger run files under `pathspecs` that are gone from the checkout and that an
 * archive in their directory lists: compaction replaced them. Any other removal stays
 * unstaged.
 */
async function archivedRemovals(git: SimpleGit, root: string, pathspecs: string[]): Promise<string[]> {
  const deleted = lines(await git.raw(["ls-files", "--deleted", "--", ...pathspecs])).filter((f) => f.endsWith(".ndjson"));
  if (deleted.length === 0) return [];
  const byDir = new Map<string, string[]>();
  for (const f of deleted) byDir.set(path.posix.dirname(f), [...(byDir.get(path.posix.dirname(f)) ?? []), f]);
  const db = await createDatabase();
  const conn = await db.connect();
  try {
    const removals: string[] = [];
    for (const [dir, files] of byDir) {
      const archived = await archivedRunFiles(conn, listArchives(path.join(root, dir)));
      removals.push(...files.filter((f) => archived.has(path.posix.basename(f))));
    }
    return removals;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Commits ahead of the remote branch as git last saw it (all of HEAD when the branch is not there yet). */
async function unpushed(git: SimpleGit, remote: string, branch: string): Promise<number> {
  const known = (await git.raw(["rev-parse", "--verify", "--quiet", `refs/remotes/${remote}/${branch}`]).catch(() => "")).trim();
  const range = known ? `${known}..HEAD` : "HEAD";
  return Number((await git.raw(["rev-list", "--count", range]).catch(() => "0")).trim()) || 0;
}

/**
 * Commits the state paths and pushes them to the branch (see the module comment).
 *
 * @example
 * const result = await commitState({ paths: ["data/ledger"], branch: "main" });
 * // { remote: "origin", branch: "main", files: ["data/ledger/20261120T090000Z-r1.ndjson"], commit: "3f2a…", pushed: true, attempts: 1 }
 */
export async function commitState(options: CommitStateOptions): Promise<CommitStateResult> {
  const remote = options.remote ?? "origin";
  const absolute = options.paths.map((p) => path.resolve(options.cwd ?? process.cwd(), p));
  const existing = absolute.filter((p) => fs.existsSync(p));
  if (absolute.length === 0) throw usageError("commit-state needs at least one path to commit (--paths)");
  const holder = nearestDirectory(absolute[0]!);
  const { git: plainGit, root } = await repositoryAt(holder, holder, {
    consequence: "so there is nowhere to commit the state",
    message: "commit-state commits the ledger into the repository that holds it",
    hint: "run it in a git checkout (in GitHub Actions: actions/checkout)",
  });
  // simple-git strips GIT_* variables from the environment unless allowed: the identity ones are wanted.
  const git = simpleGit({ baseDir: root, config: await fallbackIdentity(plainGit), allowEnvironment: IDENTITY_ENV });
  const branch = await targetBranch(git, options.branch);
  const remotes = lines(await git.raw(["remote"]));
  if (!remotes.includes(remote)) throw usageError(`--remote ${remote}: this repository has no such remote (it has: ${remotes.join(", ") || "none"})`);

  const pathspecs = existing.map((p) => path.relative(root, fs.realpathSync(p)).split(path.sep).join("/") || ".");
  const outside = pathspecs.find((p) => p.startsWith("../") || path.isAbsolute(p));
  if (outside) throw usageError(`--paths ${outside}: outside the repository at ${root}; state must live in the repository it is committed to`);
  let files: string[] = [];
  let removed: string[] = [];
  let commit: string | undefined;
  if (pathspecs.length > 0) {
    // Checked before staging, so a refusal leaves the index as it was.
    await checkAppendOnly(git, root, lines(await git.raw(["diff", "--name-only", "--diff-filter=M", "--no-renames", "HEAD", "--", ...pathspecs]).catch(() => "")));
    await git.raw(["add", "--force", "--ignore-removal", "--", ...pathspecs]);
    const removals = await archivedRemovals(git, root, pathspecs);
    if (removals.length > 0) await git.raw(["rm", "--cached", "--quiet", "--", ...removals]);
    const staged = lines(await git.raw(["diff", "--cached", "--name-status", "--no-renames", "--", ...pathspecs]));
    files = staged.filter((l) => /^[AM]\t/.test(l) || (/^D\t/.test(l) && removals.includes(l.split("\t")[1]!))).map((l) => l.split("\t")[1]!);
    removed = files.filter((f) => removals.includes(f));
  }
  if (files.length > 0) {
    const message = options.message ?? `nurture: state (${files.length} file${files.length === 1 ? "" : "s"})`;
    await git.raw(["commit", "--quiet", "-m", message, "--", ...files]);
    commit = (await git.revparse(["HEAD"])).trim();
  } else if ((await unpushed(git, remote, branch)) === 0) {
    return { remote, branch, files, removed, pushed: false, attempts: 0 };
  }
  const attempts = await pushWithRetry(git, { remote, branch, retries: options.retries ?? 3, backoffMs: options.backoffMs ?? 500 });
  if (commit) commit = (await git.revparse(["HEAD"])).trim(); // a rebase gave it a new hash
  return { remote, branch, files, removed, commit, pushed: true, attempts };
}
