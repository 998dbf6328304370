/**
 * The spool: `data/spool/<batch>.json` holds a batch exactly as it is about to be sent,
 * written (and fsynced) before the ledger's `batch` record, so a run killed mid-send can be
 * replayed byte for byte by the next one — re-rendering could differ if a template or a
 * user changed in between. It holds email addresses, so it is git-ignored and each file
 * is removed once its batch has an outcome for every key.
 */
import fs from "node:fs";
import path from "node:path";
import { syncDirectory, writeFileDurably } from "../ledger/writer.ts";
import type { BatchRequest } from "./transport.ts";

const fileOf = (spoolDir: string, batch: string): string => path.join(spoolDir, `${batch}.json`);

/** Writes the batch durably (temporary file, fsync, rename, fsync of the directory). */
export function writeSpool(spoolDir: string, request: BatchRequest): void {
  fs.mkdirSync(spoolDir, { recursive: true });
  writeFileDurably(fileOf(spoolDir, request.batch), JSON.stringify(request));
  syncDirectory(spoolDir);
}

/** The spooled batch, or undefined when there is none (or it is unreadable). */
export function readSpool(spoolDir: string, batch: string): BatchRequest | undefined {
  try {
    const request = JSON.parse(fs.readFileSync(fileOf(spoolDir, batch), "utf8")) as BatchRequest;
    return request.batch === batch && Array.isArray(request.emails) ? request : undefined;
  } catch {
    return undefined;
  }
}

/** Removes a batch's spool file; removing one that is gone is fine. */
export function removeSpool(spoolDir: string, batch: string): void {
  fs.rmSync(fileOf(spoolDir, batch), { force: true });
}

/** Batch ids that have a spool file (leftover `.tmp` files are removed on the way). */
export function spooledBatches(spoolDir: string): string[] {
  if (!fs.existsSync(spoolDir)) return [];
  const ids: string[] = [];
  for (const name of fs.readdirSync(spoolDir)) {
    if (name.endsWith(".json.tmp")) fs.rmSync(path.join(spoolDir, name), { force: true });
    else if (name.endsWith(".json")) ids.push(name.slice(0, -".json".length));
  }
  return ids;
}
