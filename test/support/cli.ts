import { main } from "../../src/cli/main.ts";

/** Runs the CLI in-process, as `npx nurture …` would, and collects what it printed. */
export async function nurture(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
