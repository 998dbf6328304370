import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const VALID = fileURLToPath(new URL("../fixtures/config/valid/", import.meta.url));

/** A change to one file of the valid fixture: new text, a JSON edit, or deletion (null). */
export interface Change {
  file: string;
  text?: string | null;
  edit?: (json: any) => void;
}

/** Copies the valid fixture to a fresh temp directory and applies the changes. */
export async function brokenCopy(...changes: Change[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nurture-config-"));
  await fs.cp(VALID, dir, { recursive: true });
  for (const change of changes) {
    const target = path.join(dir, change.file);
    if (change.text === null) await fs.rm(target);
    else if (change.text !== undefined) {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, change.text);
    } else if (change.edit) {
      const json = JSON.parse(await fs.readFile(target, "utf8"));
      change.edit(json);
      await fs.writeFile(target, JSON.stringify(json, null, 2));
    }
  }
  return dir;
}
