/** Small GitHub-flavoured Markdown builders for the impact reports. */

/** A whole number with thousands separators, or an em dash for "unknown". */
export const num = (n: number | null): string => (n === null ? "—" : n.toLocaleString("en-US"));

/** A signed delta: `+5`, `-3`, `0`, or an em dash for "unknown". */
export const signed = (n: number | null): string => (n === null ? "—" : n > 0 ? `+${num(n)}` : num(n));

/** Text as an inline code span, fenced with more backticks than it contains (CommonMark). */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A table cell: pipes escaped, line breaks flattened. */
const cell = (text: string): string => text.replaceAll("|", "\\|").replace(/\s*\n\s*/g, " ");

/** A pipe table; `align` marks numeric columns right-aligned. */
export function table(header: string[], rows: string[][], align: ("l" | "r")[] = []): string[] {
  const rule = header.map((_, i) => (align[i] === "r" ? "--:" : "---"));
  return [header, rule, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(cell)).join(" | ")} |`);
}

/** A collapsible section (GitHub renders Markdown inside when blank lines surround it). */
export function details(summary: string, body: string[]): string[] {
  return ["<details>", `<summary>${summary}</summary>`, "", ...body, "", "</details>"];
}
