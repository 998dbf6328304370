import path from "node:path";
import pc from "picocolors";
import type { CommandSpec } from "../main.ts";
import { formatProblem, usageError } from "../../engine/errors.ts";
import { convertWebhooks } from "../../engine/webhooks/convert.ts";
import type { WebhookConversion } from "../../engine/webhooks/types.ts";

const DEFAULT_SECRET_ENV = "RESEND_WEBHOOK_SECRET";
const LISTED = 50;

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const counts = (map: Record<string, number>): string => Object.entries(map).map(([k, n]) => `${k} ${n}`).join(", ");

/** The signing secret from the environment; naming a variable that is unset is a usage error. */
function secretFrom(name: string | undefined): { secret?: string; source: string } {
  const variable = name ?? DEFAULT_SECRET_ENV;
  const secret = process.env[variable];
  if (name !== undefined && !secret) throw usageError(`--secret-env ${name}: the environment variable ${name} is not set; set it to the webhook's signing secret (whsec_…)`);
  return { secret: secret || undefined, source: variable };
}

function printText(result: WebhookConversion, secretSource: string, out: (l: string) => void, err: (l: string) => void): void {
  const where = result.file ? ` in ${path.relative(process.cwd(), result.file) || result.file}` : " (nothing written)";
  out(`webhooks: ${result.deliveries} deliveries → ${result.rows} event row(s)${where}`);
  if (result.rows > 0) out(`  ${counts(result.byEvent)}`);
  out(result.verified ? `signatures: checked with ${secretSource}` : `signatures: not checked (${secretSource} is not set)`);
  if (result.repeats > 0) out(`repeats: ${result.repeats} delivery(ies) seen more than once, written once`);
  if (Object.keys(result.ignored).length > 0) out(`ignored (not about a sent email): ${counts(result.ignored)}`);
  if (result.setAside.length === 0) return;
  err(pc.yellow(`set aside: ${result.setAside.length} line(s)`));
  for (const s of result.setAside.slice(0, LISTED)) {
    err(formatProblem({ code: s.kind, severity: s.kind === "malformed" ? "error" : "warning", message: s.reason, file: s.file, line: s.line }));
  }
  if (result.setAside.length > LISTED) err(`  … ${result.setAside.length - LISTED} more; use --json for all`);
}

export const webhooksCommand: CommandSpec = {
  name: "webhooks",
  summary: "converts Resend webhook deliveries (NDJSON) into event rows under data/snapshots/events/",
  configure: (cmd) =>
    cmd
      .option("--in <file>", "NDJSON file of webhook deliveries (repeatable)", collect, [])
      .option("--out <dir>", "directory for the event file (default: <data>/snapshots/events)")
      .option("--secret-env <name>", `environment variable holding the signing secret (default: ${DEFAULT_SECRET_ENV}; signatures are checked when it is set)`),
  action: async (ctx, options) => {
    const inputs = options.in as string[];
    if (inputs.length === 0) throw usageError("nurture webhooks needs --in FILE (an NDJSON file of Resend webhook deliveries, one per line)");
    const { secret, source } = secretFrom(options.secretEnv as string | undefined);
    const result = convertWebhooks({ inputs, dataDir: ctx.dataDir, outDir: options.out as string | undefined, secret });
    if (ctx.json) ctx.out(JSON.stringify(result, null, 2));
    else printText(result, source, ctx.out, ctx.err);
    return result.setAside.some((s) => s.kind === "malformed") ? 1 : 0;
  },
};
