import type { CommandSpec } from "../main.ts";
import { validateCommand } from "./validate.ts";
import { previewCommand } from "./preview.ts";
import { planCommand } from "./plan.ts";
import { explainCommand } from "./explain.ts";
import { runCommand } from "./run.ts";
import { diffCommand } from "./diff.ts";
import { backtestCommand } from "./backtest.ts";
import { demoCommand } from "./demo.ts";
import { webhooksCommand } from "./webhooks.ts";
import { commitStateCommand } from "./commit-state.ts";
import { compactLedgerCommand } from "./compact-ledger.ts";

/** Every command of `nurture`, in the order `--help` lists them. */
export const commands: CommandSpec[] = [
  validateCommand,
  previewCommand,
  planCommand,
  explainCommand,
  runCommand,
  diffCommand,
  backtestCommand,
  demoCommand,
  webhooksCommand,
  compactLedgerCommand,
  commitStateCommand,
];
