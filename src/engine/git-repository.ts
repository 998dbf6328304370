/** Finding the git repository that holds a path, for the commands that read or write git. */
import fs from "node:fs";
import { simpleGit, type SimpleGit } from "simple-git";
import { NurtureError } from "./errors.ts";

/** Why a command needs the repository, for the error when there is none. */
export interface RepositoryNeed {
  /** Ends the sentence "<path> is not inside a git repository, …", e.g. "so there is no base to compare with". */
  consequence: string;
  /** What the command does with the repository. */
  message: string;
  hint: string;
}

/**
 * The repository holding `dir`: a git handle at its root and the root's real path. Outside
 * git, a NurtureError naming `shown` (how the user wrote the path) and `need`.
 *
 * @example
 * const { git, root } = await repositoryAt("data/ledger", "data/ledger", { consequence: "so …", message: "…", hint: "…" });
 */
export async function repositoryAt(dir: string, shown: string, need: RepositoryNeed): Promise<{ git: SimpleGit; root: string }> {
  const git = simpleGit({ baseDir: dir });
  const inside = await git.checkIsRepo().catch(() => false);
  if (!inside) {
    throw new NurtureError("not-a-repository", `${shown} is not inside a git repository, ${need.consequence}`, {
      problems: [{ code: "not-a-repository", severity: "error", message: need.message, file: shown, hint: need.hint }],
    });
  }
  const root = fs.realpathSync((await git.revparse(["--show-toplevel"])).trim());
  return { git: simpleGit({ baseDir: root }), root };
}
