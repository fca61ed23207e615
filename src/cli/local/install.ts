/**
 * `kubefed-local install` / `uninstall`: the Helm chart in cluster1 of a local topology, with the
 * control plane run as local processes (no container runs here) under the chart's identity:
 * `kubefed-controller-manager` with a TokenRequest token of the chart's ServiceAccount
 * `kubefed-controller`, and `kubefed-webhook` serving the chart's generated certificate at the URL
 * the chart's webhook configurations call (`controllermanager.webhook.url`). Both are recorded in
 * the state, so `status` shows them and `down` stops them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ControlPlaneScope } from '../../federation/placement.js';
import { PollAbort, pollUntil } from '../../poll.js';
import { ComponentError } from './components.js';
import { healthGet } from './probe.js';
import { freePorts } from './ports.js';
import { isRunning, startDetached, stopAll } from './processes.js';
import {
  dashboardUrl,
  readState,
  writeState,
  type KubefedInstall,
  type KubefedProcess,
  type LocalState,
} from './state.js';
import { REPO_ROOT } from './toolchain.js';

export const RELEASE = 'kubefed';
export const DEFAULT_NAMESPACE = 'kube-federation-system';
export const DEFAULT_CHART = path.join(REPO_ROOT, 'charts', 'kubefed');
const HOST = 'cluster1';
/** A token of a year: the local control plane outlives any session; `install` renews it when it restarts the manager. */
const TOKEN_DURATION = '8760h';
const MANAGER_SCRIPT = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
const WEBHOOK_SCRIPT = path.join(REPO_ROOT, 'dist', 'cli', 'webhook.js');

export interface InstallOptions {
  dir: string;
  /** Scope of a new release; for an existing release it must match (or be omitted). */
  scope?: ControlPlaneScope;
  chart?: string;
  timeoutMs?: number;
  progress: (line: string) => void;
}

export type InstallResult = { kind: 'installed' | 'reused'; install: KubefedInstall };

/** The Helm values `install` sets: the webhook at a local URL, no replicas of images that cannot run here. */
export function helmSets(o: {
  webhookPort: number;
  scope?: ControlPlaneScope;
  failurePolicy?: 'Fail' | 'Ignore';
}): string[] {
  const sets = [
    `controllermanager.webhook.url=https://127.0.0.1:${o.webhookPort}`,
    'controllermanager.controller.replicaCount=0',
    // The local manager serves the dashboard on loopback: its Object page reads Events.
    'controllermanager.controller.dashboard.enabled=true',
    'controllermanager.webhook.replicaCount=0',
    ...(o.scope ? [`global.scope=${o.scope}`] : []),
    ...(o.failurePolicy ? [`controllermanager.webhook.failurePolicy=${o.failurePolicy}`] : []),
  ];
  return sets.flatMap((s) => ['--set', s]);
}

/** The control plane's namespace of a release, as the chart computes it (`kubefed.namespace`). */
export function kubefedNamespaceOf(releaseNamespace: string, values: { kubefedNamespace?: string }): string {
  if (values.kubefedNamespace) return values.kubefedNamespace;
  return releaseNamespace === 'default' ? DEFAULT_NAMESPACE : releaseNamespace;
}

/** A kubeconfig holding only a bearer token, for the server and CA of `cluster`. */
export function tokenKubeconfig(
  cluster: { server: string; caData: string },
  user: string,
  token: string,
  namespace: string,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: HOST, cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: HOST, context: { cluster: HOST, user, namespace } }],
    'current-context': HOST,
  });
}

interface Tools {
  state: LocalState;
  dir: string;
  home: string;
  kubectl: (args: readonly string[]) => Promise<string>;
  helm: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Runs a command to completion; resolves with its exit code (rejects only when it cannot run or times out). */
export function exec(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(
            new Error(`${path.basename(file)} ${args.join(' ')}: ${err.killed ? 'timed out' : err.message}`),
          );
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

function tools(dirOption: string): Tools {
  const dir = path.resolve(dirOption);
  const state = readState(dir);
  if (!state || state.phase !== 'ready')
    throw new Error(
      `no running local clusters in ${dir}; start them with 'kubefed-local up --dir ${dir}' first`,
    );
  const home = path.join(dir, 'kubefed');
  const env = {
    ...process.env,
    KUBECONFIG: state.topology.kubeconfig,
    HELM_KUBECONTEXT: HOST,
    HELM_CACHE_HOME: path.join(home, 'helm', 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'helm', 'config'),
    HELM_DATA_HOME: path.join(home, 'helm', 'data'),
  };
  const kubectlBin = path.join(state.binDir, 'kubectl');
  return {
    state,
    dir,
    home,
    kubectl: async (args) => {
      const r = await exec(kubectlBin, ['--context', HOST, ...args], env, 60_000);
      if (r.code !== 0) throw new Error(`kubectl --context ${HOST} ${args.join(' ')}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    helm: (args) => exec(path.join(state.binDir, 'helm'), args, env, 180_000),
  };
}

interface Release {
  namespace: string;
  status: string;
  values: {
    kubefedNamespace?: string;
    global?: { scope?: ControlPlaneScope };
    controllermanager?: {
      webhook?: { url?: string; failurePolicy?: string };
      controller?: { dashboard?: { enabled?: boolean } };
    };
  };
}

async function findRelease(t: Tools): Promise<Release | undefined> {
  const list = await t.helm(['list', '--all-namespaces', '--all', '--filter', `^${RELEASE}$`, '-o', 'json']);
  if (list.code !== 0) throw new Error(`helm: listing releases on ${HOST} failed: ${list.stderr.trim()}`);
  const found = (
    JSON.parse(list.stdout || '[]') as { name: string; namespace: string; status: string }[]
  ).find((r) => r.name === RELEASE);
  if (!found) return undefined;
  const values = await t.helm(['get', 'values', RELEASE, '-n', found.namespace, '--all', '-o', 'json']);
  if (values.code !== 0)
    throw new Error(`helm: reading the values of release ${RELEASE} failed: ${values.stderr.trim()}`);
  return {
    namespace: found.namespace,
    status: found.status,
    values: JSON.parse(values.stdout) as Release['values'],
  };
}

function processRecord(
  kind: KubefedProcess['kind'],
  pid: number,
  log: string,
  ports: number[],
): KubefedProcess {
  return {
    id: kind === 'kubefed-controller-manager' ? 'kubefed/controller-manager' : 'kubefed/webhook',
    kind,
    pid,
    binary: process.execPath,
    log,
    ports,
  };
}

async function awaitHealthy(p: KubefedProcess, url: string, what: string, timeoutMs: number): Promise<void> {
  try {
    await pollUntil(
      `${p.id} ${what}`,
      async () => {
        if (!isRunning(p)) throw new PollAbort('exited');
        const r = await healthGet(url);
        return r.status === 200
          ? { done: true, value: undefined }
          : { done: false, seen: `HTTP ${r.status} ${r.body.slice(0, 200)}` };
      },
      { timeoutMs, intervalMs: 300 },
    );
  } catch (err) {
    throw new ComponentError(
      p.id,
      p.log,
      err instanceof PollAbort
        ? 'exited before becoming ready'
        : `did not become ready: ${(err as Error).message}`,
    );
  }
}

async function saveInstall(t: Tools, install: KubefedInstall | undefined): Promise<void> {
  // Re-read: `up`/`start` may have written the state since.
  const state = readState(t.dir) ?? t.state;
  if (install) state.kubefed = install;
  else delete state.kubefed;
  await writeState(t.dir, state);
}

/** A kubeconfig (`<file>.kubeconfig` in the state dir) holding a TokenRequest token of one of the chart's ServiceAccounts. */
async function serviceAccountKubeconfig(t: Tools, kfns: string, serviceAccount: string, file: string) {
  const token = (
    await t.kubectl(['-n', kfns, 'create', 'token', serviceAccount, '--duration', TOKEN_DURATION])
  ).trim();
  const admin = JSON.parse(await t.kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const c = admin.clusters[0]!.cluster;
  const kubeconfig = path.join(t.home, `${file}.kubeconfig`);
  await writeFile(
    kubeconfig,
    tokenKubeconfig(
      { server: c.server, caData: c['certificate-authority-data'] },
      serviceAccount,
      token,
      kfns,
    ),
    { mode: 0o600 },
  );
  return kubeconfig;
}

/** Writes the chart's serving certificate where the webhook server reads it (it reloads on change). */
async function writeServingCert(t: Tools, kfns: string, certDir: string): Promise<void> {
  const secret = JSON.parse(
    await t.kubectl(['-n', kfns, 'get', 'secret', 'kubefed-admission-webhook-serving-cert', '-o', 'json']),
  ) as { data: Record<string, string> };
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  for (const f of ['tls.crt', 'tls.key', 'ca.crt']) {
    const data = secret.data[f];
    if (data) await writeFile(path.join(certDir, f), Buffer.from(data, 'base64'), { mode: 0o600 });
  }
}

export async function install(options: InstallOptions): Promise<InstallResult> {
  const t = tools(options.dir);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const chart = path.resolve(options.chart ?? DEFAULT_CHART);
  if (!existsSync(path.join(chart, 'Chart.yaml')))
    throw new Error(
      `--chart ${chart}: no Chart.yaml there; pass the directory of the kubefed chart (charts/kubefed)`,
    );
  for (const script of [MANAGER_SCRIPT, WEBHOOK_SCRIPT])
    if (!existsSync(script)) throw new Error(`${script} is missing; build first with 'npm run build'`);
  const logs = path.join(t.dir, 'logs');
  await mkdir(t.home, { recursive: true, mode: 0o700 });

  const previous = t.state.kubefed;
  const running = (kind: KubefedProcess['kind']) =>
    previous?.processes.find((p) => p.kind === kind && isRunning(p));
  let release = await findRelease(t);
  const releaseScope = release?.values.global?.scope ?? 'Cluster';
  if (release && options.scope && options.scope !== releaseScope)
    throw new Error(
      `release ${RELEASE} in namespace ${release.namespace} has global.scope=${releaseScope}, not ${options.scope} (scope is immutable); run 'kubefed-local uninstall --dir ${t.dir}' first or omit --scope`,
    );
  const [freeWebhook = 0, freeMetrics = 0, freeDashboard = 0] = await freePorts(3);
  const webhookPort = previous?.webhookPort ?? freeWebhook;
  const metricsPort = previous?.metricsPort ?? freeMetrics;
  const dashboardPort = previous?.dashboardPort ?? freeDashboard;
  const url = `https://127.0.0.1:${webhookPort}`;
  const certDir = path.join(t.home, 'webhook-cert');

  if (
    release?.status === 'deployed' &&
    release.values.controllermanager?.webhook?.url === url &&
    release.values.controllermanager.controller?.dashboard?.enabled === true &&
    running('kubefed-controller-manager') &&
    running('kubefed-webhook') &&
    previous?.dashboardPort !== undefined
  ) {
    options.progress(`control plane already running (release ${RELEASE} in ${release.namespace})`);
    return { kind: 'reused', install: previous };
  }

  const releaseNamespace = release?.namespace ?? DEFAULT_NAMESPACE;
  const scope = release ? releaseScope : (options.scope ?? 'Cluster');
  const helmUpgrade = async (failurePolicy?: 'Fail' | 'Ignore') => {
    const args = [
      'upgrade',
      '--install',
      RELEASE,
      chart,
      '--namespace',
      releaseNamespace,
      '--create-namespace',
      ...(release ? ['--reuse-values'] : []),
      ...helmSets({
        webhookPort,
        ...(release ? {} : { scope }),
        ...(failurePolicy ? { failurePolicy } : {}),
      }),
      '--wait=false',
    ];
    options.progress(`helm ${args.join(' ')}`);
    const r = await t.helm(args);
    if (r.code !== 0)
      throw new Error(`helm: installing the chart ${chart} as release ${RELEASE} failed: ${r.stderr.trim()}`);
    release = await findRelease(t);
  };

  // Helm creates or patches KubeFedConfig and FederatedTypeConfigs, which the chart's webhooks
  // validate; a server at the new URL cannot run before the chart generated its certificate. So an
  // upgrade that the running server cannot answer goes with failurePolicy=Ignore, the server starts
  // on the chart's certificate, and a second upgrade restores the release's failure policy.
  let restoreFailurePolicy: 'Fail' | 'Ignore' | undefined;
  const currentUrl = release?.values.controllermanager?.webhook?.url;
  const dashboardRbac = release?.values.controllermanager?.controller?.dashboard?.enabled === true;
  if (!release || release.status !== 'deployed' || currentUrl !== url || !dashboardRbac) {
    if (running('kubefed-webhook') && currentUrl === url) {
      await helmUpgrade();
    } else {
      const fp = release?.values.controllermanager?.webhook?.failurePolicy;
      restoreFailurePolicy = fp === 'Ignore' && release?.status === 'deployed' ? 'Ignore' : 'Fail';
      // The release's current webhook configurations would refuse Helm's own patches.
      if (release) await relaxWebhooks(t, release.namespace, options.progress);
      await helmUpgrade('Ignore');
    }
  }
  if (!release) throw new Error(`helm: release ${RELEASE} not found after installing it`);
  const kfns = kubefedNamespaceOf(release.namespace, release.values);

  // What still runs stays recorded while the rest starts, so a failure never orphans a process.
  const processes: KubefedProcess[] = (previous?.processes ?? []).filter((p) => isRunning(p));
  const record = async () =>
    saveInstall(t, {
      release: RELEASE,
      releaseNamespace: release!.namespace,
      namespace: kfns,
      scope,
      chart,
      webhookPort,
      metricsPort,
      dashboardPort,
      processes: [...processes],
    });

  // The webhook server with the chart's serving certificate.
  await writeServingCert(t, kfns, certDir);
  let webhook = running('kubefed-webhook');
  if (!webhook) {
    const log = path.join(logs, 'kubefed-webhook.log');
    // Under its own ServiceAccount, which reads the FederatedTypeConfigs (the sync finalizer).
    const kubeconfig = await serviceAccountKubeconfig(t, kfns, 'kubefed-admission-webhook', 'webhook');
    const pid = await startDetached(
      process.execPath,
      [
        WEBHOOK_SCRIPT,
        '--secure-port',
        String(webhookPort),
        '--bind-address',
        '127.0.0.1',
        '--cert-dir',
        certDir,
        '--kubeconfig',
        kubeconfig,
        '--kubefed-namespace',
        kfns,
      ],
      log,
    );
    webhook = processRecord('kubefed-webhook', pid, log, [webhookPort]);
    processes.push(webhook);
    options.progress(`started kubefed-webhook (pid ${pid}) on ${url}; log ${log}`);
  }
  await record();
  await awaitHealthy(webhook, `${url}/readyz`, 'to serve /readyz', timeoutMs);
  if (restoreFailurePolicy) await helmUpgrade(restoreFailurePolicy);

  // The controller manager under a token of the chart's ServiceAccount. One started by an install
  // that predates the dashboard has no --dashboard-addr: it is restarted with one.
  let manager = running('kubefed-controller-manager');
  if (manager && previous?.dashboardPort === undefined) {
    options.progress(`restarting kubefed-controller-manager (pid ${manager.pid}) to serve the dashboard`);
    await stopAll([manager]);
    processes.splice(processes.indexOf(manager), 1);
    manager = undefined;
  }
  if (!manager) {
    const kubeconfig = await serviceAccountKubeconfig(t, kfns, 'kubefed-controller', 'controller-manager');
    const log = path.join(logs, 'kubefed-controller-manager.log');
    const pid = await startDetached(
      process.execPath,
      [
        MANAGER_SCRIPT,
        '--kubeconfig',
        kubeconfig,
        '--kubefed-namespace',
        kfns,
        '--metrics-addr',
        `127.0.0.1:${metricsPort}`,
        '--dashboard-addr',
        `127.0.0.1:${dashboardPort}`,
        '--scope',
        scope,
      ],
      log,
    );
    manager = processRecord('kubefed-controller-manager', pid, log, [metricsPort, dashboardPort]);
    processes.push(manager);
    options.progress(`started kubefed-controller-manager (pid ${pid}) in namespace ${kfns}; log ${log}`);
  }
  await record();
  await awaitHealthy(manager, `http://127.0.0.1:${metricsPort}/readyz`, 'to serve /readyz', timeoutMs);
  options.progress(`dashboard: ${dashboardUrl(dashboardPort)}`);
  const install = readState(t.dir)?.kubefed;
  if (!install)
    throw new Error(`${t.dir}: the install record vanished (was 'kubefed-local down' run meanwhile?)`);
  return { kind: 'installed', install };
}

/**
 * Sets failurePolicy=Ignore on the webhook configurations of the release (until the next helm
 * upgrade renders them again): they point at a server that does not answer yet.
 */
async function relaxWebhooks(t: Tools, releaseNamespace: string, progress: (line: string) => void) {
  const list = JSON.parse(
    await t.kubectl([
      'get',
      'validatingwebhookconfigurations,mutatingwebhookconfigurations',
      '-l',
      `app.kubernetes.io/instance=${RELEASE}`,
      '-o',
      'json',
    ]),
  ) as {
    items: {
      kind: string;
      metadata: { name: string; annotations?: Record<string, string> };
      webhooks?: { failurePolicy?: string }[];
    }[];
  };
  for (const w of list.items) {
    if (w.metadata.annotations?.['meta.helm.sh/release-namespace'] !== releaseNamespace) continue;
    const ops = (w.webhooks ?? [])
      .map((h, i) => ({ h, i }))
      .filter(({ h }) => h.failurePolicy !== 'Ignore')
      .map(({ i }) => ({ op: 'replace', path: `/webhooks/${i}/failurePolicy`, value: 'Ignore' }));
    if (ops.length === 0) continue;
    const resource =
      w.kind === 'ValidatingWebhookConfiguration'
        ? 'validatingwebhookconfiguration'
        : 'mutatingwebhookconfiguration';
    progress(`${resource} ${w.metadata.name}: failurePolicy Ignore until the local webhook server runs`);
    await t.kubectl(['patch', resource, w.metadata.name, '--type=json', '-p', JSON.stringify(ops)]);
  }
}

export type UninstallResult = { kind: 'uninstalled'; stopped: string[] } | { kind: 'nothing' };

/**
 * Deletes the FederatedTypeConfigs while the manager still runs (it removes their finalizers),
 * uninstalls the release, then stops the local processes. CRDs stay, as Helm does.
 */
export async function uninstall(options: {
  dir: string;
  progress: (line: string) => void;
}): Promise<UninstallResult> {
  const t = tools(options.dir);
  const recorded = t.state.kubefed;
  const release = await findRelease(t);
  if (!recorded && !release) return { kind: 'nothing' };
  if (release) {
    const kfns = kubefedNamespaceOf(release.namespace, release.values);
    options.progress(`deleting the FederatedTypeConfigs in ${kfns}`);
    await t
      .kubectl(['-n', kfns, 'delete', 'federatedtypeconfigs', '--all', '--timeout=60s'])
      .catch((err: Error) => options.progress(`warning: ${err.message}`));
    options.progress(`helm uninstall ${RELEASE} --namespace ${release.namespace}`);
    const r = await t.helm(['uninstall', RELEASE, '--namespace', release.namespace]);
    if (r.code !== 0) throw new Error(`helm: uninstalling release ${RELEASE} failed: ${r.stderr.trim()}`);
  }
  const stopped = await stopAll(recorded?.processes ?? []);
  await saveInstall(t, undefined);
  await rm(t.home, { recursive: true, force: true });
  return { kind: 'uninstalled', stopped };
}
