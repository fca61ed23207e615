/**
 * The local topology as data: which clusters, which processes, with which flags, ports and files.
 * Pure: no process is started and no file is touched here, so every flag is unit-testable.
 */
import path from 'node:path';

export type ComponentKind = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

/** The binaries `up` needs from the toolchain, in start order. */
export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];

export interface TopologyOptions {
  /** Number of member clusters besides the host (cluster1). */
  members: number;
  /** Start kube-scheduler and kwok (fake nodes) in every cluster. */
  workloads: boolean;
  /** State directory: PKI, kubeconfigs, logs, etcd data, state.json. */
  dir: string;
  /** Extra flags per component kind, appended after ours (later flags win in Kubernetes' flag parsing). */
  extraArgs: Partial<Record<ComponentKind, string[]>>;
}

export interface ClusterPlan {
  name: string;
  role: 'host' | 'member';
  /** The cluster's files: pki and its own single-context kubeconfig. */
  dir: string;
  kubeconfig: string;
  server: string;
  apiserverPort: number;
  schedulerPort?: number;
  etcdPrefix: string;
  region: string;
  zones: string[];
  /** Fake kwok nodes created in the cluster (empty without workloads). */
  nodes: string[];
}

export interface ComponentPlan {
  /** `etcd` or `<cluster>/<kind>`: how errors and `status` name the process. */
  id: string;
  kind: ComponentKind;
  cluster?: string;
  args: string[];
  log: string;
  ports: number[];
}

export interface Topology {
  dir: string;
  kubeconfig: string;
  etcd: { clientPort: number; peerPort: number; dataDir: string };
  clusters: ClusterPlan[];
  components: ComponentPlan[];
}

export const HOST_CLUSTER = 'cluster1';
export const NODES_PER_CLUSTER = 2;

export function clusterNames(members: number): string[] {
  return Array.from({ length: members + 1 }, (_, i) => `cluster${i + 1}`);
}

/** How many TCP ports {@link planTopology} needs for these options. */
export function portCount(options: Pick<TopologyOptions, 'members' | 'workloads'>): number {
  return 2 + (options.members + 1) * (options.workloads ? 2 : 1);
}

export function validateOptions(options: Pick<TopologyOptions, 'members'>): void {
  if (!Number.isInteger(options.members) || options.members < 0 || options.members > 10) {
    throw new Error(`--members must be an integer from 0 to 10 (got ${String(options.members)})`);
  }
}

/**
 * Lays out the topology on the given ports (exactly {@link portCount} of them, all distinct),
 * with binaries looked up in `binDir` and kwok's stage definitions in `kwokStages`.
 */
export function planTopology(
  options: TopologyOptions,
  ports: readonly number[],
  binaries: { kwokStages: string },
): Topology {
  validateOptions(options);
  const need = portCount(options);
  if (ports.length !== need) throw new Error(`planTopology needs ${need} ports, got ${ports.length}`);
  if (new Set(ports).size !== ports.length) throw new Error('planTopology needs distinct ports');
  const dir = path.resolve(options.dir);
  const logs = path.join(dir, 'logs');
  const queue = [...ports];
  const take = (): number => queue.shift() as number;

  const etcd = { clientPort: take(), peerPort: take(), dataDir: path.join(dir, 'etcd') };
  const etcdUrl = `http://127.0.0.1:${etcd.clientPort}`;
  const components: ComponentPlan[] = [
    {
      id: 'etcd',
      kind: 'etcd',
      ports: [etcd.clientPort, etcd.peerPort],
      log: path.join(logs, 'etcd.log'),
      args: [
        '--name=kubefed-local',
        `--data-dir=${etcd.dataDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcd.peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcd.peerPort}`,
        `--initial-cluster=kubefed-local=http://127.0.0.1:${etcd.peerPort}`,
        // Throwaway dev data: durability is not worth an fsync per write on a 2-core box.
        '--unsafe-no-fsync',
        '--quota-backend-bytes=4294967296',
        '--log-level=warn',
        ...(options.extraArgs.etcd ?? []),
      ],
    },
  ];

  const clusters: ClusterPlan[] = clusterNames(options.members).map((name, i) => {
    const cdir = path.join(dir, 'clusters', name);
    const apiserverPort = take();
    const schedulerPort = options.workloads ? take() : undefined;
    const region = `region-${name}`;
    return {
      name,
      role: i === 0 ? 'host' : 'member',
      dir: cdir,
      kubeconfig: path.join(cdir, 'kubeconfig'),
      server: `https://127.0.0.1:${apiserverPort}`,
      apiserverPort,
      ...(schedulerPort === undefined ? {} : { schedulerPort }),
      etcdPrefix: `/kubefed-local/${name}`,
      region,
      zones: ['a', 'b'].map((z) => `${region}-${z}`),
      nodes: options.workloads
        ? Array.from({ length: NODES_PER_CLUSTER }, (_, n) => `${name}-node-${n}`)
        : [],
    };
  });

  for (const c of clusters) {
    const pki = (f: string) => path.join(c.dir, 'pki', f);
    const clientFlags = [
      `--kubeconfig=${c.kubeconfig}`,
      `--authentication-kubeconfig=${c.kubeconfig}`,
      `--authorization-kubeconfig=${c.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
    ];
    components.push({
      id: `${c.name}/kube-apiserver`,
      kind: 'kube-apiserver',
      cluster: c.name,
      ports: [c.apiserverPort],
      log: path.join(logs, `${c.name}-kube-apiserver.log`),
      args: [
        `--etcd-servers=${etcdUrl}`,
        // One etcd, one prefix per cluster: fully separate clusters, as k8s' integration tests do.
        `--etcd-prefix=${c.etcdPrefix}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${c.apiserverPort}`,
        '--advertise-address=127.0.0.1',
        // A loopback advertise address fails Endpoints validation, so don't reconcile them.
        '--endpoint-reconciler-type=none',
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        // A distinct issuer per cluster: a token from one cluster is never accepted by another.
        `--service-account-issuer=https://${c.name}.kubefed-local.invalid`,
        `--service-account-key-file=${pki('sa.pub')}`,
        `--service-account-signing-key-file=${pki('sa.key')}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
        ...(options.extraArgs['kube-apiserver'] ?? []),
      ],
    });
    components.push({
      id: `${c.name}/kube-controller-manager`,
      kind: 'kube-controller-manager',
      cluster: c.name,
      ports: [],
      log: path.join(logs, `${c.name}-kube-controller-manager.log`),
      args: [
        ...clientFlags,
        '--secure-port=0',
        `--cluster-name=${c.name}`,
        `--service-account-private-key-file=${pki('sa.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
        '--use-service-account-credentials=false',
        '--v=1',
        ...(options.extraArgs['kube-controller-manager'] ?? []),
      ],
    });
    if (c.schedulerPort !== undefined) {
      components.push({
        id: `${c.name}/kube-scheduler`,
        kind: 'kube-scheduler',
        cluster: c.name,
        ports: [c.schedulerPort],
        log: path.join(logs, `${c.name}-kube-scheduler.log`),
        args: [
          ...clientFlags,
          `--secure-port=${c.schedulerPort}`,
          '--v=1',
          ...(options.extraArgs['kube-scheduler'] ?? []),
        ],
      });
      components.push({
        id: `${c.name}/kwok`,
        kind: 'kwok',
        cluster: c.name,
        ports: [],
        log: path.join(logs, `${c.name}-kwok.log`),
        args: [
          `--kubeconfig=${c.kubeconfig}`,
          '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          `--config=${binaries.kwokStages}`,
          '--node-ip=127.0.0.1',
          '--cidr=10.244.0.0/16',
          '--node-lease-duration-seconds=40',
          ...(options.extraArgs.kwok ?? []),
        ],
      });
    }
  }

  return { dir, kubeconfig: path.join(dir, 'kubeconfig'), etcd, clusters, components };
}

/** Parses `--extra-arg KIND=FLAG` values, e.g. `kube-apiserver=--feature-gates=X=true`. */
export function parseExtraArgs(values: readonly string[]): Partial<Record<ComponentKind, string[]>> {
  const out: Partial<Record<ComponentKind, string[]>> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const kind = eq > 0 ? v.slice(0, eq) : '';
    const flag = eq > 0 ? v.slice(eq + 1) : '';
    if (!(COMPONENT_KINDS as readonly string[]).includes(kind) || !flag.startsWith('-')) {
      throw new Error(
        `--extra-arg '${v}' must be COMPONENT=--flag[=value] with COMPONENT one of ${COMPONENT_KINDS.join(', ')}`,
      );
    }
    (out[kind as ComponentKind] ??= []).push(flag);
  }
  return out;
}
