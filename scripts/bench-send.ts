/**
 * How close sending gets to the provider's rate limit: a few thousand due emails sent
 * through the real sender and the `resend` SDK to the fake Resend server running at its
 * limit (default 2 requests per second, Resend's documented default). The theoretical
 * rate is the limit times 100 emails per batch; the measured rate counts the requests'
 * slots at the server (first to last arrival, plus one interval). Exits 1 under 95%.
 *
 *   npx tsx scripts/bench-send.ts [--emails 3000] [--rate 2] [--json]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/engine/index.ts";
import { resendTransport, runSends } from "../src/engine/send/index.ts";
import { startFakeResend } from "../test/support/fake-resend.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const TARGET = 0.95;
const { values: args } = parseArgs({
  options: { emails: { type: "string", default: "3000" }, rate: { type: "string", default: "2" }, json: { type: "boolean", default: false } },
});
const emails = Number(args.emails);
const rate = Number(args.rate);
const now = new Date("2026-11-20T09:00:00Z");

// Every user signed up on a trial at 02:00 UTC: the fixture's welcome email is due to each at 09:00.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-bench-send-"));
fs.mkdirSync(path.join(dir, "snapshots/users"), { recursive: true });
fs.mkdirSync(path.join(dir, "snapshots/events"), { recursive: true });
fs.writeFileSync(path.join(dir, "snapshots/users/users.ndjson"), Array.from({ length: emails }, (_, i) =>
  JSON.stringify({ user_id: `u${i}`, email: `u${i}@example.com`, first_name: `User ${i}`, created_at: "2026-11-20T02:00:00Z", plan: "trial" })).join("\n"));
fs.writeFileSync(path.join(dir, "snapshots/events/events.ndjson"), "");

const server = await startFakeResend({ rate });
try {
  const config = await loadConfig(path.join(ROOT, "test/fixtures/config/valid"));
  const started = performance.now();
  const report = await runSends({
    config, dataDir: dir, now, clock: () => now, secret: "bench-unsubscribe-secret-0123456789",
    transport: resendTransport({ apiKey: server.apiKey, baseUrl: server.url }),
  });
  const wall = (performance.now() - started) / 1000;
  const sent = report.outcomes.filter((o) => o.status === "sent").length;
  const accepted = server.requests.filter((r) => r.status === 200).map((r) => r.at);
  const limited = server.requests.filter((r) => r.status === 429).length;
  const seconds = (Math.max(...accepted) - Math.min(...accepted)) / 1000 + 1 / rate;
  const perSecond = sent / seconds;
  const share = perSecond / (rate * 100);
  const ok = sent === emails && server.delivered.length === emails && share >= TARGET;
  if (args.json) {
    console.log(JSON.stringify({ emails: sent, seconds, perSecond, rate, share, requests: accepted.length, rateLimited: limited, wall, ok }));
  } else {
    console.log(`send: ${sent} emails in ${seconds.toFixed(1)} s = ${perSecond.toFixed(0)}/s at limit ${rate}/s (${(share * 100).toFixed(1)}% of theoretical)`);
    console.log(`      ${accepted.length} requests, ${limited} answered 429; whole run ${wall.toFixed(1)} s including planning and rendering`);
    if (sent !== emails || server.delivered.length !== emails) console.log(`      expected ${emails} sent, got ${sent} (${server.delivered.length} delivered)`);
    if (share < TARGET) console.log(`      below the ${TARGET * 100}% target`);
  }
  process.exitCode = ok ? 0 : 1;
} finally {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
