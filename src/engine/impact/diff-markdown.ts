/**
 * The impact diff as Markdown for a pull-request comment: a header, one summary
 * sentence, a table of the (campaign, step) rows that change, and collapsible details.
 * Counts, campaign and step ids and template subjects only: never a user id, address or
 * name.
 */
import { DAY_MS } from "../duration.ts";
import { backtestMarkdown } from "./backtest-markdown.ts";
import type { StepDiff } from "./compare.ts";
import type { ImpactDiff } from "./diff.ts";
import { code, details, num, signed, table } from "./_markdown.ts";

/** Rows shown in the main table before the rest move into the details. */
const MAIN_ROWS = 30;

const held = (counts: Partial<Record<string, number>> | null): string =>
  counts === null ? "—" : Object.entries(counts).map(([s, n]) => `${s} ${n}`).join(", ") || "";

const stepRows = (rows: StepDiff[]): string[] =>
  table(
    ["campaign", "step", "base", "head", "Δ", "held back (base → head)", "note"],
    rows.map((r) => {
      const [before, after] = [held(r.heldBase), held(r.heldHead)];
      const heldText = r.heldBase === null || before === after ? after : `${before || "none"} → ${after || "none"}`;
      return [code(r.campaign), code(r.step), num(r.base), num(r.head), signed(r.delta), heldText, r.change ?? ""];
    }),
    ["l", "l", "r", "r", "r", "l", "l"],
  );

/** The summary sentence under the header. */
function summary(diff: ImpactDiff): string {
  const { sends, users } = diff.comparison;
  const ref = code(diff.base.ref);
  if (sends.base === null) return `As of ${diff.now}, the run would send **${num(sends.head)}** emails to ${num(users.head)} users under this change; the base could not be evaluated.`;
  const reach = `${num(users.newlyReached)} user(s) newly reached, ${num(users.noLongerReached)} no longer reached`;
  if (sends.delta === 0 && !diff.comparison.rows.some((r) => r.changed)) {
    return `As of ${diff.now}, the run would send the same **${num(sends.head)}** emails under this change as on ${ref}; ${reach}.`;
  }
  return `As of ${diff.now}, the run would send **${num(sends.head)}** emails under this change vs **${num(sends.base)}** on ${ref} (${signed(sends.delta)}); ${reach}.`;
}

/** One line on the snapshot: size, newest event, rows set aside. */
function snapshotLine(diff: ImpactDiff): string {
  const s = diff.snapshot;
  const bad = s.badRows.reduce((n, b) => n + b.count, 0);
  const badText = bad === 0 ? "no rows set aside" : `${num(bad)} row(s) set aside (${s.badRows.map((b) => `${b.table}: ${b.reason} ${num(b.count)}`).join("; ")})`;
  return `Snapshot: ${num(s.users)} users, ${num(s.events)} events, newest event ${s.newestEvent ?? "none"}; ${badText}.`;
}

/**
 * Renders the impact diff (with the backtest, when it ran) as one Markdown document.
 *
 * @example
 * fs.writeFileSync("impact.md", diffMarkdown(await impactDiff({ configDir: "config", dataDir: "data", base: "origin/main", now })));
 */
export function diffMarkdown(diff: ImpactDiff): string {
  const cmp = diff.comparison;
  const lines = [`## nurture impact preview: ${code(diff.base.ref)} (${diff.base.commit.slice(0, 7)}) → this change`, "", summary(diff), ""];

  if (!diff.base.valid) {
    const first = diff.base.problems.slice(0, 5).map((p) => `- ${p.file ? `${code(p.file)}${p.line ? ` line ${p.line}` : ""}: ` : ""}${p.message}`);
    const more = diff.base.problems.length > 5 ? [`- … and ${diff.base.problems.length - 5} more`] : [];
    lines.push(`**base config invalid:** ${num(diff.base.problems.length)} error(s) at ${code(diff.base.ref)}, so only this change's plan is shown.`, "", ...first, ...more, "");
  }
  const newest = diff.snapshot.newestEvent ? Date.parse(diff.snapshot.newestEvent) : NaN;
  if (Date.parse(diff.now) - newest > 2 * DAY_MS) {
    lines.push(`> The snapshot's newest event (${diff.snapshot.newestEvent}) is more than 2 days before ${diff.now}: much may be held as too late. Pass \`--now\` to evaluate as of the snapshot.`, "");
  }

  const changed = cmp.rows.filter((r) => r.changed);
  const active = cmp.rows.filter((r) => r.base || r.head || r.change || Object.keys(r.heldHead).length || Object.keys(r.heldBase ?? {}).length);
  if (!diff.base.valid) lines.push(...stepRows(active.slice(0, MAIN_ROWS)), "");
  else if (changed.length === 0) lines.push("No campaign or step changes what it would send or hold back.", "");
  else lines.push(...stepRows(changed.slice(0, MAIN_ROWS)), ...(changed.length > MAIN_ROWS ? ["", `… ${changed.length - MAIN_ROWS} more changed row(s) in the details below.`] : []), "");

  if (cmp.campaigns.added.length || cmp.campaigns.removed.length) {
    lines.push(`Campaigns added: ${cmp.campaigns.added.map(code).join(", ") || "none"}; removed: ${cmp.campaigns.removed.map(code).join(", ") || "none"}.`, "");
  }

  lines.push(
    ...details("Sends by message type", cmp.byType.length
      ? table(["type", "base", "head", "Δ"], cmp.byType.map((t) => [t.key, num(t.base), num(t.head), signed(t.delta)]), ["l", "r", "r", "r"])
      : ["Nothing would be sent under either config."]),
    "",
    ...details("Held back, by status", cmp.held.length
      ? table(["status", "base", "head", "Δ"], cmp.held.map((t) => [t.key, num(t.base), num(t.head), signed(t.delta)]), ["l", "r", "r", "r"])
      : ["Nothing held back under either config."]),
    "",
    ...details(`Changed config files (${diff.changedFiles.length})`, [
      ...(diff.changedFiles.length ? diff.changedFiles.map((f) => `- ${code(f)}`) : ["No config file differs from the base."]),
      ...(diff.subjects.length ? ["", "Subject lines:", "", ...diff.subjects.map(subjectLine)] : []),
    ]),
    "",
    ...details(`Every campaign and step with something due (${active.length})`, active.length ? stepRows(active) : ["Nothing is due under either config."]),
    "",
    snapshotLine(diff),
  );
  if (diff.warnings.length) lines.push("", ...diff.warnings.map((w) => `- warning: ${w}`));
  if (diff.backtest) lines.push("", backtestMarkdown(diff.backtest, { heading: 3 }));
  return `${lines.join("\n")}\n`;
}

function subjectLine(s: ImpactDiff["subjects"][number]): string {
  if (s.before === null) return `- ${code(s.template)} (new): ${code(s.after ?? "")}`;
  if (s.after === null) return `- ${code(s.template)} (removed): was ${code(s.before)}`;
  if (s.before === s.after) return `- ${code(s.template)}: subject unchanged, ${code(s.after)}`;
  return `- ${code(s.template)}: ${code(s.before)} → ${code(s.after)}`;
}
