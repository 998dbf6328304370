// @ts-check
import { defineConfig } from "astro/config";
import react from "@astrojs/react";
import { pathToFileURL } from "node:url";

/**
 * Engine modules find files next to their source (e.g. the config schemas via
 * `new URL("../../../config/schemas/", import.meta.url)`). Bundled into the site's build
 * they would resolve from the bundle's chunk directory instead, so pin `import.meta.url`
 * in src/engine/** to the source file's own URL.
 * @returns {import("vite").Plugin}
 */
function engineSourceUrls() {
  return {
    name: "nurture-engine-source-urls",
    enforce: "pre",
    transform(code, id) {
      if (!/[\\/]src[\\/]engine[\\/].*\.ts$/.test(id) || !code.includes("import.meta.url")) return null;
      return { code: code.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(id.split("?")[0] ?? id).href)), map: null };
    },
  };
}

// Served from GitHub Pages under a sub-path: set SITE_URL and BASE_PATH in the workflow.
export default defineConfig({
  site: process.env.SITE_URL ?? "https://example.github.io",
  base: process.env.BASE_PATH ?? "/",
  output: "static",
  trailingSlash: "ignore",
  integrations: [react()],
  srcDir: "src",
  outDir: process.env.NURTURE_SITE_OUT ?? "dist",
  vite: {
    plugins: [engineSourceUrls()],
    ssr: { external: ["@duckdb/node-api"] },
  },
});
