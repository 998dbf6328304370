import path from "node:path";
import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { loadConfig } from "../../engine/config/index.ts";
import { writePreviews } from "../../engine/templates/index.ts";
import { openSnapshot } from "../../engine/data/snapshot.ts";
import { unknownUser } from "../../engine/data/unknown-user.ts";
import { describeBadRows, withBadRowExamples, type BadRowsWithExamples } from "../../engine/data/bad-row-examples.ts";

/** The user's attributes, and the rows set aside while the snapshot loaded (the user's own first). */
async function userFromSnapshot(dataDir: string, userId: string): Promise<{ user: Record<string, unknown>; badRows: BadRowsWithExamples[] }> {
  const snapshot = await openSnapshot(dataDir);
  try {
    const user = await snapshot.userAttributes(userId);
    if (user === undefined) throw await unknownUser(snapshot.connection, userId);
    return { user, badRows: await withBadRowExamples(snapshot.connection, await snapshot.badRows(), { dataDir, user: userId }) };
  } finally {
    snapshot.close();
  }
}

/** `nurture preview`: renders templates to HTML and text files with a sample or a real user. */
export const previewCommand: CommandSpec = {
  name: "preview",
  summary: "render templates (HTML + text) with a sample user or a named user's data",
  configure: (cmd) => {
    cmd
      .option("--template <id>", "only this template (file name under templates/ without .md)")
      .option("--user <id>", "render with this user's attributes from the data snapshot")
      .option("--out <dir>", "where the files go (default: <data>/preview)");
  },
  action: async (ctx, options) => {
    const config = await loadConfig(String(options.config ?? "config"));
    const userId = typeof options.user === "string" ? options.user : undefined;
    const data = userId === undefined ? undefined : await userFromSnapshot(ctx.dataDir, userId);
    const user = data?.user;
    // Shown as typed (`data/preview/x.html`), not as an absolute path.
    const outDir = typeof options.out === "string" ? options.out : path.join(String(options.data ?? "data"), "preview");
    const entries = await writePreviews(config, {
      outDir,
      user,
      userLabel: userId === undefined ? "a sample user" : `user ${userId}`,
      ...(typeof options.template === "string" ? { templateId: options.template } : {}),
    });
    const index = path.join(outDir, "index.html");
    if (ctx.json) {
      const files = entries.map((e) => ({ ...e, html: path.join(outDir, e.html), text: path.join(outDir, e.text) }));
      ctx.out(JSON.stringify({ out: outDir, index, files, ...(data ? { badRows: data.badRows } : {}) }, null, 2));
    } else {
      for (const line of describeBadRows(data?.badRows ?? [])) ctx.err(pc.yellow(line));
      for (const e of entries) ctx.out(`${path.join(outDir, e.html)}  ${e.subject}`);
      ctx.out(`${entries.length} preview${entries.length === 1 ? "" : "s"} written; open ${index}`);
    }
    return 0;
  },
};
