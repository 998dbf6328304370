import type { SimpleGit } from "simple-git";

/** The environment variables git reads an identity from. */
export const IDENTITY_ENV = ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"] as const;

export const DEFAULT_AUTHOR = { name: "nurture bot", email: "nurture-bot@users.noreply.github.com" };

/**
 * `-c` settings that give git an identity where it has none, so a bare CI runner can
 * commit and rebase. Git itself reads GIT_AUTHOR_* / GIT_COMMITTER_* first and the
 * repository's user.name / user.email next; only what is missing falls back to
 * "nurture bot".
 */
export async function fallbackIdentity(git: SimpleGit, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const configured = async (key: string): Promise<boolean> => (await git.raw(["config", "--get", key]).catch(() => "")).trim() !== "";
  const config: string[] = [];
  const needName = !(env.GIT_AUTHOR_NAME && env.GIT_COMMITTER_NAME);
  const needEmail = !(env.GIT_AUTHOR_EMAIL && env.GIT_COMMITTER_EMAIL);
  if (needName && !(await configured("user.name"))) config.push(`user.name=${env.GIT_AUTHOR_NAME || DEFAULT_AUTHOR.name}`);
  if (needEmail && !(await configured("user.email"))) config.push(`user.email=${env.GIT_AUTHOR_EMAIL || DEFAULT_AUTHOR.email}`);
  return config;
}
