import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet } from '../adapters/http.ts';
import type { Pki } from './pki.ts';
import type { PartName } from './layout.ts';
import { sandboxFiles } from './layout.ts';
import { BENCH_KWOK_STAGES } from './agent/kwok-stages.ts';

/** Everything the parts' command lines are built from. */
export interface PartContext {
  dir: string;
  binDir: string;
  ports: Record<PartName | 'etcd-peer', number>;
  pki: Pki;
  region: string;
  /** Seconds the load-balancer controller waits before it deletes an NLB, as AWS takes time. */
  lbDeletionDelaySeconds: number;
  /** Seconds an NLB's network interfaces outlive it before the controller deletes them (AWS: minutes). */
  eniLingerSeconds: number;
  /** Koorde p95 latency relative to Chord in the simulator (0.8 = 20% lower). */
  koordeLatencyFactor: number;
}

/** How to start a part and how to tell it is ready. */
export interface PartSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  url: string;
  /** Resolves true once the part serves; false (or a throw) while it does not yet. */
  ready: () => Promise<boolean>;
}

const okBody = async (url: string, options: Parameters<typeof httpGet>[1] = {}, expect?: RegExp) => {
  const res = await httpGet(url, { timeoutMs: 3000, ...options });
  return res.status === 200 && (expect === undefined || expect.test(res.body));
};

/** The agent (load-balancer controller and workload simulator) runs on Node from this package. */
function agentEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return join(self, '..', 'agent', self.endsWith('.ts') ? 'main.ts' : 'main.js');
}

/** The YAML files the installer placed in a folder beside the binaries (none when it is missing). */
function installedYamls(binDir: string, folder: string): string[] {
  const dir = join(binDir, '..', folder);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The Stage files the installer placed beside the binaries. */
export function kwokStages(binDir: string): string[] {
  return installedYamls(binDir, 'kwok-stages');
}

/** The CustomResourceDefinitions kwok watches (Logs), which the installer placed beside the binaries. */
export function kwokCrds(binDir: string): string[] {
  return installedYamls(binDir, 'kwok-crds');
}

/** The kinds of kwok's CRDs that kwok serves: Logs always, PortForward when its CRD is installed. */
export function kwokCrdKinds(binDir: string): string[] {
  const installed = kwokCrds(binDir);
  return ['Logs', ...(installed.some((f) => f.endsWith('kwok.x-k8s.io_portforwards.yaml')) ? ['PortForward'] : [])];
}

/** Command line and readiness check of each part. */
export function partSpec(name: PartName, c: PartContext): PartSpec {
  const files = sandboxFiles(c.dir);
  const bin = (b: string) => join(c.binDir, b);
  const admin = {
    ca: readFileSync(c.pki.caCert),
    cert: readFileSync(c.pki.clients.admin.cert),
    key: readFileSync(c.pki.clients.admin.key),
  };
  const p = c.ports;
  switch (name) {
    case 'etcd':
      return {
        command: bin('etcd'),
        args: [
          '--name=bench-sandbox',
          `--data-dir=${join(files.data, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${p.etcd}`,
          `--advertise-client-urls=http://127.0.0.1:${p.etcd}`,
          `--listen-peer-urls=http://127.0.0.1:${p['etcd-peer']}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${p['etcd-peer']}`,
          `--initial-cluster=bench-sandbox=http://127.0.0.1:${p['etcd-peer']}`,
          '--quota-backend-bytes=4294967296',
        ],
        // etcd 3.4 on amd64 needs no ETCD_UNSUPPORTED_ARCH; keep its environment minimal.
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `http://127.0.0.1:${p.etcd}`,
        ready: () => okBody(`http://127.0.0.1:${p.etcd}/health`, {}, /"health":\s*"true"/),
      };
    case 'kube-apiserver':
      return {
        command: bin('kube-apiserver'),
        args: [
          `--etcd-servers=http://127.0.0.1:${p.etcd}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${p['kube-apiserver']}`,
          `--tls-cert-file=${c.pki.apiserverCert}`,
          `--tls-private-key-file=${c.pki.apiserverKey}`,
          `--client-ca-file=${c.pki.caCert}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${c.pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${c.pki.serviceAccountKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--authorization-mode=Node,RBAC',
          '--allow-privileged=true',
          '--enable-priority-and-fairness=false',
          `--cert-dir=${join(files.data, 'apiserver-certs')}`,
          '--profiling=false',
          // etcd 3.4 (Debian's) does not answer progress requests, so the watch cache cannot
          // tell it is current and watches without a resourceVersion time out ("Too large
          // resource version"). Watches and lists are then served from etcd directly.
          '--watch-cache=false',
          // Pod logs (and exec, port-forward) go to the node's kubelet endpoint, which is kwok's
          // server: the nodes' InternalIP (127.0.0.1) and daemonEndpoints port. Their Hostname
          // address (the EC2-style name) resolves nowhere. Without --kubelet-certificate-authority
          // the API server does not verify the kubelet's serving certificate (kwok's is
          // self-signed), and kwok asks for no client certificate.
          '--kubelet-preferred-address-types=InternalIP',
        ],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `https://127.0.0.1:${p['kube-apiserver']}`,
        ready: () => okBody(`https://127.0.0.1:${p['kube-apiserver']}/readyz`, admin, /^ok/),
      };
    case 'kube-controller-manager':
      return {
        command: bin('kube-controller-manager'),
        args: [
          `--kubeconfig=${join(c.dir, 'controller-manager.kubeconfig')}`,
          `--authentication-kubeconfig=${join(c.dir, 'controller-manager.kubeconfig')}`,
          `--authorization-kubeconfig=${join(c.dir, 'controller-manager.kubeconfig')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p['kube-controller-manager']}`,
          `--cert-dir=${join(files.data, 'controller-manager-certs')}`,
          `--service-account-private-key-file=${c.pki.serviceAccountKey}`,
          `--root-ca-file=${c.pki.caCert}`,
          '--use-service-account-credentials=true',
          '--leader-elect=false',
          '--cluster-name=bench-sandbox',
          '--profiling=false',
        ],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `https://127.0.0.1:${p['kube-controller-manager']}`,
        ready: () => okBody(`https://127.0.0.1:${p['kube-controller-manager']}/healthz`, { insecure: true }, /^ok/),
      };
    case 'kube-scheduler':
      return {
        command: bin('kube-scheduler'),
        args: [
          `--kubeconfig=${join(c.dir, 'scheduler.kubeconfig')}`,
          `--authentication-kubeconfig=${join(c.dir, 'scheduler.kubeconfig')}`,
          `--authorization-kubeconfig=${join(c.dir, 'scheduler.kubeconfig')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p['kube-scheduler']}`,
          `--cert-dir=${join(files.data, 'scheduler-certs')}`,
          '--leader-elect=false',
          '--profiling=false',
        ],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `https://127.0.0.1:${p['kube-scheduler']}`,
        ready: () => okBody(`https://127.0.0.1:${p['kube-scheduler']}/healthz`, { insecure: true }, /^ok/),
      };
    case 'kwok':
      return {
        command: bin('kwok'),
        args: [
          `--kubeconfig=${files.kubeconfig}`,
          '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          '--cidr=10.244.0.0/16',
          // The node-initialize stage gives each node this InternalIP and kubelet port, so the
          // API server reaches kwok's server for pod logs like a kubelet's.
          '--node-ip=127.0.0.1',
          `--node-port=${p.kwok}`,
          `--server-address=127.0.0.1:${p.kwok}`,
          // Container logs come from the files that Logs objects name (the agent writes the
          // workload's stdout there); their CRD is installed before kwok starts. PortForward
          // objects (when the installer provided their CRD) say where a pod's port leads, so a
          // port-forward through the API server (`bench grafana`) reaches a local listener.
          `--enable-crds=${kwokCrdKinds(c.binDir).join(',')}`,
          // The standard node and pod stages the installer took from kwok's module; naming them
          // also keeps kwok from reading ~/.kwok of whoever runs it.
          `--config=${[...kwokStages(c.binDir), ...BENCH_KWOK_STAGES].join(',')}`,
        ],
        env: { PATH: process.env.PATH, HOME: c.dir },
        url: `http://127.0.0.1:${p.kwok}`,
        ready: () => okBody(`http://127.0.0.1:${p.kwok}/healthz`),
      };
    case 'moto':
      return {
        command: bin('moto_server'),
        args: ['-H', '127.0.0.1', '-p', String(p.moto)],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `http://127.0.0.1:${p.moto}`,
        ready: () => okBody(`http://127.0.0.1:${p.moto}/moto-api/`),
      };
    case 'agent':
      return {
        command: process.execPath,
        args: [
          agentEntry(),
          `--port=${p.agent}`,
          `--kubeconfig=${files.kubeconfig}`,
          `--api-server=https://127.0.0.1:${p['kube-apiserver']}`,
          `--region=${c.region}`,
          `--lb-deletion-delay=${c.lbDeletionDelaySeconds}`,
          `--eni-linger=${c.eniLingerSeconds}`,
          `--koorde-latency-factor=${c.koordeLatencyFactor}`,
          `--logs-dir=${files.podLogs}`,
        ],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: `http://127.0.0.1:${p.moto}`,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: c.region,
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        url: `http://127.0.0.1:${p.agent}`,
        ready: () => okBody(`http://127.0.0.1:${p.agent}/healthz`),
      };
    case 'prometheus':
      return {
        command: bin('prometheus'),
        args: [
          `--config.file=${files.prometheusConfig}`,
          `--storage.tsdb.path=${join(files.data, 'prometheus')}`,
          `--web.listen-address=127.0.0.1:${p.prometheus}`,
          '--storage.tsdb.retention.time=7d',
        ],
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        url: `http://127.0.0.1:${p.prometheus}`,
        ready: () => okBody(`http://127.0.0.1:${p.prometheus}/-/ready`),
      };
  }
}
