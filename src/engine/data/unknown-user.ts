/** The error for a user id the snapshot does not hold, shared by the commands that take `--user`. */
import type { DuckDBConnection } from "@duckdb/node-api";
import { NurtureError } from "../errors.ts";
import { sqlString } from "../sql/literals.ts";

/** The error for `userId`, which the snapshot on `conn` does not hold, saying whether its row was set aside and why. */
export async function unknownUser(conn: DuckDBConnection, userId: string): Promise<NurtureError> {
  const reader = await conn.runAndReadAll(`SELECT DISTINCT reason AS v FROM rejected_rows
    WHERE tbl = 'users' AND json_extract_string(row_json, '$.user_id') = ${sqlString(userId)} ORDER BY 1`);
  const rejected = reader.getRowObjects().map((r) => String(r.v));
  const hint = rejected.length
    ? `its row was set aside as bad (${rejected.join("; ")}); fix the row in the users snapshot`
    : "check the id (ids are case-sensitive) and that the users snapshot (snapshots/users/ under --data) contains it";
  return new NurtureError("unknown-user", `no user "${userId}" in the snapshot`, {
    problems: [{ code: "unknown-user", severity: "error", message: `no user "${userId}" in the snapshot`, hint }],
  });
}
