import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../src/engine/index.ts";
import type { BatchRecord } from "../../src/engine/ledger/types.ts";
import { inThreadComposer, workerComposer, type ComposeItem } from "../../src/engine/send/composer.ts";
import { outboxTransport, runSends } from "../../src/engine/send/index.ts";
import { ANN, CONFIG_DIR, makeWorld, NOW, SECRET, type World } from "./_world.ts";

let config: Config;
beforeAll(async () => {
  config = await loadConfig(CONFIG_DIR);
});
const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.remove();
});

const items: ComposeItem[] = [
  { send: { key: "k1", userId: "ann", campaign: "welcome", step: "welcome", template: "welcome-1", type: "regular" }, user: { ...ANN } },
  { send: { key: "k2", userId: "bob", campaign: "license-expiring", step: "send", template: "offer", type: "service" }, user: { user_id: "bob", email: "b@example.com" } },
  { send: { key: "k3", userId: "gone", campaign: "welcome", step: "welcome", template: "welcome-1", type: "regular" }, user: undefined },
];

describe("composing on worker threads", () => {
  it("gives exactly what composing on this thread gives, failures included", async () => {
    const workers = workerComposer(config, SECRET, 2);
    try {
      const [a, b] = await Promise.all([workers.compose(items), workers.compose(items.slice(0, 1))]);
      expect(workers.threads()).toBe(2);
      expect(a).toEqual(await inThreadComposer(config, SECRET).compose(items));
      expect(b).toEqual(a.slice(0, 1));
      expect(a[2]).toEqual({ ok: false, error: 'user "gone" is not in the snapshot' });
    } finally {
      await workers.close();
    }
  });

  it("sends the same bytes from a run rendered on workers as from one rendered here", async () => {
    const users = Array.from({ length: 9 }, (_, i) => ({ ...ANN, user_id: `u${i}`, email: `u${i}@example.com` }));
    const hashes = async (renderWorkers: number) => {
      const world = makeWorld(users, []);
      worlds.push(world);
      await runSends({
        config, dataDir: world.dir, now: new Date(NOW), clock: () => new Date(NOW), secret: SECRET, batchSize: 4, renderWorkers,
        runId: "same", transport: outboxTransport(`${world.dir}/outbox`),
      });
      return world.ledger().filter((r): r is BatchRecord => r.kind === "batch").map((b) => b.payload_sha256);
    };
    const here = await hashes(0);
    expect(here).toHaveLength(3);
    expect(await hashes(2)).toEqual(here);
  });
});
