import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

/** The file kinds that have a schema under `config/schemas/`. */
export type SchemaKind = "settings" | "scoring" | "engagement" | "tags" | "segment" | "sequence" | "trigger" | "template";

/**
 * The product's own schemas (shipped in the repository's `config/schemas/`), not the
 * copies a config directory may carry: validation must not depend on what a pull request
 * did to its schema files.
 */
export const SCHEMA_DIR = fileURLToPath(new URL("../../../config/schemas/", import.meta.url));

let compiled: Map<SchemaKind, ValidateFunction> | undefined;

function compileAll(): Map<SchemaKind, ValidateFunction> {
  // verbose: errors carry their parent schema, whose `properties` and `description` feed the hints.
  const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
  for (const name of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json"))) {
    ajv.addSchema(JSON.parse(fs.readFileSync(`${SCHEMA_DIR}${name}`, "utf8")) as object, name);
  }
  const kinds: SchemaKind[] = ["settings", "scoring", "engagement", "tags", "segment", "sequence", "trigger", "template"];
  return new Map(kinds.map((kind) => [kind, ajv.getSchema(`${kind}.schema.json`)!]));
}

/** Validates raw data against the schema of its kind; returns ajv's errors (empty when valid). */
export function schemaErrors(kind: SchemaKind, data: unknown): ErrorObject[] {
  compiled ??= compileAll();
  const validate = compiled.get(kind)!;
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
