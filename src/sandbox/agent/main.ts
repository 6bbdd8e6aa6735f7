import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createKubeRest, KubeRestError, type KubeMeta } from './kube-rest.ts';
import { LoadBalancerController } from './lb-controller.ts';
import { PodLogWriter } from './pod-logs.ts';
import { configMapRefs, podInfo, type ConfigMaps, type Pod } from './pods.ts';
import { WorkloadSimulator } from './simulator.ts';
import { DEFAULT_KOORDE_LATENCY_FACTOR } from './systems/koorde.ts';

/**
 * The local cloud's agent, started by `bench sandbox up` as its own process: the load-balancer
 * controller (what AWS's controllers do for LoadBalancer Services) and the workload simulator
 * Prometheus scrapes, which also writes the simulated workloads' stdout as their pods' container
 * logs (CRI files in --logs-dir, served by kwok). Logs go to stdout (the part's log file).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    kubeconfig: { type: 'string' },
    'api-server': { type: 'string' },
    region: { type: 'string', default: 'eu-central-1' },
    'lb-deletion-delay': { type: 'string', default: '20' },
    // How long an NLB's network interfaces outlive it (AWS: minutes; 30 s keeps runs short).
    'eni-linger': { type: 'string', default: '30' },
    'koorde-latency-factor': { type: 'string', default: String(DEFAULT_KOORDE_LATENCY_FACTOR) },
    'logs-dir': { type: 'string' },
  },
});

const kc = new KubeConfig();
kc.loadFromFile(values.kubeconfig as string);
const kube = createKubeRest(kc);
const lb = new LoadBalancerController(
  kube,
  values.region,
  Number(values['lb-deletion-delay']),
  Number(values['eni-linger']),
);
const sim = new WorkloadSimulator({ koordeLatencyFactor: Number(values['koorde-latency-factor']) });
const podLogs = values['logs-dir'] ? new PodLogWriter(kube, values['logs-dir']) : undefined;

/** The ConfigMaps the DHT pods take their environment from (DHT_PROTOCOL: Koorde or Chord). */
async function dhtConfigMaps(pods: Pod[]): Promise<ConfigMaps> {
  const refs = new Set(pods.filter((p) => p.metadata.labels?.app === 'dht-node').flatMap(configMapRefs));
  const out: ConfigMaps = new Map();
  await Promise.all(
    [...refs].map(async (ref) => {
      const [ns, name] = ref.split('/') as [string, string];
      try {
        const cm = await kube.get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
        out.set(ref, cm.data ?? {});
      } catch (err) {
        if (!(err instanceof KubeRestError && err.status === 404)) throw err;
      }
    }),
  );
  return out;
}

async function pollPods(): Promise<void> {
  const [pods, namespaces] = await Promise.all([
    kube.get<{ items: Pod[] }>('/api/v1/pods'),
    kube.get<{ items: { metadata: KubeMeta }[] }>('/api/v1/namespaces'),
  ]);
  const configMaps = await dhtConfigMaps(pods.items);
  const now = Date.now();
  sim.update(
    pods.items.map((p) => podInfo(p, configMaps)),
    new Map(namespaces.items.map((n) => [n.metadata.name, n.metadata.labels ?? {}])),
    now,
  );
  if (podLogs) await podLogs.write(sim.drainPodLogs(now));
}

function every(ms: number, fn: () => Promise<void>, what: string): NodeJS.Timeout {
  let busy = false;
  return setInterval(() => {
    if (busy) return;
    busy = true;
    fn()
      .catch((err: Error) => console.error(`agent: ${what}: ${err.message}`))
      .finally(() => {
        busy = false;
      });
  }, ms);
}

const timers = [every(500, () => lb.reconcileAll(), 'load-balancer controller'), every(1000, pollPods, 'simulator')];

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    res.end('ok');
    return;
  }
  if (url.pathname === '/metrics') {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(sim.renderPrometheus());
    return;
  }
  const pod = /^\/pods\/([^/]+)\/([^/]+)\/metrics$/.exec(url.pathname);
  if (pod) {
    const body = sim.podMetrics(decodeURIComponent(pod[1] as string), decodeURIComponent(pod[2] as string));
    res.statusCode = body ? 200 : 404;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body ?? { error: 'no such DHT pod' }));
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`agent: serving on 127.0.0.1:${values.port}`));

const stop = () => {
  for (const t of timers) clearInterval(t);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
