import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nurture } from "../support/cli.ts";

const CONFIG = path.resolve(import.meta.dirname, "../fixtures/templates/config");

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "nurture-preview-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const read = (name: string) => fs.readFile(path.join(dir, name), "utf8");

describe("nurture preview", () => {
  it("renders every template to HTML and text with the sample user, plus an index", async () => {
    const r = await nurture("preview", "--config", CONFIG, "--out", dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect((await fs.readdir(dir)).sort()).toEqual(["index.html", "receipt.html", "receipt.txt", "welcome.html", "welcome.txt"]);
    expect(r.out).toContain("Welcome to Taskly, Alex");

    const html = await read("welcome.html");
    expect(html).toContain("<title>Welcome to Taskly, Alex</title>");
    expect(html).toContain('href="https://taskly.example/api/unsubscribe?token=preview"');
    // Existing query kept, utm added, fragment last.
    expect(html).toContain("https://app.taskly.example/tasks/new?source=welcome&amp;utm_source=nurture&amp;utm_medium=email");
    expect(html).toContain("https://taskly.example/mobile?utm_source=nurture&amp;utm_medium=email&amp;utm_campaign=preview&amp;utm_content=welcome#download");

    const text = await read("welcome.txt");
    expect(text).toContain("Create your first task (https://app.taskly.example/tasks/new?source=welcome&utm_source=nurture");
    expect(text).toContain("Write to us (support@taskly.example)");
    expect(text).not.toMatch(/<[a-z/]/i);

    const receipt = await read("receipt.txt");
    expect(receipt).toContain("Your licence runs until 9 March 2027.");
    expect(receipt).toContain("This is a service email");
    expect(receipt).not.toContain("token=preview");

    const index = await read("index.html");
    expect(index).toContain('<a href="welcome.html">welcome</a>');
    expect(index).toContain('<a href="receipt.html">receipt</a>');
    expect(index).toContain("<strong>Welcome to Taskly, Alex</strong>");
    expect(index).toContain("Your trial plan: three things to try");
  });

  it("renders one template with --template", async () => {
    const r = await nurture("preview", "--config", CONFIG, "--out", dir, "--template", "receipt");
    expect(r.code).toBe(0);
    expect((await fs.readdir(dir)).sort()).toEqual(["index.html", "receipt.html", "receipt.txt"]);
  });

  it("prints the written files with subjects as JSON", async () => {
    const r = await nurture("preview", "--config", CONFIG, "--out", dir, "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { index: string; files: { template: string; subject: string; preheader: string; html: string; text: string }[] };
    expect(json.index).toBe(path.join(dir, "index.html"));
    expect(json.files.map((f) => [f.template, f.subject])).toEqual([
      ["receipt", "Your Taskly receipt"],
      ["welcome", "Welcome to Taskly, Alex"],
    ]);
    for (const f of json.files) await expect(fs.stat(f.html)).resolves.toBeTruthy();
    expect(json.files[1]!.text).toBe(path.join(dir, "welcome.txt"));
  });

  it.each([
    { id: "welcom", suggestion: '"welcome"' },
    { id: "reciept", suggestion: '"receipt"' },
  ])("names an unknown template ($id) and suggests close matches", async ({ id, suggestion }) => {
    const r = await nurture("preview", "--config", CONFIG, "--out", dir, "--template", id);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`"${id}"`);
    expect(r.err).toContain(`did you mean ${suggestion}?`);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it("lists nothing for an id unlike any template", async () => {
    const r = await nurture("preview", "--config", CONFIG, "--out", dir, "--template", "zzzzzzzzzz");
    expect(r.code).toBe(1);
    expect(r.err).toContain('"zzzzzzzzzz"');
    expect(r.err).not.toContain("did you mean");
  });

  it("exits 1 without writing when the config is invalid", async () => {
    const r = await nurture("preview", "--config", path.join(dir, "missing"), "--out", path.join(dir, "out"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not exist");
    await expect(fs.stat(path.join(dir, "out"))).rejects.toThrow();
  });

  async function dataWithUser(): Promise<string> {
    const data = path.join(dir, "data");
    await fs.mkdir(path.join(data, "snapshots/users"), { recursive: true });
    await fs.mkdir(path.join(data, "snapshots/events"), { recursive: true });
    await fs.writeFile(path.join(data, "snapshots/users/users.csv"), "user_id,email,first_name,created_at,plan\nu42,zoe@example.com,Zoë,2026-11-01T10:00:00Z,team\n");
    return data;
  }

  it("--user renders with that user's attributes from the snapshot", async () => {
    const data = await dataWithUser();
    const r = await nurture("preview", "--config", CONFIG, "--data", data, "--out", path.join(dir, "out"), "--template", "welcome", "--user", "u42");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const html = await fs.readFile(path.join(dir, "out", "welcome.html"), "utf8");
    expect(html).toContain("Zo");
    expect(html).not.toContain("Alex");
  });

  it("--user with an unknown id exits 1 naming the id", async () => {
    const data = await dataWithUser();
    const r = await nurture("preview", "--config", CONFIG, "--data", data, "--out", path.join(dir, "out"), "--user", "nobody");
    expect(r.code).toBe(1);
    expect(r.err).toContain('"nobody"');
  });
});
