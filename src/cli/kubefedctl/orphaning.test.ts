import { describe, expect, it } from 'vitest';
import { ORPHAN_ANNOTATION, orphaningPatch, orphaningStatus } from './orphaning.js';

const obj = (annotations?: Record<string, string>) => ({
  metadata: { name: 'x', ...(annotations ? { annotations } : {}) },
});

describe('orphaning-deletion', () => {
  it('enable adds the annotation once', () => {
    expect(orphaningPatch('enable', obj())).toEqual({
      metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true' } },
    });
    expect(orphaningPatch('enable', obj({ [ORPHAN_ANNOTATION]: 'true' }))).toBeUndefined();
    expect(orphaningPatch('enable', obj({ [ORPHAN_ANNOTATION]: 'false' }))).toEqual({
      metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true' } },
    });
  });

  it('disable removes the annotation with a null merge patch, only when present', () => {
    expect(orphaningPatch('disable', obj({ [ORPHAN_ANNOTATION]: 'true', other: 'x' }))).toEqual({
      metadata: { annotations: { [ORPHAN_ANNOTATION]: null } },
    });
    expect(orphaningPatch('disable', obj({ other: 'x' }))).toBeUndefined();
  });

  it('status is Enabled only for the exact value "true"', () => {
    expect(orphaningStatus(obj({ [ORPHAN_ANNOTATION]: 'true' }))).toBe('Enabled');
    expect(orphaningStatus(obj({ [ORPHAN_ANNOTATION]: 'yes' }))).toBe('Disabled');
    expect(orphaningStatus(obj())).toBe('Disabled');
  });
});
