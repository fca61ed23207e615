/**
 * JSON pointers (RFC 6901) as a value type, and the add / remove / replace operations of JSON
 * patch (RFC 6902) on plain JSON values, as used by federated overrides.
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
  /** The pointer's string form (RFC 6901), e.g. `/metadata/labels/app~1name`. */
  readonly text: string;
}

export type PointerParse = { kind: 'ok'; pointer: JsonPointer } | { kind: 'invalid'; message: string };

export function parsePointer(text: string): PointerParse {
  if (typeof text !== 'string') return { kind: 'invalid', message: 'a JSON pointer must be a string' };
  if (text === '') return { kind: 'ok', pointer: { tokens: [], text } };
  if (!text.startsWith('/')) {
    return {
      kind: 'invalid',
      message: `invalid JSON pointer ${JSON.stringify(text)}: must be empty or start with "/"`,
    };
  }
  const bad = /~(?![01])/.exec(text);
  if (bad) {
    return {
      kind: 'invalid',
      message: `invalid JSON pointer ${JSON.stringify(text)}: "~" at offset ${bad.index} must be followed by 0 or 1 (write "~0" for "~" and "~1" for "/")`,
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
  /** Required for add and replace. */
  value?: unknown;
}

export type PatchResult = { kind: 'ok'; value: JsonValue } | { kind: 'failed'; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy of a JSON value; fails on values JSON cannot hold. */
export function cloneJson(value: unknown, at = ''): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${at || '/'}: ${value} is not a JSON number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => cloneJson(v, `${at}/${i}`));
  if (isObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined) continue;
      setMember(out, key, cloneJson(v, `${at}/${key}`));
    }
    return out;
  }
  throw new TypeError(`${at || '/'}: a ${typeof value} is not a JSON value`);
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
      const i = arrayIndex(token, cur.length, false);
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

/**
 * The array index `token` names: a non-negative decimal without leading zeros, below `length`
 * (or equal to it, or `-`, when inserting). Otherwise the reason it is not one.
 */
function arrayIndex(token: string, length: number, inserting: boolean): number | string {
  if (token === '-') {
    return inserting ? length : `"-" (the end of the array) names no existing element`;
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return `${JSON.stringify(token)} is not an array index`;
  const i = Number(token);
  const max = inserting ? length : length - 1;
  if (i > max) return `index ${i} is out of bounds (array length ${length})`;
  return i;
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
      let value: JsonValue | undefined;
      if (op !== 'remove') {
        if (operation.value === undefined) throw new PatchError(`a value is required for ${op}`);
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
function applyOne(root: JsonValue, op: PatchOp, tokens: readonly string[], value?: JsonValue): JsonValue {
  if (tokens.length === 0) {
    if (op === 'remove') throw new PatchError('the whole document cannot be removed');
    return value!;
  }
  let parent: JsonValue = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i]!;
    const here = formatPointer(tokens.slice(0, i + 1)).text;
    if (Array.isArray(parent)) {
      const idx = arrayIndex(token, parent.length, false);
      if (typeof idx !== 'number') throw new PatchError(`${here} does not exist: ${idx}`);
      parent = parent[idx]!;
    } else if (isObject(parent)) {
      if (!Object.hasOwn(parent, token)) throw new PatchError(`${here} does not exist`);
      parent = parent[token]!;
    } else {
      throw new PatchError(
        `${formatPointer(tokens.slice(0, i)).text || 'the document'} is a ${kindOf(parent)}, not an object or array`,
      );
    }
  }
  const last = tokens[tokens.length - 1]!;
  const parentText = formatPointer(tokens.slice(0, -1)).text || 'the document';
  if (Array.isArray(parent)) {
    const idx = arrayIndex(last, parent.length, op === 'add');
    if (typeof idx !== 'number') throw new PatchError(idx);
    if (op === 'add') parent.splice(idx, 0, value!);
    else if (op === 'remove') parent.splice(idx, 1);
    else parent[idx] = value!;
  } else if (isObject(parent)) {
    const exists = Object.hasOwn(parent, last);
    if (op !== 'add' && !exists) throw new PatchError(`${parentText} has no member ${JSON.stringify(last)}`);
    if (op === 'remove') delete parent[last];
    else setMember(parent, last, value);
  } else {
    throw new PatchError(`${parentText} is a ${kindOf(parent)}, not an object or array`);
  }
  return root;
}

function kindOf(v: JsonValue): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
