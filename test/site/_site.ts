import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Builds the site with `astro build` in a child process (its own Vite, its own env). */
export async function buildSite(outDir: string, env: Record<string, string>): Promise<void> {
  // Vitest exports Vite's own variables (BASE_URL, MODE, NODE_ENV=test…) into process.env;
  // the build must not inherit them or it would be a test-mode build at the root path.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(BASE_URL|MODE|DEV|PROD|SSR|NODE_ENV|TEST|VITEST.*|VITE_.*)$/.test(k)),
  );
  await promisify(execFile)(process.execPath, [path.join(ROOT, "node_modules/astro/astro.js"), "build", "--outDir", outDir], {
    cwd: ROOT,
    env: { ...inherited, ASTRO_TELEMETRY_DISABLED: "1", ...env },
    maxBuffer: 32 * 1024 * 1024,
  });
}

/** Every file under dir (recursively), as absolute paths. */
export function allFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}

/** The built pages a visitor can open (HTML files, excluding server leftovers). */
export const htmlPages = (dir: string): string[] => allFiles(dir).filter((f) => f.endsWith(".html"));

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

/** A tiny static server for the built site mounted under `base` (e.g. `/nurture/`), on 127.0.0.1. */
export async function serve(dir: string, base: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (!pathname.startsWith(base)) return void res.writeHead(404).end("not under base");
    let file = path.join(dir, pathname.slice(base.length));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}${base}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Personal data the site must never contain: every email address and first name in a users CSV. */
export function personalData(usersCsv: string): string[] {
  const [head, ...lines] = fs.readFileSync(usersCsv, "utf8").trim().split("\n");
  const cols = head!.split(",");
  const pick = (name: string) => lines.map((l) => l.split(",")[cols.indexOf(name)]!).filter(Boolean);
  return [...pick("email"), ...pick("first_name")];
}

/** Which of `needles` occur in `text` as whole words (names) or anywhere (addresses, case-insensitive). */
export function leaks(text: string, needles: string[]): string[] {
  return needles.filter((n) =>
    n.includes("@") ? text.toLowerCase().includes(n.toLowerCase()) : new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(text),
  );
}
