// @ts-check
import { defineConfig } from "astro/config";
import react from "@astrojs/react";

// Served from GitHub Pages under a sub-path: set SITE_URL and BASE_PATH in the workflow.
export default defineConfig({
  site: process.env.SITE_URL ?? "https://example.github.io",
  base: process.env.BASE_PATH ?? "/",
  output: "static",
  integrations: [react()],
  srcDir: "src",
  outDir: "dist",
  vite: { ssr: { external: ["@duckdb/node-api"] } },
});
