/**
 * Composes emails in bulk, on this thread or on worker threads. Rendering (Liquid,
 * Markdown, CSS inlining, the text part) costs a few milliseconds per email, which on one
 * core is about Resend's default of 2 requests × 100 emails per second; workers render
 * the next batches while this thread paces, sends and writes the ledger. Both give the
 * same bytes: composing is deterministic.
 */
import { Worker } from "node:worker_threads";
import type { Config } from "../config/types.ts";
import { composeEmail, type ComposeSend, type Composed } from "./compose.ts";

export interface ComposeItem {
  send: ComposeSend;
  /** The user's snapshot attributes (undefined: not in the snapshot). */
  user: Record<string, unknown> | undefined;
}

export interface Composer {
  compose(items: readonly ComposeItem[]): Promise<Composed[]>;
  /** Worker threads rendering now (0 on this thread, or after a worker failed). */
  threads(): number;
  close(): Promise<void>;
}

/** Lets timers and sockets run between renders, so pacing stays on time while a batch is built. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Composes on this thread, yielding to the event loop after each email. */
export function inThreadComposer(config: Config, secret: string): Composer {
  return {
    async compose(items) {
      const out: Composed[] = [];
      for (const { send, user } of items) {
        out.push(composeEmail(send, user, { config, secret }));
        await breathe();
      }
      return out;
    },
    threads: () => 0,
    close: async () => {},
  };
}

interface Task {
  resolve: (results: Composed[]) => void;
  items: readonly ComposeItem[];
}

/**
 * Composes on `count` worker threads (each loads the engine once), round robin. A worker
 * that fails is not trusted again: its tasks and all later ones are composed on this
 * thread instead, so a broken worker slows a run down but never stops it.
 */
export function workerComposer(config: Config, secret: string, count: number): Composer {
  const local = inThreadComposer(config, secret);
  const pending = new Map<number, Task>();
  let broken = false;
  let nextId = 0;
  let turn = 0;
  const fallBack = (): void => {
    broken = true;
    for (const [id, task] of pending) {
      pending.delete(id);
      void local.compose(task.items).then(task.resolve);
    }
  };
  const workers = Array.from({ length: count }, () => {
    const worker = new Worker(new URL("./_render-worker.mjs", import.meta.url), { workerData: { config, secret } });
    worker.on("message", (message: { id: number; results?: Composed[]; error?: string }) => {
      const task = pending.get(message.id);
      if (!task) return;
      pending.delete(message.id);
      if (message.results) task.resolve(message.results);
      else void local.compose(task.items).then(task.resolve);
    });
    worker.on("error", fallBack);
    worker.on("exit", (code) => {
      if (code !== 0 && pending.size > 0) fallBack();
    });
    return worker;
  });
  return {
    compose(items) {
      if (broken) return local.compose(items);
      const id = nextId++;
      return new Promise<Composed[]>((resolve) => {
        pending.set(id, { resolve, items });
        workers[turn++ % workers.length]!.postMessage({ id, items });
      });
    },
    threads: () => (broken ? 0 : workers.length),
    async close() {
      broken = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
