import { describe, expect, it } from 'vitest';
import {
  applyPatch,
  cloneJson,
  formatPointer,
  parsePointer,
  resolvePointer,
  type PatchOperation,
} from './jsonpointer.js';

describe('parsePointer', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['/', ['']],
    ['/foo', ['foo']],
    ['/foo/0', ['foo', '0']],
    ['/a~1b', ['a/b']],
    ['/m~0n', ['m~n']],
    ['/~01', ['~1']],
    ['/~10', ['/0']],
    ['/ ', [' ']],
    ['/metadata/labels/app.kubernetes.io~1name', ['metadata', 'labels', 'app.kubernetes.io/name']],
    ['//x', ['', 'x']],
    // As upstream (evanphx/json-patch): a "~" not followed by 0 or 1 is an ordinary character.
    ['/a~2', ['a~2']],
    ['/a~', ['a~']],
    ['/a~b~1c', ['a~b/c']],
  ])('%j ⇒ %j', (text, tokens) => {
    expect(parsePointer(text)).toEqual({ kind: 'ok', pointer: { tokens, text } });
  });

  it.each<[string, string]>([
    ['foo', 'invalid JSON pointer "foo": must be empty or start with "/"'],
    ['spec/replicas', 'invalid JSON pointer "spec/replicas": must be empty or start with "/"'],
  ])('rejects %j', (text, message) => {
    expect(parsePointer(text)).toEqual({ kind: 'invalid', message });
  });

  it('rejects a non-string', () => {
    expect(parsePointer(3 as unknown as string)).toEqual({
      kind: 'invalid',
      message: 'a JSON pointer must be a string',
    });
  });

  it('formats tokens back with escapes (round trip)', () => {
    for (const text of ['', '/a~1b/m~0n/0', '/~01', '//x']) {
      const p = parsePointer(text);
      if (p.kind !== 'ok') throw new Error('invalid');
      expect(formatPointer(p.pointer.tokens).text).toBe(text);
    }
  });
});

describe('resolvePointer', () => {
  const doc = { a: { 'b/c': [10, { d: null }] }, '': 1 };
  it.each<[string, unknown]>([
    ['', doc],
    ['/a/b~1c/0', 10],
    ['/a/b~1c/1/d', null],
    ['/', 1],
    ['/a/b~1c/2', undefined],
    ['/a/b~1c/-', undefined],
    ['/a/b~1c/01', { d: null }],
    ['/a/b~1c/-1', { d: null }],
    ['/a/b~1c/-3', undefined],
    ['/a/x', undefined],
    ['/a/b~1c/0/x', undefined],
    ['/toString', undefined],
    ['bad', undefined],
  ])('%j', (ptr, value) => {
    expect(resolvePointer(doc, ptr)).toEqual(value);
  });
});

describe('applyPatch (upstream KubeFed’s add/remove/replace)', () => {
  const doc = () => ({
    metadata: { name: 'x', labels: { app: 'web' } },
    spec: { replicas: 1, list: ['a', 'b'], nested: { deep: { v: 1 } } },
  });

  it.each<[string, PatchOperation[], unknown]>([
    [
      'add a member',
      [{ op: 'add', path: '/spec/paused', value: true }],
      { ...doc(), spec: { ...doc().spec, paused: true } },
    ],
    [
      'add replaces an existing member',
      [{ op: 'add', path: '/spec/replicas', value: 3 }],
      { ...doc(), spec: { ...doc().spec, replicas: 3 } },
    ],
    [
      'add inserts into an array at an index',
      [{ op: 'add', path: '/spec/list/1', value: 'x' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'x', 'b'] } },
    ],
    [
      'add at index == length appends',
      [{ op: 'add', path: '/spec/list/2', value: 'x' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'b', 'x'] } },
    ],
    [
      'add with - appends',
      [{ op: 'add', path: '/spec/list/-', value: { o: 1 } }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'b', { o: 1 }] } },
    ],
    [
      'add an escaped key',
      [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'w' }],
      { ...doc(), metadata: { name: 'x', labels: { app: 'web', 'app.kubernetes.io/name': 'w' } } },
    ],
    [
      'add null is a value',
      [{ op: 'add', path: '/spec/x', value: null }],
      { ...doc(), spec: { ...doc().spec, x: null } },
    ],
    [
      'remove a member',
      [{ op: 'remove', path: '/metadata/labels/app' }],
      { ...doc(), metadata: { name: 'x', labels: {} } },
    ],
    [
      'remove an array element',
      [{ op: 'remove', path: '/spec/list/0' }],
      { ...doc(), spec: { ...doc().spec, list: ['b'] } },
    ],
    [
      'replace a member',
      [{ op: 'replace', path: '/spec/nested/deep/v', value: [1, 2] }],
      { ...doc(), spec: { ...doc().spec, nested: { deep: { v: [1, 2] } } } },
    ],
    [
      'replace an array element',
      [{ op: 'replace', path: '/spec/list/1', value: 'z' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'z'] } },
    ],
    ['replace the root with an object', [{ op: 'replace', path: '', value: { a: 1 } }], { a: 1 }],
    ['replace the root with a scalar does nothing', [{ op: 'replace', path: '', value: 'scalar' }], doc()],
    [
      'replace a missing member sets it',
      [{ op: 'replace', path: '/metadata/annotations', value: { a: 'b' } }],
      { ...doc(), metadata: { ...doc().metadata, annotations: { a: 'b' } } },
    ],
    [
      'replace a missing top-level member sets it',
      [{ op: 'replace', path: '/status', value: {} }],
      { ...doc(), status: {} },
    ],
    [
      'add and replace without a value set null',
      [
        { op: 'replace', path: '/spec/replicas' },
        { op: 'add', path: '/spec/x' },
      ],
      { ...doc(), spec: { ...doc().spec, replicas: null, x: null } },
    ],
    [
      'an index with a leading zero is read as a number',
      [{ op: 'add', path: '/spec/list/01', value: 'x' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'x', 'b'] } },
    ],
    [
      'a negative index counts from the end',
      [{ op: 'replace', path: '/spec/list/-1', value: 'z' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'z'] } },
    ],
    [
      'add at -1 appends',
      [{ op: 'add', path: '/spec/list/-1', value: 'z' }],
      { ...doc(), spec: { ...doc().spec, list: ['a', 'b', 'z'] } },
    ],
    [
      'operations apply in order',
      [
        { op: 'add', path: '/spec/new', value: {} },
        { op: 'add', path: '/spec/new/x', value: 1 },
        { op: 'replace', path: '/spec/new/x', value: 2 },
        { op: 'remove', path: '/spec/list' },
      ],
      { ...doc(), spec: { replicas: 1, nested: { deep: { v: 1 } }, new: { x: 2 } } },
    ],
    [
      'a parsed pointer is accepted',
      [{ op: 'replace', path: formatPointer(['spec', 'replicas']), value: 7 }],
      {
        ...doc(),
        spec: { ...doc().spec, replicas: 7 },
      },
    ],
    ['no operations ⇒ a copy', [], doc()],
  ])('%s', (_name, ops, expected) => {
    expect(applyPatch(doc(), ops)).toEqual({ kind: 'ok', value: expected });
  });

  it.each<[string, PatchOperation[], string]>([
    [
      'add under a missing parent',
      [{ op: 'add', path: '/spec/missing/x', value: 1 }],
      'add "/spec/missing/x" (operation 0): /spec/missing does not exist',
    ],
    [
      'add beyond the array end',
      [{ op: 'add', path: '/spec/list/3', value: 1 }],
      'add "/spec/list/3" (operation 0): index 3 is out of bounds (array length 2)',
    ],
    [
      'add at the root',
      [{ op: 'add', path: '', value: { a: 1 } }],
      'add "" (operation 0): add cannot apply to the whole document',
    ],
    [
      'replace before the array start',
      [{ op: 'replace', path: '/spec/list/-3', value: 1 }],
      'replace "/spec/list/-3" (operation 0): index -3 is out of bounds (array length 2)',
    ],
    [
      'add with a non-numeric index',
      [{ op: 'add', path: '/spec/list/x', value: 1 }],
      'add "/spec/list/x" (operation 0): "x" is not an array index',
    ],
    [
      'add into a scalar',
      [{ op: 'add', path: '/spec/replicas/x', value: 1 }],
      'add "/spec/replicas/x" (operation 0): /spec/replicas is a number, not an object or array',
    ],
    [
      'traverse through a scalar',
      [{ op: 'add', path: '/metadata/name/a/b', value: 1 }],
      'add "/metadata/name/a/b" (operation 0): /metadata/name is a string, not an object or array',
    ],
    [
      'traverse through a missing array element',
      [{ op: 'replace', path: '/spec/list/5/x', value: 1 }],
      'replace "/spec/list/5/x" (operation 0): /spec/list/5 does not exist: index 5 is out of bounds (array length 2)',
    ],
    [
      'remove a missing member',
      [{ op: 'remove', path: '/spec/nope' }],
      'remove "/spec/nope" (operation 0): /spec has no member "nope" to remove',
    ],
    [
      'remove with -',
      [{ op: 'remove', path: '/spec/list/-' }],
      'remove "/spec/list/-" (operation 0): "-" (the end of the array) names no existing element',
    ],
    [
      'remove an index out of range',
      [{ op: 'remove', path: '/spec/list/2' }],
      'remove "/spec/list/2" (operation 0): index 2 is out of bounds (array length 2)',
    ],
    [
      'remove the root',
      [{ op: 'remove', path: '' }],
      'remove "" (operation 0): remove cannot apply to the whole document',
    ],
    [
      'replace under a missing parent',
      [{ op: 'replace', path: '/metadata/annotations/a', value: 'b' }],
      'replace "/metadata/annotations/a" (operation 0): /metadata/annotations does not exist',
    ],
    [
      'an unsupported op',
      [{ op: 'move' as 'add', path: '/spec/x', value: 1 }],
      'move "/spec/x" (operation 0): unsupported op "move": supported ops are add, remove, replace',
    ],
    [
      'a bad pointer',
      [{ op: 'add', path: 'spec/x', value: 1 }],
      'add "spec/x" (operation 0): invalid JSON pointer "spec/x": must be empty or start with "/"',
    ],
    [
      'a value that is not JSON',
      [{ op: 'add', path: '/spec/x', value: Number.NaN }],
      'add "/spec/x" (operation 0): the value is not JSON: /: NaN is not a JSON number',
    ],
    [
      'the failing operation is named by index',
      [
        { op: 'add', path: '/spec/a', value: 1 },
        { op: 'remove', path: '/spec/b' },
      ],
      'remove "/spec/b" (operation 1): /spec has no member "b" to remove',
    ],
  ])('fails: %s', (_name, ops, message) => {
    expect(applyPatch(doc(), ops)).toEqual({ kind: 'failed', message });
  });

  it('never mutates the input or shares structure with it', () => {
    const input = doc();
    const snapshot = JSON.stringify(input);
    const value = { shared: { deep: 1 } };
    const r = applyPatch(input, [
      { op: 'add', path: '/spec/v', value },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'replace', path: '/metadata/labels/app', value: 'x' },
    ]);
    expect(JSON.stringify(input)).toBe(snapshot);
    if (r.kind !== 'ok') throw new Error(r.message);
    const out = r.value as ReturnType<typeof doc> & { spec: { v: typeof value } };
    expect(out.spec.nested).not.toBe(input.spec.nested);
    out.spec.v.shared.deep = 2;
    expect(value.shared.deep).toBe(1);
  });

  it('stops at the first failure without returning a partial result', () => {
    const r = applyPatch(doc(), [
      { op: 'add', path: '/spec/a', value: 1 },
      { op: 'remove', path: '/nope' },
    ]);
    expect(r.kind).toBe('failed');
  });

  it('treats __proto__ as an ordinary member', () => {
    const r = applyPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
    if (r.kind !== 'ok') throw new Error(r.message);
    expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it('rejects a document that is not JSON', () => {
    expect(applyPatch({ f: () => 1 }, [])).toEqual({
      kind: 'failed',
      message: 'the document is not JSON: /f: a function is not a JSON value',
    });
  });
});

describe('cloneJson', () => {
  it('deep-copies and drops undefined members', () => {
    const v = { a: [1, { b: undefined, c: 'x' }], d: null };
    const c = cloneJson(v);
    expect(c).toEqual({ a: [1, { c: 'x' }], d: null });
    expect(c).not.toBe(v);
  });
  it('rejects non-finite numbers with their location', () => {
    expect(() => cloneJson({ a: [Infinity] })).toThrow('/a/0: Infinity is not a JSON number');
    expect(() => cloneJson({ a: { b: [1, undefined] } })).toThrow('/a/b/1: a undefined is not a JSON value');
  });
  it('copies a "__proto__" member as data, leaving the prototype alone', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown;
    const c = cloneJson(v) as Record<string, unknown>;
    expect(Object.keys(c)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect((c as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(c)).toBe('{"__proto__":{"polluted":true},"x":1}');
  });
});
