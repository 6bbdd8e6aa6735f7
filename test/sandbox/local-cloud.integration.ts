import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';

const LB_DELAY_SECONDS = 4;

function deployment(
  name: string,
  namespace: string,
  replicas: number,
  extra: Partial<V1Deployment['spec']> = {},
  podSpec: Record<string, unknown> = {},
): V1Deployment {
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'example.invalid/app:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } },
          ],
          ...podSpec,
        },
      },
      ...extra,
    },
  };
}

describe('the local cloud', () => {
  let sb: TestSandbox;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let elb: ElasticLoadBalancingV2Client;

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: LB_DELAY_SECONDS });
    core = sb.kc.makeApiClient(CoreV1Api);
    apps = sb.kc.makeApiClient(AppsV1Api);
    elb = new ElasticLoadBalancingV2Client({
      region: sb.env.AWS_REGION,
      endpoint: sb.env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });
  after(async () => {
    await sb?.stop();
  });

  it('has three kwok nodes shaped like the EKS node group', async () => {
    const nodes = (await core.listNode()).items;
    assert.equal(nodes.length, 3);
    for (const n of nodes) {
      assert.equal(n.metadata?.labels?.['node.kubernetes.io/instance-type'], 'm6i.2xlarge');
      assert.match(n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? '', /^eu-central-1[abc]$/);
      assert.ok(n.metadata?.labels?.['eks.amazonaws.com/nodegroup']);
      assert.equal(n.status?.capacity?.cpu, '8');
      assert.equal(n.status?.capacity?.memory, '32Gi');
      assert.ok(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      // Where the API server reaches the node's "kubelet" (kwok's server) for pod logs.
      assert.deepEqual(
        n.status?.addresses?.filter((a) => a.type === 'InternalIP').map((a) => a.address),
        ['127.0.0.1'],
      );
      assert.equal(
        n.status?.daemonEndpoints?.kubeletEndpoint?.Port,
        sb.status.parts.find((p) => p.part === 'kwok')?.port,
      );
    }
  });

  it("runs a Deployment's pods on kwok nodes, placed by the real scheduler", async () => {
    await core.createNamespace({ body: { metadata: { name: 'spread' } } });
    await apps.createNamespacedDeployment({ namespace: 'spread', body: deployment('web', 'spread', 6) });
    const pods = await eventually('6 Running pods', async () => {
      const list = (await core.listNamespacedPod({ namespace: 'spread' })).items;
      return list.length === 6 && list.every((p) => p.status?.phase === 'Running') ? list : undefined;
    });
    assert.ok(new Set(pods.map((p) => p.spec?.nodeName)).size > 1, 'spread over nodes');
    const dep = await eventually('the Deployment reports 6 ready', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'spread' });
      return d.status?.readyReplicas === 6 ? d : undefined;
    });
    assert.equal(dep.status?.availableReplicas, 6);
  });

  it('puts 20 pods with required pod affinity on one node', async () => {
    await core.createNamespace({ body: { metadata: { name: 'hot' } } });
    const affinity = {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'gen' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
    await apps.createNamespacedDeployment({ namespace: 'hot', body: deployment('gen', 'hot', 20, {}, affinity) });
    const pods = await eventually('20 Running pods', async () => {
      const list = (await core.listNamespacedPod({ namespace: 'hot' })).items;
      return list.length === 20 && list.every((p) => p.status?.phase === 'Running') ? list : undefined;
    });
    assert.equal(new Set(pods.map((p) => p.spec?.nodeName)).size, 1);
  });

  it('gives a LoadBalancer Service a tagged NLB and a hostname, and removes the NLB only after the delay', async () => {
    await core.createNamespace({ body: { metadata: { name: 'lb' } } });
    await core.createNamespacedService({
      namespace: 'lb',
      body: {
        metadata: {
          name: 'front',
          annotations: {
            'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags':
              'bench.dev/run-id=run-123,team=perf',
          },
        },
        spec: { type: 'LoadBalancer', selector: { app: 'front' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const svc = await eventually('the Service has a hostname', async () => {
      const s = await core.readNamespacedService({ name: 'front', namespace: 'lb' });
      return s.status?.loadBalancer?.ingress?.[0]?.hostname ? s : undefined;
    });
    const hostname = svc.status?.loadBalancer?.ingress?.[0]?.hostname as string;
    assert.match(hostname, /eu-central-1\.elb\.amazonaws\.com$/);
    assert.ok(svc.metadata?.finalizers?.includes('service.kubernetes.io/load-balancer-cleanup'));

    const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    const nlb = lbs.find((l) => l.DNSName === hostname);
    assert.ok(nlb, 'the NLB exists in moto');
    assert.equal(nlb.Type, 'network');
    const tags = Object.fromEntries(
      (
        (await elb.send(new DescribeTagsCommand({ ResourceArns: [nlb.LoadBalancerArn as string] })))
          .TagDescriptions?.[0]?.Tags ?? []
      ).map((t): [string, string | undefined] => [String(t.Key), t.Value]),
    );
    assert.equal(tags['kubernetes.io/cluster/bench-sandbox'], 'owned');
    assert.equal(tags['kubernetes.io/service-name'], 'lb/front');
    assert.equal(tags['bench.dev/run-id'], 'run-123');
    assert.equal(tags.team, 'perf');
    const groups =
      (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: nlb.LoadBalancerArn }))).TargetGroups ?? [];
    assert.equal(groups.length, 1);

    const deletedAt = Date.now();
    await core.deleteNamespacedService({ name: 'front', namespace: 'lb' });
    // The finalizer holds the Service, and the NLB stays, until the delay has passed.
    await new Promise((r) => setTimeout(r, 1500));
    const held = await core.readNamespacedService({ name: 'front', namespace: 'lb' });
    assert.ok(held.metadata?.deletionTimestamp);
    const stillThere = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    assert.ok(
      stillThere.some((l) => l.DNSName === hostname),
      'NLB still exists before the delay',
    );

    await eventually(
      'the Service is gone',
      async () => {
        try {
          await core.readNamespacedService({ name: 'front', namespace: 'lb' });
          return undefined;
        } catch (err) {
          return (err as { code?: number }).code === 404 ? true : undefined;
        }
      },
      30_000,
    );
    const gone = Date.now() - deletedAt;
    assert.ok(gone >= LB_DELAY_SECONDS * 1000, `finalizer released after ${gone} ms`);
    const after = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    assert.ok(!after.some((l) => l.DNSName === hostname), 'NLB removed from moto');
    const groupsAfter = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
    assert.equal(groupsAfter.length, 0, 'its target groups too');
  });

  it("serves the simulator's Thyme series through Prometheus query_range", async () => {
    await core.createNamespace({ body: { metadata: { name: 'thyme-benchmark' } } });
    const gen = deployment(
      'log-generator',
      'thyme-benchmark',
      4,
      {},
      {
        containers: [
          {
            name: 'app',
            image: 'x',
            args: ['random-strings', '--lines-per-second=2500'],
            resources: { requests: { cpu: '10m' } },
          },
        ],
      },
    );
    await apps.createNamespacedDeployment({ namespace: 'thyme-benchmark', body: gen });
    await apps.createNamespacedDaemonSet({
      namespace: 'thyme-benchmark',
      body: {
        metadata: { name: 'thyme' },
        spec: {
          selector: { matchLabels: { app: 'thyme' } },
          template: { metadata: { labels: { app: 'thyme' } }, spec: { containers: [{ name: 'thyme', image: 'x' }] } },
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: 'thyme-benchmark',
      body: deployment('nop-collector', 'thyme-benchmark', 1),
    });
    const start = Date.now() / 1000;
    const query = 'sum(rate(otelcol_receiver_accepted_log_records_total{service_name="nop-collector"}[5s]))';
    const value = await eventually(
      'the accepted rate reaches 4 x 2,500/s',
      async () => {
        const now = Date.now() / 1000;
        const url = `${sb.env.BENCH_PROMETHEUS_URL}/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start}&end=${now}&step=1`;
        const body = (await (await fetch(url)).json()) as {
          status: string;
          data: { result: { values: [number, string][] }[] };
        };
        assert.equal(body.status, 'success');
        const last = Number(body.data.result[0]?.values.at(-1)?.[1] ?? 0);
        return Math.abs(last - 10_000) / 10_000 < 0.05 ? last : undefined;
      },
      60_000,
      1000,
    );
    assert.ok(value > 9500 && value < 10500);
  });

  it("serves Koorde's per-variant series and each DHT pod's JSON /metrics from the cluster's state", async () => {
    await core.createNamespace({
      body: { metadata: { name: 'koorde-dht', labels: { 'bench.dev/variant': 'koorde' } } },
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'koorde-dht',
      body: {
        metadata: { name: 'dht-node' },
        spec: {
          serviceName: 'dht-headless',
          replicas: 3,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'dht-node' } },
          template: {
            metadata: { labels: { app: 'dht-node' } },
            spec: { containers: [{ name: 'dht-node', image: 'x' }] },
          },
        },
      },
    });
    // As on any cluster, a bare Pod is refused until the namespace's default ServiceAccount exists.
    await eventually('the default ServiceAccount exists', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: 'koorde-dht' }),
    );
    await core.createNamespacedPod({
      namespace: 'koorde-dht',
      body: {
        metadata: { name: 'cache-workload', labels: { app: 'cache-workload' } },
        spec: { containers: [{ name: 'w', image: 'x', args: ['--rate=50', '--requests=100000'] }] },
      },
    });
    const agent = sb.status.parts.find((p) => p.part === 'agent')?.url as string;
    const metrics = await eventually('dht-node-0 serves routing stats', async () => {
      const res = await fetch(`${agent}/pods/koorde-dht/dht-node-0/metrics`);
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { routing: { stats: { protocol: string; de_bruijn_success: number } } };
      return body.routing.stats.de_bruijn_success > 0 ? body : undefined;
    });
    assert.equal(metrics.routing.stats.protocol, 'koorde');
    const rate = await eventually(
      'Prometheus has the request rate',
      async () => {
        const q = encodeURIComponent('sum(rate(dht_requests_total{variant="koorde"}[5s]))');
        const body = (await (await fetch(`${sb.env.BENCH_PROMETHEUS_URL}/api/v1/query?query=${q}`)).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        const v = Number(body.data.result[0]?.value[1] ?? 0);
        return Math.abs(v - 50) < 5 ? v : undefined;
      },
      60_000,
      1000,
    );
    assert.ok(rate > 45 && rate < 55);
  });

  it("serves the Koorde workload's per-request rows as its pod log, through the API server and kwok", async () => {
    const ns = 'koorde-logs';
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    await core.createNamespace({ body: { metadata: { name: ns, labels: { 'bench.dev/variant': 'logs' } } } });
    await eventually('the default ServiceAccount exists', async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }),
    );
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'dht-config' }, data: { DHT_PROTOCOL: 'koorde', NODE_PORT: '4000' } },
    });
    for (let i = 0; i < 3; i++) {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: `dht-node-${i}`, labels: { app: 'dht-node' } },
          spec: {
            containers: [{ name: 'dht-node', image: 'x', envFrom: [{ configMapRef: { name: 'dht-config' } }] }],
          },
        },
      });
    }
    // As manifests/koorde/base/workload.yaml, smaller.
    await sb.kc.makeApiClient(BatchV1Api).createNamespacedJob({
      namespace: ns,
      body: {
        metadata: { name: 'cache-workload', labels: { app: 'cache-workload' } },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { app: 'cache-workload' } },
            spec: {
              restartPolicy: 'Never',
              containers: [
                {
                  name: 'cache-workload',
                  image: 'x',
                  args: [
                    `--target=http://dht-cache-http.${ns}.svc.cluster.local:80`,
                    '--urls=1000',
                    '--requests=200',
                    '--rate=50',
                    '--zipf=1.2',
                    '--output=/dev/stdout',
                  ],
                },
              ],
            },
          },
        },
      },
    });
    const pod = await eventually('the workload pod runs', async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=cache-workload' });
      return list.items.find((p) => p.status?.phase === 'Running');
    });
    const name = pod.metadata?.name as string;
    const ROW = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z),(\d+),(\d+\.\d{2}),(\d{3}),(HIT|MISS|),(0x[0-9a-f]{16})$/;
    const read = async (timestamps = false) =>
      core.readNamespacedPodLog({ name, namespace: ns, container: 'cache-workload', timestamps });
    const rowsOf = (log: string) => log.split('\n').filter((l) => ROW.test(l));

    // Through the real path: API server -> the node's InternalIP:kubelet port -> kwok -> the CRI file.
    const first = await eventually('the pod log has rows', async () => {
      const log = await read();
      return rowsOf(log).length > 0 ? log : undefined;
    });
    const lines = first.split('\n');
    assert.equal(lines[0], '━'.repeat(40));
    assert.equal(lines[1], 'Koorde Cache Workload Generator');
    assert.equal(lines[2], `Targets: http://dht-cache-http.${ns}.svc.cluster.local:80`);
    assert.ok(lines.includes('Requests: 200'));
    assert.ok(lines.includes('Rate: 50.00 req/sec'));
    assert.ok(lines.includes('timestamp,url_id,latency_ms,status,cache_status,node_id'));
    const firstCount = rowsOf(first).length;
    assert.ok(firstCount < 200, `${firstCount} rows at first`);

    const full = await eventually(
      'the workload finished: 200 rows and its summary',
      async () => {
        const log = await read();
        return rowsOf(log).length > firstCount && log.includes('Summary:') ? log : undefined;
      },
      30_000,
      500,
    );
    const t1 = Date.now();
    const rows = rowsOf(full).map((l) => ROW.exec(l) as RegExpExecArray);
    assert.equal(rows.length, 200);
    assert.ok(full.includes('  Total: 200\n'));
    assert.ok(full.includes('Progress: 200/200 (100.0%)'));
    const times = rows.map((m) => Date.parse(m[1] as string));
    for (const [i, m] of rows.entries()) {
      assert.ok((times[i] as number) >= t0 && (times[i] as number) <= t1, `${m[1]} within the test`);
      assert.ok(Number(m[3]) > 0, `latency ${m[3]}`);
      assert.ok(['200', '503'].includes(m[4] as string));
    }
    assert.ok(new Set(rows.map((m) => m[6])).size > 1, 'served by several DHT pods');
    // 200 requests at 50/s: completion times over about 4 s, not one instant.
    assert.ok(Math.max(...times) - Math.min(...times) >= 3000, 'rows spread over the run');

    // With timestamps, each line carries its CRI time: a row's is its completion time.
    const stamped = (await read(true)).split('\n').filter((l) => ROW.test(l.slice(l.indexOf(' ') + 1)));
    assert.equal(stamped.length, 200);
    for (const l of stamped) {
      const [at, row] = [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)];
      assert.equal(
        new Date(Math.floor(Date.parse(at) / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
        row.split(',')[0],
      );
    }

    // The Logs object kwok reads is owned by the pod, so it goes with it.
    const logsObject = (await sb.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'logs',
      name,
    })) as { metadata: { ownerReferences?: { kind: string; uid: string }[] } };
    assert.deepEqual(
      logsObject.metadata.ownerReferences?.map((o) => [o.kind, o.uid]),
      [['Pod', pod.metadata?.uid]],
    );
  });
});
