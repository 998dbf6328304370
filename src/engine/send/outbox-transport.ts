/**
 * The outbox transport: "sends" by writing each email as `<outboxDir>/<run>/<key>.eml`,
 * so every command runs on a fresh clone with no account and a person can open what would
 * have gone out. The ledger sees the same intents, batches and outcomes as with Resend;
 * the provider id is the file's path under the outbox. Writing is atomic (temporary file,
 * then rename) and repeatable: a replay rewrites the same bytes under the same name.
 */
import fs from "node:fs";
import path from "node:path";
import { syncDirectory, writeFileDurably } from "../ledger/writer.ts";
import { toEml } from "./eml.ts";
import type { BatchRequest, BatchResult, Transport } from "./transport.ts";

/**
 * An outbox under `outboxDir` (normally `data/outbox`).
 *
 * @example const transport = outboxTransport("data/outbox");
 */
export function outboxTransport(outboxDir: string): Transport {
  return {
    name: "outbox",
    async sendBatch(request: BatchRequest): Promise<BatchResult> {
      const dir = path.join(outboxDir, request.run);
      fs.mkdirSync(dir, { recursive: true });
      const results = request.emails.map((email, i) => {
        const key = request.keys[i]!;
        const name = `${key}.eml`;
        writeFileDurably(path.join(dir, name), toEml(email, { key, date: request.composedAt }));
        return { ok: true as const, providerId: `${request.run}/${name}` };
      });
      syncDirectory(dir);
      return { results };
    },
  };
}
