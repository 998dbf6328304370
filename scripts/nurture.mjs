#!/usr/bin/env node
// Entry point for `npx nurture`: registers tsx so the TypeScript sources run as they are
// (no build step on a fresh clone), then hands over to the CLI.
import { register } from "tsx/esm/api";

// A closed pipe (`nurture plan | head`) is not an error worth a stack trace.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
