/** SQL literals for generated queries: every value from config or data goes through these. */

/** A string as a SQL literal. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** SQL: a list literal of strings, e.g. the files one of DuckDB's readers reads. */
export const sqlList = (items: readonly string[]): string => `[${items.map(sqlString).join(", ")}]`;

/** An instant as a UTC TIMESTAMPTZ literal. */
export const sqlInstant = (date: Date): string => `TIMESTAMPTZ '${date.toISOString()}'`;

/** SQL: an instant as the text JavaScript's toISOString gives (UTC, milliseconds): how plans, occurrences and explanations write instants. */
export const sqlIsoText = (instant: string): string => `strftime(timezone('UTC', ${instant}), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'`;

/** An exact duration as an INTERVAL expression. */
export const sqlInterval = (ms: number): string => `to_milliseconds(${Math.round(ms)})`;

/** A column name as a quoted identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** SQL: the JSON path literal of the top-level key `key`, whatever characters it holds (`$."a.b"`). */
export const sqlJsonKey = (key: string): string => sqlString(`$."${key.replaceAll('"', '\\"')}"`);
