/**
 * The backtest report as Markdown: what `nurture backtest` prints, and what `nurture diff
 * --backtest-days N` appends to the pull-request comment. Counts and config ids only.
 */
import type { BacktestReport } from "./backtest.ts";
import { code, details, num, table } from "./_markdown.ts";

const pad2 = (h: number): string => String(h).padStart(2, "0");

/** One sentence per configured cap: held or exceeded, with the most any user received. */
function capLines(report: BacktestReport): string[] {
  if (report.caps.length === 0) return ["- No frequency caps are configured (settings.json `caps`)."];
  return report.caps.map((cap) => {
    const what = `at most ${cap.max} ${cap.types.join("/")} per ${cap.per}`;
    return cap.usersOver === 0
      ? `- Cap ${what}: held (most per user: ${num(cap.maxPerUser)}).`
      : `- **Cap ${what}: ${num(cap.usersOver)} user(s) over it** (most per user: ${num(cap.maxPerUser)}) — evaluate applies caps, so look for a service-type gap or a bug.`;
  });
}

/**
 * Renders a backtest report. `heading` is the Markdown heading level of its title
 * (2 on its own, 3 inside a diff comment).
 */
export function backtestMarkdown(report: BacktestReport, options: { heading?: number } = {}): string {
  const h = "#".repeat(options.heading ?? 2);
  const hours = report.runHours.map((x) => `${pad2(x)}:00`).join(", ");
  const perDay = report.runs ? report.sends / report.days : 0;
  const lines = [
    `${h} Backtest: last ${report.days} day(s) of the snapshot`,
    "",
    `${num(report.runs)} run(s) at ${hours} UTC from ${report.from.slice(0, 10)} to ${report.to} would send **${num(report.sends)}** emails to ${num(report.usersReached)} users (${num(Math.round(perDay))} a day). ` +
      `Most per user: ${num(report.maxPerUser.day)} in any 24 hours, ${num(report.maxPerUser.week)} in any 7 days (${num(report.maxPerUser.marketingWeek)} marketing).`,
    "",
    ...capLines(report),
    "",
    ...details("Sends per day", table(["day", "runs", "sends"], report.perDay.map((d) => [d.day, num(d.runs), num(d.sends)]), ["l", "r", "r"])),
    "",
    ...details("Sends per campaign and step", table(["campaign", "step", "sends"], report.perStep.map((s) => [code(s.campaign), code(s.step), num(s.sends)]), ["l", "l", "r"])),
    "",
    ...details("Sends per message type, and what was held back", [
      ...table(["type", "sends"], report.perType.map((t) => [t.type, num(t.sends)]), ["l", "r"]),
      "",
      ...(report.held.length
        ? table(["held back as", "messages"], report.held.map((x) => [x.status, num(x.messages)]), ["l", "r"])
        : ["Nothing was held back."]),
    ]),
    "",
    `_Limits of the replay: ${report.notes.join("; ")}._`,
  ];
  if (report.warnings.length) lines.push("", ...report.warnings.map((w) => `- warning: ${w}`));
  return lines.join("\n");
}
