/**
 * Where the time goes, without touching the engine: wraps the DuckDB connection's query
 * methods (in this process only) so every statement the engine runs is timed, and samples
 * the process's resident memory while it runs, so the peak can be pinned on a statement.
 * Meant for benchmark child processes; `stop()` puts the methods back.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { DuckDBConnection } from "@duckdb/node-api";

export interface TimedStatement {
  sql: string;
  ms: number;
  /** Highest resident memory (MB) sampled while the statement ran. */
  peakRssMb: number;
  /** Milliseconds since the recorder started, when the statement began. */
  startMs: number;
}

export interface SqlRecorder {
  statements: TimedStatement[];
  /** Highest resident memory (MB) sampled since the start. */
  peakRssMb(): number;
  stop(): void;
}

/** The entry points; the convenience ones call `run`/`stream` inside, which is then not counted twice. */
const METHODS = ["run", "runAndRead", "runAndReadAll", "runAndReadUntil", "stream", "streamAndRead", "streamAndReadAll", "streamAndReadUntil"] as const;
type Method = (typeof METHODS)[number];

/** Starts timing every statement on every DuckDB connection in this process. */
export function recordSql(options: { sampleMs?: number } = {}): SqlRecorder {
  const statements: TimedStatement[] = [];
  const started = performance.now();
  const proto = DuckDBConnection.prototype as unknown as Record<Method, (this: DuckDBConnection, sql: string, ...rest: unknown[]) => Promise<unknown>>;
  const originals = new Map<Method, (typeof proto)[Method]>();
  const inside = new AsyncLocalStorage<TimedStatement>();
  let current: TimedStatement | undefined;
  let peak = 0;
  const sample = (): void => {
    const mb = Math.round(process.memoryUsage.rss() / 1048576);
    peak = Math.max(peak, mb);
    if (current) current.peakRssMb = Math.max(current.peakRssMb, mb);
  };
  const timer = setInterval(sample, options.sampleMs ?? 100);
  timer.unref();
  for (const name of METHODS) {
    const original = proto[name];
    if (typeof original !== "function") continue;
    originals.set(name, original);
    proto[name] = async function timed(this: DuckDBConnection, sql: string, ...rest: unknown[]): Promise<unknown> {
      if (inside.getStore()) return original.call(this, sql, ...rest);
      const entry: TimedStatement = { sql: String(sql), ms: 0, peakRssMb: 0, startMs: Math.round(performance.now() - started) };
      current = entry;
      sample();
      const t0 = performance.now();
      try {
        return await inside.run(entry, () => original.call(this, sql, ...rest));
      } finally {
        sample();
        entry.ms = Math.round(performance.now() - t0);
        statements.push(entry);
        current = undefined;
      }
    };
  }
  return {
    statements,
    peakRssMb: () => (sample(), peak),
    stop: () => {
      clearInterval(timer);
      for (const [name, original] of originals) proto[name] = original;
    },
  };
}

/** A statement's first line, squeezed, for a report: e.g. "CREATE TABLE events AS SELECT user_id::VARCHAR …". */
export function shortSql(sql: string, width = 90): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}
