/** SQL literals for generated queries: every value from config or data goes through these. */

/** A string as a SQL literal. */
export const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** An instant as a UTC TIMESTAMPTZ literal. */
export const sqlInstant = (date: Date): string => `TIMESTAMPTZ '${date.toISOString()}'`;

/** An exact duration as an INTERVAL expression. */
export const sqlInterval = (ms: number): string => `to_milliseconds(${Math.round(ms)})`;

/** A column name as a quoted identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
