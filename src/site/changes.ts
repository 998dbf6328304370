import path from "node:path";
import { simpleGit } from "simple-git";

/** One commit that touched the config directory. */
export interface ConfigChange {
  hash: string;
  /** ISO-8601 author date. */
  date: string;
  author: string;
  message: string;
  /** Changed files, relative to the repository root. */
  files: string[];
}

/**
 * The git history of the config directory (newest first), for the change log and the
 * markers on trend charts. Only the author's name is kept, never their email address.
 * A directory outside any git repository has no history: an empty list, not an error.
 */
export async function configChanges(configDir: string, max = 200): Promise<ConfigChange[]> {
  const dir = path.resolve(configDir);
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return [];
    const log = await git.log({ file: dir, maxCount: max, "--name-only": null });
    return log.all.map((c) => ({
      hash: c.hash.slice(0, 7),
      date: new Date(c.date).toISOString(),
      author: c.author_name,
      message: c.message,
      files: c.diff?.files.map((f) => f.file) ?? [],
    }));
  } catch {
    // No git binary or a shallow clone without history: the site still builds.
    return [];
  }
}
