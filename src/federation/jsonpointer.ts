/**
 * JSON pointers as a value type, and the add / remove / replace operations of JSON patch on plain
 * JSON values, with the semantics of the library upstream KubeFed v0.10 applies overrides with
 * (evanphx/json-patch v4.12), which is more lenient than RFC 6902/6901. Users' overrides were
 * written against upstream, so we follow it (docs/concepts.md has the table):
 * - `replace` of a missing member of an existing object sets it, as `add` does (RFC 6902: error);
 * - array indexes are read like Go's strconv.Atoi: `01` and `+1` are index 1, and negative
 *   indexes count from the end (`-1` is the last element; for `add`, `-1` appends);
 * - `add` and `replace` without a value set `null`;
 * - `replace` of the whole document (`""`) with an object or array replaces it, with a scalar does
 *   nothing; `add` and `remove` of `""` fail;
 * - a `~` not followed by 0 or 1 is an ordinary character of the member name.
 * As in RFC 6902: `remove` of a missing member fails, any op under a missing (or null, or scalar)
 * parent fails, `-` names the end of an array for `add` only, an index past the end fails
 * (`add` may use the length itself).
 * The vectors in testdata/override-vectors.json are upstream's own results; the tests compare.
 *
 * Contract of `applyPatch`: the input is never mutated and the result shares no structure with it
 * (or with the patch values), so callers may mutate the result freely. Operations apply in order;
 * the first failure stops the patch and the error names the op, its path and the reason.
 * Object keys such as `__proto__` are handled as ordinary members (no prototype writes).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A parsed pointer: the reference tokens, already unescaped (`~1` ⇒ `/`, `~0` ⇒ `~`). */
export interface JsonPointer {
  readonly tokens: readonly string[];
  /** The pointer's string form, e.g. `/metadata/labels/app~1name`. */
  readonly text: string;
}

export type PointerParse = { kind: 'ok'; pointer: JsonPointer } | { kind: 'invalid'; message: string };

/**
 * Reads a pointer as upstream KubeFed's JSON patch library (evanphx/json-patch v4) does: `""` is
 * the whole document, anything else must start with `/`; in each token `~1` becomes `/`, then `~0`
 * becomes `~`, and any other `~` stays as it is (RFC 6901 would refuse `/a~b`; upstream reads the
 * member `a~b`, and users' overrides were written against that).
 */
export function parsePointer(text: string): PointerParse {
  if (typeof text !== 'string') return { kind: 'invalid', message: 'a JSON pointer must be a string' };
  if (text === '') return { kind: 'ok', pointer: { tokens: [], text } };
  if (!text.startsWith('/')) {
    return {
      kind: 'invalid',
      message: `invalid JSON pointer ${JSON.stringify(text)}: must be empty or start with "/"`,
    };
  }
  const tokens = text
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return { kind: 'ok', pointer: { tokens, text } };
}

/** The pointer naming `tokens` (each escaped). */
export function formatPointer(tokens: readonly string[]): JsonPointer {
  return {
    tokens: [...tokens],
    text: tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''),
  };
}

export const PATCH_OPS = ['add', 'remove', 'replace'] as const;
export type PatchOp = (typeof PATCH_OPS)[number];

export interface PatchOperation {
  op: PatchOp;
  /** A pointer string or an already parsed pointer. */
  path: string | JsonPointer;
  /** The value for add and replace; absent means null (as upstream). */
  value?: unknown;
}

export type PatchResult = { kind: 'ok'; value: JsonValue } | { kind: 'failed'; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A deep copy of a JSON value; fails on values JSON cannot hold, naming where. Hot (every render
 * copies a template): the copy tracks no path, and only a failure walks again for the message.
 */
export function cloneJson(value: unknown): JsonValue {
  try {
    return copyJson(value);
  } catch (err) {
    if (err instanceof TypeError) throw new TypeError(`${firstNonJson(value, '') || '/'}: ${err.message}`);
    throw err;
  }
}

function copyJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i]);
    return out;
  }
  if (isObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined) continue;
      // Plain assignment keeps the copy a fast object; only `__proto__` needs defining.
      if (key === '__proto__') setMember(out, key, copyJson(v));
      else out[key] = copyJson(v);
    }
    return out;
  }
  throw new TypeError(`a ${typeof value} is not a JSON value`);
}

/** The pointer of the first value `copyJson` refuses, for its error message. */
function firstNonJson(value: unknown, at: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : at;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstNonJson(value[i], `${at}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === undefined) continue;
      const found = firstNonJson(value[key], `${at}/${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return at;
}

/** Sets an own property, including `__proto__`, without touching the prototype chain. */
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The value at `pointer`, or undefined when any step is missing. */
export function resolvePointer(doc: unknown, pointer: string | JsonPointer): unknown {
  const parsed = typeof pointer === 'string' ? parsePointer(pointer) : { kind: 'ok' as const, pointer };
  if (parsed.kind === 'invalid') return undefined;
  let cur: unknown = doc;
  for (const token of parsed.pointer.tokens) {
    if (Array.isArray(cur)) {
      const i = elementIndex(token, cur.length);
      if (typeof i !== 'number') return undefined;
      cur = cur[i];
    } else if (isObject(cur) && Object.hasOwn(cur, token)) {
      cur = cur[token];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** An integer as Go's strconv.Atoi reads one (optional sign, decimal digits, leading zeros). */
function atoi(token: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(token)) return `${JSON.stringify(token)} is not an array index`;
  return Number(token);
}

/**
 * The index of an existing element that `token` names in an array of `length`: `0` to
 * `length - 1`, or `-length` to `-1` counting from the end. Otherwise why it names none.
 */
function elementIndex(token: string, length: number): number | string {
  if (token === '-') return `"-" (the end of the array) names no existing element`;
  const i = atoi(token);
  if (typeof i !== 'number') return i;
  if (i >= length || i < -length) return `index ${i} is out of bounds (array length ${length})`;
  return i < 0 ? i + length : i;
}

/** Where `add` inserts: `-` or `length` appends; `-1` appends too, `-(length + 1)` prepends. */
function insertionIndex(token: string, length: number): number | string {
  if (token === '-') return length;
  const i = atoi(token);
  if (typeof i !== 'number') return i;
  if (i > length || i < -(length + 1)) return `index ${i} is out of bounds (array length ${length})`;
  return i < 0 ? i + length + 1 : i;
}

class PatchError extends Error {}

/** Applies `ops` in order to a copy of `doc`. */
export function applyPatch(doc: unknown, ops: readonly PatchOperation[]): PatchResult {
  let root: JsonValue;
  try {
    root = cloneJson(doc);
  } catch (e) {
    return { kind: 'failed', message: `the document is not JSON: ${(e as Error).message}` };
  }
  for (const [index, operation] of ops.entries()) {
    const op = operation.op as string;
    const pathText = typeof operation.path === 'string' ? operation.path : operation.path?.text;
    const where = `${op} ${JSON.stringify(pathText ?? null)} (operation ${index})`;
    try {
      if (!(PATCH_OPS as readonly string[]).includes(op)) {
        throw new PatchError(
          `unsupported op ${JSON.stringify(op ?? null)}: supported ops are add, remove, replace`,
        );
      }
      const parsed =
        typeof operation.path === 'string'
          ? parsePointer(operation.path)
          : operation.path && Array.isArray(operation.path.tokens)
            ? ({ kind: 'ok', pointer: operation.path } as const)
            : ({ kind: 'invalid', message: 'path is required' } as const);
      if (parsed.kind === 'invalid') throw new PatchError(parsed.message);
      let value: JsonValue = null;
      if (op !== 'remove' && operation.value !== undefined) {
        try {
          value = cloneJson(operation.value);
        } catch (e) {
          throw new PatchError(`the value is not JSON: ${(e as Error).message}`);
        }
      }
      root = applyOne(root, op as PatchOp, parsed.pointer.tokens, value);
    } catch (e) {
      if (e instanceof PatchError) return { kind: 'failed', message: `${where}: ${e.message}` };
      throw e;
    }
  }
  return { kind: 'ok', value: root };
}

/** Applies one operation to `root` (a private copy, mutated in place); returns the new root. */
function applyOne(root: JsonValue, op: PatchOp, tokens: readonly string[], value: JsonValue): JsonValue {
  if (tokens.length === 0) {
    if (op !== 'replace') throw new PatchError(`${op} cannot apply to the whole document`);
    // Upstream: an object or array replaces the document; a scalar leaves it as it is.
    return typeof value === 'object' && value !== null ? value : root;
  }
  let parent: JsonValue = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i]!;
    const here = formatPointer(tokens.slice(0, i + 1)).text;
    let next: JsonValue | undefined;
    if (Array.isArray(parent)) {
      const idx = elementIndex(token, parent.length);
      if (typeof idx !== 'number') throw new PatchError(`${here} does not exist: ${idx}`);
      next = parent[idx];
    } else if (isObject(parent)) {
      next = Object.hasOwn(parent, token) ? parent[token] : undefined;
    }
    if (next === undefined) throw new PatchError(`${here} does not exist`);
    if (typeof next !== 'object' || next === null) {
      throw new PatchError(`${here} is ${kindOf(next)}, not an object or array`);
    }
    parent = next;
  }
  const last = tokens[tokens.length - 1]!;
  const parentText = formatPointer(tokens.slice(0, -1)).text || 'the document';
  if (Array.isArray(parent)) {
    const idx = op === 'add' ? insertionIndex(last, parent.length) : elementIndex(last, parent.length);
    if (typeof idx !== 'number') throw new PatchError(idx);
    if (op === 'add') parent.splice(idx, 0, value);
    else if (op === 'remove') parent.splice(idx, 1);
    else parent[idx] = value;
  } else if (isObject(parent)) {
    if (op === 'remove') {
      if (!Object.hasOwn(parent, last)) {
        throw new PatchError(`${parentText} has no member ${JSON.stringify(last)} to remove`);
      }
      delete parent[last];
    } else {
      // add, and replace too: upstream sets a missing member rather than failing.
      setMember(parent, last, value);
    }
  } else {
    throw new PatchError(`${parentText} is ${kindOf(parent)}, not an object or array`);
  }
  return root;
}

function kindOf(v: JsonValue): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}
