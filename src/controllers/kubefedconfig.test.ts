import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError, parseKubeFedConfigFile, readKubeFedConfigFile } from './kubefedconfig.js';

const FILE = '/etc/kubefed/config.yaml';
const parse = (text: string) => parseKubeFedConfigFile(text, FILE, 'kf-ns');

/** The message of what `fn` throws (an InvalidConfigError). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('KubeFedConfig file (--kubefed-config)', () => {
  it('uses its settings, defaulted like the in-cluster object, named after its metadata', () => {
    const config = parse(`
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata:
  name: kubefed
  namespace: other
spec:
  scope: Namespaced
  leaderElect:
    leaseDuration: 4s
    renewDeadline: 3s
    retryPeriod: 1s
  featureGates:
    - name: RawResourceStatusCollection
      configuration: Enabled
`);
    expect(config.name).toBe('kubefed');
    expect(config.namespace).toBe('other');
    expect(config.spec.scope).toBe('Namespaced');
    expect(config.spec.leaderElect).toEqual({
      leaseDuration: '4s',
      renewDeadline: '3s',
      retryPeriod: '1s',
      resourceLock: 'configmaps',
    });
    expect(config.spec.clusterHealthCheck.period).toBe('10s');
    expect(config.spec.featureGates).toEqual([
      { name: 'PushReconciler', configuration: 'Enabled' },
      { name: 'RawResourceStatusCollection', configuration: 'Enabled' },
      { name: 'SchedulerPreferences', configuration: 'Enabled' },
    ]);
  });

  it('names it kubefed in the kubefed namespace when the file has no metadata', () => {
    const config = parse('spec: {scope: Cluster}');
    expect([config.namespace, config.name]).toEqual(['kf-ns', 'kubefed']);
  });

  it.each([
    [
      'leaderElect:\n    leaseDuration: 2s\n    renewDeadline: 3s',
      'spec.leaderElect.leaseDuration: must be greater than renewDeadline',
    ],
    ['clusterHealthCheck:\n    period: 10', 'spec.clusterHealthCheck.period: "10" is not a duration'],
    [
      'clusterHealthCheck:\n    failureThreshold: 0',
      'spec.clusterHealthCheck.failureThreshold: must be an integer',
    ],
    ['clusterHealthCheck:\n    perod: 1s', 'spec.clusterHealthCheck.perod: unknown field (known: period,'],
    ['leaderElection: {}', 'spec.leaderElection: unknown field'],
    ['syncController: 3', 'spec.syncController: must be a mapping'],
    ['featureGates: {name: PushReconciler}', 'spec.featureGates: must be a list'],
    [
      'featureGates:\n  - {name: Push, configuration: Enabled}',
      'spec.featureGates[0].name: must be one of PushReconciler, SchedulerPreferences, RawResourceStatusCollection, not "Push"',
    ],
    ['leaderElect: {resourceLock: leasez}', 'spec.leaderElect.resourceLock: must be one of configmaps,'],
    [
      'syncController: {adoptResources: yes}',
      'spec.syncController.adoptResources: must be one of Enabled, Disabled',
    ],
  ])('refuses %j, naming the file and the field', (fields, message) => {
    const msg = errorOf(() => parse(`spec:\n  scope: Cluster\n  ${fields}\n`));
    expect(msg).toContain(`KubeFedConfig file "${FILE}" is invalid: `);
    expect(msg).toContain(message);
  });

  it('refuses a scope other than Cluster or Namespaced', () => {
    expect(errorOf(() => parse('spec: {scope: Global}'))).toContain(
      'spec.scope: must be one of Cluster, Namespaced, not "Global"',
    );
  });

  it('refuses a file that is no KubeFedConfig', () => {
    expect(errorOf(() => parse('kind: ConfigMap\nspec: {scope: Cluster}'))).toContain(
      'kind: must be KubeFedConfig, not "ConfigMap"',
    );
    expect(errorOf(() => parse('apiVersion: v1\nspec: {scope: Cluster}'))).toContain(
      'apiVersion: must be core.kubefed.io/v1beta1, not "v1"',
    );
    expect(errorOf(() => parse('metadata: {name: kubefed}'))).toContain('spec: Required value');
    expect(errorOf(() => parse('- a\n- b'))).toContain('expected a KubeFedConfig mapping');
    expect(errorOf(() => parse(''))).toContain('expected a KubeFedConfig mapping');
    expect(errorOf(() => parse('spec: [unclosed'))).toMatch(
      /^KubeFedConfig file "\/etc\/kubefed\/config\.yaml" is not valid YAML: /,
    );
  });

  it('says which file it cannot read', () => {
    const log = pino({ level: 'silent' });
    expect(errorOf(() => readKubeFedConfigFile('/nonexistent/kfc.yaml', 'ns', log))).toBe(
      'cannot read KubeFedConfig file "/nonexistent/kfc.yaml": ENOENT',
    );
  });

  it('logs the config it uses as upstream does', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kfc-')), 'kfc.yaml');
    writeFileSync(file, 'spec: {scope: Cluster}\n');
    const lines: string[] = [];
    const log = pino({ base: undefined }, { write: (l: string) => lines.push(l) });
    readKubeFedConfigFile(file, 'kf-ns', log);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'Using valid KubeFedConfig "kf-ns/kubefed"',
    ]);
  });
});
