import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import type { Problem } from "../errors.ts";

/** Line and column (both 1-based) of a place in a file. */
export interface Position {
  line: number;
  column: number;
}

/** Maps character offsets to 1-based line:column. */
export function lineIndex(text: string): (offset: number) => Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** Splits a JSON pointer into its unescaped segments (`/a~1b/0` → ["a/b", 0]). */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Escapes one segment for a JSON pointer. */
export const escapePointer = (segment: string | number): string => String(segment).replace(/~/g, "~0").replace(/\//g, "~1");

const MESSAGES: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "a field name in double quotes was expected",
  ValueExpected: "a value was expected",
  ColonExpected: "a ':' was expected",
  CommaExpected: "a ',' was expected",
  CloseBraceExpected: "a closing '}' was expected",
  CloseBracketExpected: "a closing ']' was expected",
  EndOfFileExpected: "unexpected text after the end of the JSON value",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid \\u escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
};

/** A parsed JSON file that can say where any JSON pointer sits. */
export interface JsonFile {
  value: unknown;
  /** Position of the node at `pointer`, or of its nearest existing parent. `key` points at the field name instead of its value. */
  locate(pointer: string, key?: boolean): Position;
}

/**
 * Parses strict JSON (no comments, no trailing commas: these are `.json` files other
 * tools read too). Syntax errors come back as problems with line:column.
 */
export function parseJson(text: string, file: string): { json?: JsonFile; problems: Problem[] } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  const at = lineIndex(text);
  if (errors.length > 0 || !root) {
    // Only the first syntax error is reliable; later ones are usually its echoes.
    const first = errors[0];
    const pos = at(first?.offset ?? 0);
    const code = first ? printParseErrorCode(first.error) : "ValueExpected";
    return {
      problems: [
        {
          code: "json-syntax",
          severity: "error",
          message: `invalid JSON: ${MESSAGES[code] ?? code}`,
          file,
          ...pos,
          hint: "check for a missing comma or quote just before this point; JSON allows no comments or trailing commas",
        },
      ],
    };
  }
  const repeated = duplicateKeys(root, "", at, file);
  if (repeated.length > 0) return { problems: repeated };
  const value: unknown = JSON.parse(text);
  const locate = (pointer: string, key = false): Position => {
    const segments = pointerSegments(pointer);
    // Walk up until a node exists: a missing field is reported at its parent object.
    for (let n = segments.length; n >= 0; n--) {
      const node: Node | undefined = findNodeAtLocation(root, segments.slice(0, n));
      if (!node) continue;
      const target = key && n === segments.length && node.parent?.type === "property" ? node.parent : node;
      return at(target.offset);
    }
    return at(root.offset);
  };
  return { json: { value, locate }, problems: [] };
}

/**
 * A field named twice in one object. `JSON.parse` keeps the last silently, so a reviewer
 * reading the first would see a campaign that is not the one that runs: each is an error.
 */
function duplicateKeys(node: Node, pointer: string, at: (offset: number) => Position, file: string): Problem[] {
  const problems: Problem[] = [];
  if (node.type === "object") {
    const first = new Map<string, Node>();
    for (const property of node.children ?? []) {
      const [key, value] = property.children ?? [];
      if (!key || typeof key.value !== "string") continue;
      const name: string = key.value;
      const here = `${pointer}/${escapePointer(name)}`;
      const earlier = first.get(name);
      if (earlier) {
        problems.push({
          code: "duplicate-key",
          severity: "error",
          message: `"${name}" is given twice in this object (first on line ${at(earlier.offset).line}); JSON keeps only the last, silently`,
          file,
          pointer: here,
          ...at(key.offset),
          hint: "remove one of the two, or merge them into one",
        });
      } else first.set(name, key);
      if (value) problems.push(...duplicateKeys(value, here, at, file));
    }
  } else if (node.type === "array") {
    (node.children ?? []).forEach((child, i) => problems.push(...duplicateKeys(child, `${pointer}/${i}`, at, file)));
  }
  return problems;
}
