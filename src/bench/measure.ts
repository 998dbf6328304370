/**
 * Runs one benchmark process and measures it from outside: wall time, and peak resident
 * memory from GNU time (`/usr/bin/time -f %M`, which counts DuckDB's native memory too);
 * where that is missing the child's own `process.resourceUsage().maxRSS` is used.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { ChildResult } from "./child.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const TIME_BIN = process.platform === "linux" && fs.existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const RSS_MARK = "BENCH_MAXRSS_KB";

export interface ProcessRun {
  code: number;
  stdout: string;
  wallMs: number;
  /** Peak RSS in MB from GNU time; undefined without it. */
  peakMb?: number;
}

/**
 * Runs `node --import tsx file …args` in the repository root. With `echo`, the child's
 * output lines are passed through as they come (except `BENCH_RESULT` lines).
 */
export function runNode(file: string, args: string[], options: { echo: boolean; env?: Record<string, string> }): Promise<ProcessRun> {
  const node = [process.execPath, "--import", "tsx", file, ...args];
  const [cmd, ...argv] = TIME_BIN ? [TIME_BIN, "-f", `${RSS_MARK} %M`, ...node] : node;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd!, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let stdout = "";
    let peakMb: number | undefined;
    const echo = lineSplitter((line) => {
      if (options.echo && !line.startsWith("BENCH_RESULT ")) process.stdout.write(`${line}\n`);
    });
    // GNU time's line is taken out of stderr; the rest passes through.
    const stderr = lineSplitter((line) => {
      const m = new RegExp(`^${RSS_MARK} (\\d+)$`).exec(line.trim());
      if (m) peakMb = Math.round(Number(m[1]) / 1024);
      else process.stderr.write(`${line}\n`);
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      echo.push(chunk);
    });
    child.stderr.on("data", (chunk: string) => stderr.push(chunk));
    child.on("close", (code) => {
      echo.end();
      stderr.end();
      resolve({ code: code ?? 1, stdout, wallMs: performance.now() - started, peakMb });
    });
  });
}

/** Calls `onLine` for each complete line of a stream that arrives in chunks. */
function lineSplitter(onLine: (line: string) => void): { push(text: string): void; end(): void } {
  let pending = "";
  return {
    push(text) {
      const lines = (pending + text).split("\n");
      pending = lines.pop()!;
      lines.forEach(onLine);
    },
    end() {
      if (pending) onLine(pending);
      pending = "";
    },
  };
}

/** Runs a task of src/bench/child.ts in its own process; peak RSS from GNU time when available. */
export async function measureTask(task: string, args: object, options: { echo?: boolean } = {}): Promise<ChildResult & { processMs: number }> {
  const r = await runNode(path.join(ROOT, "src/bench/child.ts"), [task, JSON.stringify(args)], { echo: options.echo ?? false });
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) {
    return { task, ok: false, wallMs: Math.round(r.wallMs), processMs: Math.round(r.wallMs), peakRssMb: r.peakMb ?? 0, detail: {}, error: `exited ${r.code} without a result (killed, or out of memory?)` };
  }
  const result = JSON.parse(line.slice("BENCH_RESULT ".length)) as ChildResult;
  return { ...result, processMs: Math.round(r.wallMs), peakRssMb: r.peakMb ?? result.peakRssMb };
}
