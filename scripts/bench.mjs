#!/usr/bin/env node
// `npm run bench`: registers tsx so the TypeScript benchmark code runs as it is, then
// hands over to src/bench/run.ts (data generation, scan vs plan, where plan's time goes,
// and the other benchmark scripts). `npm run bench -- --help` lists the options.
import { register } from "tsx/esm/api";

register();
const { runBench } = await import("../src/bench/run.ts");
process.exitCode = await runBench(process.argv.slice(2));
