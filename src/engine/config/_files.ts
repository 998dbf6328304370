import type { Dirent } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Problem } from "../errors.ts";

/** The kinds of config file, by where they sit. */
export type FileKind = "settings" | "scoring" | "engagement" | "tags" | "segment" | "sequence" | "trigger" | "template";

export interface ConfigFile {
  kind: FileKind;
  /** Id from the file name (for per-item files), else the kind. */
  id: string;
  /** Relative to the config directory, with forward slashes. */
  file: string;
  text: string;
}

const TOP: Record<string, FileKind> = { "settings.json": "settings", "scoring.json": "scoring", "engagement.json": "engagement", "tags.json": "tags" };
const DIRS: Record<string, { kind: FileKind; ext: string }> = {
  segments: { kind: "segment", ext: ".json" },
  sequences: { kind: "sequence", ext: ".json" },
  triggers: { kind: "trigger", ext: ".json" },
  templates: { kind: "template", ext: ".md" },
};

/**
 * The entries of a config folder, by name; none when it does not exist. A folder that
 * exists and cannot be read is an error (the file system's, reported with its path):
 * skipping it would drop every campaign in it without a word. A link is what it leads to
 * (`templates -> ../shared/templates` is a folder); a link to nothing is a file, which
 * `readText` reports.
 */
async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    const found = await fs.readdir(dir, { withFileTypes: true });
    const isDir = async (d: Dirent): Promise<boolean> =>
      d.isSymbolicLink() ? (await fs.stat(path.join(dir, d.name)).catch(() => undefined))?.isDirectory() ?? false : d.isDirectory();
    const listed = await Promise.all(found.map(async (d) => ({ name: d.name, isDir: await isDir(d) })));
    return listed.sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * The text of config file `file` (relative to `dir`), or undefined with a problem added when
 * it is a link to nothing: reading it would fail with a bare ENOENT, and skipping it would
 * drop the template or campaign it holds without a word.
 */
async function readText(dir: string, file: string, problems: Problem[]): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(dir, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const target = await fs.readlink(path.join(dir, file)).catch(() => undefined);
    problems.push({
      code: "dangling-link", severity: "error", file,
      message: `${file} is a link to ${target === undefined ? "nothing" : `${target}, which does not exist`}`,
      hint: "point the link at an existing file (or mount the share it points into), or remove it",
    });
    return undefined;
  }
}

const stray = (file: string, hint: string): Problem => ({ code: "unknown-file", severity: "warning", message: `${file} is not a config file nurture reads`, file, hint });

/**
 * Lists and reads every config file under `dir`. Files nurture would ignore are reported
 * as warnings: a misnamed `sequence/welcome.json` should not silently do nothing.
 */
export async function readConfigFiles(dir: string): Promise<{ files: ConfigFile[]; problems: Problem[] }> {
  const files: ConfigFile[] = [];
  const problems: Problem[] = [];
  for (const entry of await entries(dir)) {
    if (entry.name.startsWith(".") || entry.name === "schemas" || /^readme\.md$/i.test(entry.name)) continue;
    const kind = TOP[entry.name];
    if (kind && !entry.isDir) {
      const text = await readText(dir, entry.name, problems);
      if (text !== undefined) files.push({ kind, id: kind, file: entry.name, text });
      continue;
    }
    const sub = DIRS[entry.name];
    if (!sub || !entry.isDir) {
      problems.push(stray(entry.name, `expected ${Object.keys(TOP).join(", ")} and the folders ${Object.keys(DIRS).join(", ")}`));
      continue;
    }
    for (const child of await entries(path.join(dir, entry.name))) {
      const file = `${entry.name}/${child.name}`;
      if (child.name.startsWith(".")) continue;
      if (child.isDir || !child.name.endsWith(sub.ext)) {
        problems.push(stray(file, `files in ${entry.name}/ end in ${sub.ext}`));
        continue;
      }
      const text = await readText(dir, file, problems);
      if (text !== undefined) files.push({ kind: sub.kind, id: child.name.slice(0, -sub.ext.length), file, text });
    }
  }
  return { files, problems };
}
