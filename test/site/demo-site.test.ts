/**
 * The report site built on a (small) demo data set made by `nurture demo`, opened page by
 * page in Chromium: what stakeholders see after the nightly job has run for a month.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { main } from "../../src/cli/main.ts";
import { tasklyUsers } from "../../src/demo/index.ts";
import { allFiles, buildSite, leaks, serve } from "./_site.ts";

const BASE = "/nurture/";
const ROOT = path.resolve(import.meta.dirname, "../..");
const SHOTS = path.join(ROOT, "test-results/screenshots");
const PAGES = ["", "activation/", "campaigns/", "nps/", "audience/", "emails/", "changes/"];
/** Pages that must draw charts even on a month of a small demo (NPS needs more answers than k). */
const CHARTED = ["", "activation/", "campaigns/", "audience/"];
const DEMO = { users: 600, days: 100, replayDays: 35, seed: 7, now: "2026-11-20T08:00:00Z" };

let tmp: string;
let out: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-demo-site-"));
  const data = path.join(tmp, "data");
  out = path.join(tmp, "site");
  const log: string[] = [];
  const code = await main(
    ["demo", "--data", data, "--users", String(DEMO.users), "--days", String(DEMO.days), "--replay-days", String(DEMO.replayDays),
      "--run-hours", "8", "--seed", String(DEMO.seed), "--now", DEMO.now],
    { out: (l) => log.push(l), err: (l) => log.push(l) },
  );
  if (code !== 0) throw new Error(`nurture demo failed:\n${log.join("\n")}`);
  await buildSite(out, {
    NURTURE_CONFIG: path.join(ROOT, "config"), NURTURE_DATA: data, BASE_PATH: BASE, SITE_URL: "https://example.test",
    NURTURE_NOW: DEMO.now,
  });
}, 600_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("the site on demo data", () => {
  it("shows no email address of any demo user in any built file", () => {
    const addresses = [...tasklyUsers({ users: DEMO.users, days: DEMO.days, seed: DEMO.seed, now: new Date(DEMO.now) })].map((u) => u.user.email);
    expect(addresses.length).toBe(DEMO.users);
    const found = allFiles(out).flatMap((f) => leaks(fs.readFileSync(f, "utf8"), addresses).map((n) => `${path.relative(out, f)}: ${n}`));
    expect(found).toEqual([]);
  });

  it("reports real figures on the overview: sends, opens and activation are not empty", () => {
    const html = fs.readFileSync(path.join(out, "index.html"), "utf8");
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(html).not.toMatch(/no data yet/i);
  });

  describe("in a browser", () => {
    let browser: Browser;
    let server: Awaited<ReturnType<typeof serve>>;

    beforeAll(async () => {
      server = await serve(out, BASE);
      browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      });
      fs.mkdirSync(SHOTS, { recursive: true });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it.each(PAGES)("/%s opens without errors, with its charts and tables visible", async (page) => {
      const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      tab.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
      tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      tab.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
      tab.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
      await tab.goto(server.url + page, { waitUntil: "networkidle" });
      await tab.evaluate(async () => {
        for (let y = 0; y < document.body.scrollHeight; y += 600) {
          window.scrollTo(0, y);
          await new Promise((r) => requestAnimationFrame(() => r(null)));
        }
        window.scrollTo(0, 0);
      });
      await tab.waitForLoadState("networkidle");
      await tab.screenshot({ path: path.join(SHOTS, `demo-${page.replaceAll("/", "_") || "index"}.png`), fullPage: true });
      const charts = await tab.locator("svg.chart").all();
      if (CHARTED.includes(page)) expect(charts.length).toBeGreaterThan(0);
      for (const chart of charts) await expect.poll(() => chart.isVisible()).toBe(true);
      for (const table of await tab.locator("table").all()) expect(await table.isVisible()).toBe(true);
      expect(problems).toEqual([]);
      await tab.close();
    });
  });
});
