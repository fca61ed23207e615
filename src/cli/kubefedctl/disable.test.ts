import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';
import { describeRemaining } from './disable.js';

describe('describeRemaining', () => {
  it('counts the objects per namespace, sorted', () => {
    expect(
      describeRemaining(
        'FederatedConfigMap',
        new Map([
          ['b', 1],
          ['a', 2],
        ]),
      ),
    ).toBe('3 FederatedConfigMap objects remain (2 in namespace a, 1 in namespace b)');
    expect(describeRemaining('FederatedClusterRole', new Map([['', 1]]))).toBe(
      '1 FederatedClusterRole object remains (1 cluster-scoped)',
    );
  });
});

describe('kubefedctl enable/disable flags', () => {
  it('gives enable a --version of its own (the target API version) and --v on every command', () => {
    const program = buildProgram();
    const enable = program.commands.find((c) => c.name() === 'enable')!;
    const disable = program.commands.find((c) => c.name() === 'disable')!;
    expect(enable.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--federated-group', '--federated-version', '--version', '--output', '--v']),
    );
    expect(disable.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--delete-crd', '--v']));
    enable.action(() => undefined);
    program.exitOverride();
    program.parse(['node', 'kubefedctl', 'enable', 'deploy', '--version', 'v1beta1', '--v', '4']);
    expect(enable.opts()).toMatchObject({ version: 'v1beta1', v: '4', federatedGroup: 'types.kubefed.io' });
  });
});
