/**
 * Pushing the state commit when other runs push too: on a non-fast-forward rejection the
 * local (unpublished) commits are rebased onto the remote branch and pushed again, up to
 * `retries` times with a short growing pause. Never a force push, so every commit already
 * on the remote stays an ancestor; never a merge, so history stays linear.
 */
import type { SimpleGit } from "simple-git";
import { NurtureError } from "../errors.ts";

export interface PushTarget {
  remote: string;
  branch: string;
  retries: number;
  /** Pause before retry n is n × backoffMs. */
  backoffMs: number;
}

/** git's words for "the remote moved on while we worked": worth a rebase and another try. */
const RACE = /! \[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|incorrect old value/i;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).trim();

/** Rebases HEAD onto the remote branch; a conflict aborts the rebase and becomes an error naming the files. */
async function rebaseOntoRemote(git: SimpleGit, target: PushTarget): Promise<void> {
  await git.raw(["fetch", target.remote, target.branch]);
  try {
    await git.raw(["rebase", "--autostash", "FETCH_HEAD"]);
  } catch (error) {
    const conflicted = (await git.raw(["diff", "--name-only", "--diff-filter=U"]).catch(() => "")).trim().split("\n").filter(Boolean);
    await git.raw(["rebase", "--abort"]).catch(() => undefined);
    const files = conflicted.length ? conflicted.join(", ") : "(git named none)";
    throw new NurtureError("state-conflict", `cannot put the state commit on top of ${target.remote}/${target.branch}: the same file was changed on both sides (${files})`, {
      cause: error,
      problems: conflicted.map((file) => ({
        code: "state-conflict",
        severity: "error" as const,
        message: "changed here and on the remote; ledger files are append-only, so nurture will not resolve this by dropping lines",
        file,
        hint: "two runs wrote the same ledger file (did a run use the same run id twice?). Your commit is kept locally: merge both versions' lines by hand (keep every line), commit, then run commit-state again",
      })),
    });
  }
}

/**
 * Pushes HEAD to `remote`'s `branch`, rebasing and retrying on a race (see the module
 * comment). Returns how many push attempts it took.
 */
export async function pushWithRetry(git: SimpleGit, target: PushTarget): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await git.raw(["push", target.remote, `HEAD:refs/heads/${target.branch}`]);
      return attempt;
    } catch (error) {
      const message = messageOf(error);
      if (!RACE.test(message)) {
        throw new NurtureError("state-push", `git push to ${target.remote} ${target.branch} failed: ${message}`, {
          cause: error,
          problems: [{ code: "state-push", severity: "error", message, hint: "check the remote's name and that this job may push (in GitHub Actions: permissions: contents: write); the commit is kept locally, so running commit-state again pushes it" }],
        });
      }
      if (attempt > target.retries) {
        throw new NurtureError("state-push-race", `${target.remote}/${target.branch} kept moving: the push was rejected ${attempt} time(s) (--retries ${target.retries})`, {
          problems: [{ code: "state-push-race", severity: "error", message, hint: "run commit-state again (the commit is kept locally), or raise --retries" }],
        });
      }
      await sleep(target.backoffMs * attempt);
      await rebaseOntoRemote(git, target);
    }
  }
}
