import type { CommandSpec } from "../main.ts";
import { usageError, formatProblem, type Problem } from "../../engine/errors.ts";
import { checkConfig, displayPaths } from "../../engine/config/index.ts";

type Format = "text" | "github";

/** GitHub workflow commands need `%`, CR and LF escaped (and `,` `:` in properties). */
const escapeData = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** One problem as a GitHub Actions annotation, e.g. `::error file=config/x.json,line=3,col=5,title=schema::…`. */
export function githubAnnotation(p: Problem): string {
  const props = [
    p.file ? `file=${escapeProperty(p.file)}` : undefined,
    p.line ? `line=${p.line}` : undefined,
    p.column ? `col=${p.column}` : undefined,
    `title=${escapeProperty(p.code)}`,
  ].filter(Boolean);
  const at = p.pointer ? ` (at ${p.pointer})` : "";
  return `::${p.severity} ${props.join(",")}::${escapeData(`${p.message}${at}${p.hint ? ` (${p.hint})` : ""}`)}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `nurture validate`: schemas, cross-references and lint rules over the config directory. */
export const validateCommand: CommandSpec = {
  name: "validate",
  summary: "check the config: schemas, cross-references and lint rules",
  configure: (cmd) => {
    cmd.option("--format <format>", "output format: text or github (workflow annotations)", "text");
  },
  action: async (ctx, options) => {
    const format = String(options.format ?? "text") as Format;
    if (format !== "text" && format !== "github") throw usageError(`--format "${format}" is not known; use text or github`);
    const given = String(options.config ?? "config");
    // The directory as typed, so messages read "config/…" rather than an absolute path.
    const { problems: raw } = await checkConfig(given);
    const problems = displayPaths(raw, given);
    const errors = problems.filter((p) => p.severity === "error").length;
    const warnings = problems.length - errors;
    if (ctx.json) {
      // A failure also carries the shape every command's --json failure has (exitCode, error).
      const failure = errors === 0 ? {} : {
        exitCode: 1,
        error: { code: "invalid-config", message: `the config in ${given} has ${plural(errors, "error")}`, problems: problems.filter((p) => p.severity === "error") },
      };
      ctx.out(JSON.stringify({ ok: errors === 0, errors, warnings, problems, ...failure }, null, 2));
    } else if (format === "github") {
      for (const p of problems) ctx.out(githubAnnotation(p));
      ctx.out(`${plural(errors, "error")}, ${plural(warnings, "warning")}`);
    } else {
      for (const p of problems) ctx.out(formatProblem(p));
      const files = new Set(problems.map((p) => p.file).filter(Boolean)).size;
      ctx.out(problems.length === 0 ? `no problems in ${given}: 0 errors, 0 warnings` : `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`);
    }
    return errors > 0 ? 1 : 0;
  },
};
