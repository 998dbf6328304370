// A render worker for composer.ts: composes the emails it is sent with the config and
// secret it was started with. Plain JavaScript, so that it can load the TypeScript engine
// through tsx itself when the process was not started with tsx's loader (the CLI registers
// tsx programmatically, which worker threads do not inherit).
import { parentPort, workerData } from "node:worker_threads";

if (!process.execArgv.join(" ").includes("tsx")) {
  const { register } = await import("tsx/esm/api");
  register();
}
const { composeEmail } = await import("./compose.ts");

parentPort.on("message", ({ id, items }) => {
  try {
    parentPort.postMessage({ id, results: items.map(({ send, user }) => composeEmail(send, user, workerData)) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error?.stack ?? error) });
  }
});
