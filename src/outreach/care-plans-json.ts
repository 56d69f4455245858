/**
 * Reads JSON text while remembering on which line each value starts, so that a value the schema
 * rejects can be reported as `file:line` (JSON.parse only locates syntax errors, never meaning).
 */

/** A value's place in the document, e.g. ["plans", "birthday", "control"]. */
export type JsonPath = readonly (string | number)[];

export interface LocatedJson {
  value: unknown;
  /** The 1-based line on which the value at a path starts; look it up with lineOf. */
  lines: Map<string, number>;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

/** The line of the value at `path`, or of its nearest enclosing value that exists (a missing key's object). */
export function lineOf(located: LocatedJson, path: JsonPath): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const line = located.lines.get(pathKey(path.slice(0, depth)));
    if (line !== undefined) return line;
  }
  return 1;
}

export function parseLocatedJson(text: string): LocatedJson {
  const lines = new Map<string, number>();
  let pos = 0;
  let line = 1;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at line ${line}`, line);
  };
  const skipSpace = () => {
    while (pos < text.length) {
      const c = text[pos]!;
      if (c === "\n") line++;
      else if (c !== " " && c !== "\t" && c !== "\r") return;
      pos++;
    }
  };
  const readString = (): string => {
    const start = pos;
    pos++; // opening quote
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === "\\") pos++;
      else if (text[pos] === "\n") fail("unterminated string");
      pos++;
    }
    if (pos >= text.length) fail("unterminated string");
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const readValue = (path: (string | number)[]): unknown => {
    skipSpace();
    lines.set(pathKey(path), line);
    const c = text[pos];
    if (c === "{") {
      pos++;
      const result: Record<string, unknown> = {};
      skipSpace();
      if (text[pos] === "}") {
        pos++;
        return result;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail("expected a key in quotes");
        const key = readString();
        skipSpace();
        if (text[pos] !== ":") fail(`expected ":" after "${key}"`);
        pos++;
        result[key] = readValue([...path, key]);
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return result;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === "[") {
      pos++;
      const result: unknown[] = [];
      skipSpace();
      if (text[pos] === "]") {
        pos++;
        return result;
      }
      for (;;) {
        result.push(readValue([...path, result.length]));
        skipSpace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return result;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return readString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 64));
    if (!literal) return fail("unexpected character");
    pos += literal[0].length;
    return JSON.parse(literal[0]);
  };

  const value = readValue([]);
  skipSpace();
  if (pos < text.length) fail("unexpected text after the end of the document");
  return { value, lines };
}
