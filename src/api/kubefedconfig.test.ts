import { describe, expect, it } from 'vitest';
import { defaultKubeFedConfig, parseDuration, validateKubeFedConfig } from './kubefedconfig.js';

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['5m', 300_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '10', 's', '10 s', '1x', '10s5'])('rejects %j', (text) =>
    expect(() => parseDuration(text)).toThrow(/is not a duration/),
  );
});

describe('KubeFedConfig defaults and validation', () => {
  it('fills upstream defaults and keeps user values', () => {
    const spec = defaultKubeFedConfig({ scope: 'Namespaced', clusterHealthCheck: { period: '5s' } });
    expect(spec.scope).toBe('Namespaced');
    expect(spec.clusterHealthCheck).toEqual({
      period: '5s',
      failureThreshold: 3,
      successThreshold: 1,
      timeout: '3s',
    });
    expect(spec.controllerDuration).toEqual({
      availableDelay: '20s',
      unavailableDelay: '60s',
      cacheSyncTimeout: '5m',
    });
    expect(spec.leaderElect).toMatchObject({ leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '5s' });
    expect(spec.syncController).toEqual({ maxConcurrentReconciles: 1, adoptResources: 'Enabled' });
    expect(spec.featureGates).toEqual([
      { name: 'PushReconciler', configuration: 'Enabled' },
      { name: 'RawResourceStatusCollection', configuration: 'Disabled' },
      { name: 'SchedulerPreferences', configuration: 'Enabled' },
    ]);
    expect(validateKubeFedConfig(spec)).toEqual([]);
  });

  it('names each bad field', () => {
    const spec = defaultKubeFedConfig({
      scope: 'Cluster',
      clusterHealthCheck: { period: 'soon', failureThreshold: 0 },
      leaderElect: { leaseDuration: '5s', renewDeadline: '10s', retryPeriod: '2s' },
      featureGates: [
        { name: 'Bogus' as never, configuration: 'Enabled' },
        { name: 'PushReconciler', configuration: 'Enabled' },
        { name: 'PushReconciler', configuration: 'Enabled' },
      ],
    });
    const errors = validateKubeFedConfig(spec);
    expect(errors).toContain(
      'spec.clusterHealthCheck.period: "soon" is not a duration (examples: 10s, 1m30s, 500ms)',
    );
    expect(errors).toContain('spec.clusterHealthCheck.failureThreshold: must be an integer greater than 0');
    expect(errors).toContain('spec.leaderElect.leaseDuration: must be greater than renewDeadline');
    expect(errors.some((e) => e.startsWith('spec.featureGates[0].name: unknown feature gate "Bogus"'))).toBe(
      true,
    );
    expect(errors.some((e) => e.includes('"PushReconciler" is listed twice'))).toBe(true);
  });
});
