import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { FIXTURE_DATA } from "./_tables.ts";
import { allFiles, buildSite, htmlPages, leaks, personalData, serve } from "./_site.ts";

const BASE = "/nurture/";
const CONFIG = path.resolve(import.meta.dirname, "../../config");
const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");
const PAGES = ["", "activation/", "campaigns/", "nps/", "audience/", "emails/", "changes/", "nps/0/", "nps/6/", "nps/10/"];
const REPORT_PAGES = PAGES.filter((p) => !/^nps\/\d+\/$/.test(p));

let tmp: string;
let out: string;
let emptyOut: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nurture-site-"));
  out = path.join(tmp, "fixture");
  emptyOut = path.join(tmp, "empty");
  const emptyData = path.join(tmp, "empty-data");
  fs.mkdirSync(path.join(emptyData, "snapshots/users"), { recursive: true });
  fs.mkdirSync(path.join(emptyData, "snapshots/events"), { recursive: true });
  const env = { NURTURE_CONFIG: CONFIG, BASE_PATH: BASE, SITE_URL: "https://example.test" };
  // One after the other: concurrent builds share Astro's cache directory.
  await buildSite(out, { ...env, NURTURE_DATA: FIXTURE_DATA });
  await buildSite(emptyOut, { ...env, NURTURE_DATA: emptyData, NURTURE_NOW: "2026-03-28T12:00:00Z" });
}, 240_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("privacy of the built site", () => {
  const needles = () => personalData(path.join(FIXTURE_DATA, "snapshots/users/users.csv"));

  it("the scanner finds a planted name or address (so a clean scan means something)", () => {
    expect(needles()).toContain("Zephyrine");
    expect(leaks("<p>Hello Zephyrine</p>", needles())).toEqual(["Zephyrine"]);
    expect(leaks("mail ZEPHYRINE.U01@example.test", needles())).toEqual(["zephyrine.u01@example.test", "Zephyrine"].filter((n) => n.includes("@")));
  });

  it("no email address or first name from the data appears in any built file", () => {
    const files = allFiles(out);
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => leaks(fs.readFileSync(f, "utf8"), needles()).map((n) => `${path.relative(out, f)}: ${n}`));
    expect(found).toEqual([]);
  });

  it("small cells are shown as — (k = 5 in the demo config)", () => {
    const campaigns = fs.readFileSync(path.join(out, "campaigns/index.html"), "utf8");
    expect(campaigns).toContain("—");
    // welcome/welcome had 3 clicks out of 7 delivered: the count must not be published.
    expect(campaigns).not.toMatch(/>3 \(42\.9%\)</);
  });
});

describe("built pages", () => {
  it.each(PAGES)("/%s exists and links stay under the base path", (page) => {
    const html = fs.readFileSync(path.join(out, page, "index.html"), "utf8");
    const links = [...html.matchAll(/(?:href|src)="(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !l.startsWith(BASE))).toEqual([]);
  });

  it.each(REPORT_PAGES)("empty data set: /%s renders without NaN or undefined", (page) => {
    const html = fs.readFileSync(path.join(emptyOut, page, "index.html"), "utf8");
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("empty data set: the overview says there is no data instead of drawing charts", () => {
    const html = fs.readFileSync(path.join(emptyOut, "index.html"), "utf8");
    expect(html).toContain("No users in the data yet");
  });

  it("the activation page marks young cohorts incomplete", () => {
    expect(fs.readFileSync(path.join(out, "activation/index.html"), "utf8")).toContain("incomplete");
  });
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

  it.each(PAGES)("/%s: no console errors, no failed requests, charts and tables visible", async (page) => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    tab.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    tab.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    tab.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    tab.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    await tab.goto(server.url + page, { waitUntil: "networkidle" });
    // Scroll through so every client:visible chart hydrates, then settle.
    await tab.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += 600) {
        window.scrollTo(0, y);
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
      window.scrollTo(0, 0);
    });
    await tab.waitForLoadState("networkidle");
    for (const chart of await tab.locator("svg.chart").all()) await expect.poll(() => chart.isVisible()).toBe(true);
    for (const table of await tab.locator("table").all()) expect(await table.isVisible()).toBe(true);
    if (!page.startsWith("nps/") || page === "nps/") expect(await tab.locator("nav a").count()).toBe(7);
    await tab.screenshot({ path: path.join(SHOTS, `${page.replaceAll("/", "_") || "index"}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await tab.close();
  });

  it("a hydrated chart shows a tooltip on hover", async () => {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await tab.goto(server.url + "activation/", { waitUntil: "networkidle" });
    const chart = tab.locator("svg.chart").first();
    await chart.scrollIntoViewIfNeeded();
    await tab.waitForFunction(() => !document.querySelector("astro-island[ssr]"));
    const box = (await chart.boundingBox())!;
    await tab.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => tab.locator("svg.chart g.tooltip").count()).toBe(1);
    await tab.close();
  });
});
