import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { loadConfig } from "../../engine/config/index.ts";
import { openSnapshot } from "../../engine/data/snapshot.ts";
import { describeBadRows, withBadRowExamples } from "../../engine/data/bad-row-examples.ts";
import { usageError } from "../../engine/errors.ts";
import { explain, type CampaignExplanation, type Explanation, type Verdict } from "../../engine/explain/explain.ts";

const LABEL: Record<Verdict, string> = {
  sends_now: "sends now",
  held: "held back",
  waiting: "waiting",
  branch_not_taken: "branch not taken",
  ended: "ended",
  stopped: "stopped",
  finished: "finished",
  not_in_audience: "not in audience",
  not_entered: "not entered",
};

/**
 * A value on one line: objects as JSON, and text holding a line break or another control
 * character (a quoted CSV field may) quoted with escapes, so it cannot break the layout or
 * send the terminal an escape sequence.
 */
const show = (v: unknown): string =>
  v === null || v === undefined || v === "" ? "—"
  : typeof v === "object" || (typeof v === "string" && /[\u0000-\u001f\u007f]/.test(v)) ? JSON.stringify(v)
  : String(v);

function printCampaign(c: CampaignExplanation, out: (line: string) => void, all: boolean): void {
  const colour = c.verdict === "sends_now" ? pc.green : c.verdict === "held" ? pc.yellow : (s: string) => s;
  out(`  ${colour(LABEL[c.verdict].padEnd(16))}  ${c.kind} "${c.id}"  ${c.summary}`);
  if (!all && (c.verdict === "not_entered" || c.verdict === "not_in_audience")) return;
  for (const h of c.history) out(`      ${h.at}  ${h.kind.padEnd(7)}  step "${h.step}"${h.detail ? `  ${h.detail}` : ""}`);
  for (const u of c.upcoming.slice(1)) out(`      ${u.due}  later    step "${u.step}"${u.if ? `  if ${u.if} by then` : ""}`);
}

/** The explanation as text: facts about the user, then one line (and its history) per campaign. */
function printExplanation(e: Explanation, out: (line: string) => void, all: boolean): void {
  out(`user ${e.userId} as of ${e.now}`);
  for (const [k, v] of Object.entries(e.attributes)) if (k !== "user_id") out(`  ${k.padEnd(20)} ${show(v)}`);
  out(`  ${"score".padEnd(20)} ${e.score === null ? "—" : `${e.score} (${e.band})`}`);
  out(`  ${"engagement".padEnd(20)} ${show(e.level)}`);
  out(`  ${"tags".padEnd(20)} ${e.tags.map((t) => `${t.tag} (${t.assignedAt.slice(0, 10)})`).join(", ") || "—"}`);
  out(`  ${"suppressed".padEnd(20)} ${e.suppressed.join(", ") || "no"}`);
  out("");
  out("campaigns");
  for (const c of e.campaigns) printCampaign(c, out, all);
}

export const explainCommand: CommandSpec = {
  name: "explain",
  summary: "why one user did or did not get each campaign's emails: attributes, score, level, tags, history, what is due",
  configure: (cmd) =>
    cmd
      .option("--user <id>", "the user id to explain")
      .option("--campaign <id>", "only this sequence or trigger")
      .option("--all", "show history for campaigns the user never entered too"),
  action: async (ctx, options) => {
    const userId = options.user === undefined ? undefined : String(options.user);
    if (!userId) throw usageError("explain needs --user ID, e.g. nurture explain --user u00042");
    const config = await loadConfig(ctx.configDir);
    const only = options.campaign === undefined ? undefined : String(options.campaign);
    if (only !== undefined && !config.campaigns.has(only)) {
      throw usageError(`--campaign "${only}" is not a sequence or trigger in ${ctx.configDir}; known: ${[...config.campaigns.keys()].sort().join(", ")}`);
    }
    const snapshot = await openSnapshot(ctx.dataDir);
    try {
      const result = await explain(config, snapshot, userId, ctx.now);
      // The user's own set-aside rows first: they may be why a campaign did not send.
      const badRows = await withBadRowExamples(snapshot.connection, result.badRows, { dataDir: ctx.dataDir, user: userId });
      const campaigns = only ? result.campaigns.filter((c) => c.id === only) : result.campaigns;
      const shown = { ...result, campaigns, badRows };
      if (ctx.json) {
        ctx.out(JSON.stringify(shown, null, 2));
        return 0;
      }
      for (const line of describeBadRows(badRows)) ctx.err(pc.yellow(line));
      for (const warning of result.warnings) ctx.err(pc.yellow(`warning: ${warning}`));
      printExplanation(shown, ctx.out, Boolean(options.all) || Boolean(only));
      return 0;
    } finally {
      snapshot.close();
    }
  },
};
