import { describe, expect, it } from 'vitest';
import { defaultKubeFedConfig } from '../api/kubefedconfig.js';
import { kubeFedConfigDefaultsPatch, validateKubeFedConfigObject } from './validate-config.js';

const config = (spec: unknown) => ({ metadata: { name: 'kubefed', namespace: 'kf' }, spec });

describe('kubeFedConfigDefaultsPatch', () => {
  it('replaces /spec with the defaulted spec, keeping what the user set', () => {
    const patch = kubeFedConfigDefaultsPatch(
      config({ scope: 'Namespaced', clusterHealthCheck: { period: '30s' } }),
    );
    expect(patch).toHaveLength(1);
    expect(patch[0]).toMatchObject({ op: 'replace', path: '/spec' });
    const spec = patch[0]!.value as ReturnType<typeof defaultKubeFedConfig>;
    expect(spec.scope).toBe('Namespaced');
    expect(spec.clusterHealthCheck).toEqual({
      period: '30s',
      failureThreshold: 3,
      successThreshold: 1,
      timeout: '3s',
    });
    expect(spec.featureGates.map((g) => `${g.name}=${g.configuration}`)).toEqual([
      'PushReconciler=Enabled',
      'RawResourceStatusCollection=Disabled',
      'SchedulerPreferences=Enabled',
    ]);
    expect(spec.leaderElect).toEqual({
      leaseDuration: '15s',
      renewDeadline: '10s',
      retryPeriod: '5s',
      resourceLock: 'configmaps',
    });
  });

  it('adds /spec when there is none', () => {
    expect(kubeFedConfigDefaultsPatch({ metadata: {} })[0]).toMatchObject({ op: 'add', path: '/spec' });
  });

  it('sends no patch when every field is set already (key order does not matter)', () => {
    const full = defaultKubeFedConfig({ scope: 'Cluster' });
    const reordered = Object.fromEntries(Object.entries(full).reverse());
    expect(kubeFedConfigDefaultsPatch(config(reordered))).toEqual([]);
  });

  it('leaves malformed specs to validation', () => {
    expect(kubeFedConfigDefaultsPatch(config('Cluster'))).toEqual([]);
    expect(kubeFedConfigDefaultsPatch(config({ scope: 'Cluster', featureGates: 'all' }))).toEqual([]);
  });
});

describe('validateKubeFedConfigObject', () => {
  it('accepts a partial spec (defaults fill the rest) and a full one', () => {
    expect(validateKubeFedConfigObject(config({ scope: 'Cluster' }))).toEqual([]);
    expect(validateKubeFedConfigObject(config(defaultKubeFedConfig({ scope: 'Namespaced' })))).toEqual([]);
  });

  it.each([
    ['no spec', undefined, 'spec', /Required value/],
    ['no scope', { featureGates: [] }, 'spec.scope', /Required value: set Cluster or Namespaced/],
    ['an unknown scope', { scope: 'Global' }, 'spec.scope', /must be Cluster or Namespaced/],
    [
      'a zero period',
      { scope: 'Cluster', clusterHealthCheck: { period: '0s' } },
      'spec.clusterHealthCheck.period',
      /greater than 0/,
    ],
    [
      'a non-duration',
      { scope: 'Cluster', controllerDuration: { availableDelay: 'soon' } },
      'spec.controllerDuration.availableDelay',
      /not a duration/,
    ],
    [
      'renewDeadline >= leaseDuration',
      { scope: 'Cluster', leaderElect: { leaseDuration: '10s', renewDeadline: '10s' } },
      'spec.leaderElect.leaseDuration',
      /greater than renewDeadline/,
    ],
    [
      'retryPeriod too close to renewDeadline',
      { scope: 'Cluster', leaderElect: { renewDeadline: '10s', retryPeriod: '9s' } },
      'spec.leaderElect.renewDeadline',
      /retryPeriod \* 1.2/,
    ],
    [
      'failureThreshold 0',
      { scope: 'Cluster', clusterHealthCheck: { failureThreshold: 0 } },
      'spec.clusterHealthCheck.failureThreshold',
      /integer greater than 0/,
    ],
    [
      'an unknown feature gate',
      { scope: 'Cluster', featureGates: [{ name: 'Teleport', configuration: 'Enabled' }] },
      'spec.featureGates[0].name',
      /Unsupported value: "Teleport": supported values: "PushReconciler"/,
    ],
    [
      'a feature gate listed twice',
      {
        scope: 'Cluster',
        featureGates: [
          { name: 'PushReconciler', configuration: 'Enabled' },
          { name: 'PushReconciler', configuration: 'Disabled' },
        ],
      },
      'spec.featureGates[1].name',
      /Duplicate value: "PushReconciler" is listed twice \(also at spec.featureGates\[0\]\); keep one/,
    ],
    [
      'a gate neither Enabled nor Disabled',
      { scope: 'Cluster', featureGates: [{ name: 'PushReconciler', configuration: 'On' }] },
      'spec.featureGates[0].configuration',
      /Unsupported value: "On": supported values: "Enabled", "Disabled"/,
    ],
    [
      'adoptResources neither Enabled nor Disabled',
      { scope: 'Cluster', syncController: { adoptResources: 'Maybe' } },
      'spec.syncController.adoptResources',
      /Enabled or Disabled/,
    ],
    [
      'featureGates not a list',
      { scope: 'Cluster', featureGates: 'all' },
      'spec.featureGates',
      /must be a list/,
    ],
  ])('refuses %s', (_, spec, field, message) => {
    expect(validateKubeFedConfigObject(config(spec))).toContainEqual({
      field,
      message: expect.stringMatching(message) as string,
    });
  });

  it('refuses a scope change on update, naming both values', () => {
    expect(
      validateKubeFedConfigObject(config({ scope: 'Namespaced' }), config({ scope: 'Cluster' })),
    ).toEqual([
      {
        field: 'spec.scope',
        message:
          'Invalid value: "Namespaced": field is immutable (was "Cluster"); delete and recreate the KubeFedConfig to change the scope',
      },
    ]);
    expect(validateKubeFedConfigObject(config({ scope: 'Cluster' }), config({ scope: 'Cluster' }))).toEqual(
      [],
    );
  });
});
