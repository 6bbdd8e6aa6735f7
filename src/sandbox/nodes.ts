import type { KubeConfig } from '@kubernetes/client-node';

/** The shape of a node of the seeds' node group (m6i.2xlarge: 8 vCPU, 32 GiB, 58 pods with the VPC CNI). */
export interface NodeShape {
  count: number;
  instanceType: string;
  cpu: string;
  memory: string;
  pods: string;
  nodeGroup: string;
  region: string;
}

export const DEFAULT_NODE_SHAPE: Omit<NodeShape, 'region' | 'nodeGroup'> = {
  count: 3,
  instanceType: 'm6i.2xlarge',
  cpu: '8',
  memory: '32Gi',
  pods: '58',
};

/**
 * A Node object kwok manages (annotation kwok.x-k8s.io/node=fake), labelled as EKS labels a
 * managed node group's nodes, so the real scheduler sees the real topology.
 */
export function nodeObject(shape: NodeShape, index: number) {
  const zone = `${shape.region}${'abc'[index % 3]}`;
  const name = `ip-10-0-1${(index % 3) + 1}-${10 + index}.${shape.region}.compute.internal`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': shape.instanceType,
        'topology.kubernetes.io/region': shape.region,
        'topology.kubernetes.io/zone': zone,
        'eks.amazonaws.com/nodegroup': shape.nodeGroup,
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'bench.dev/sandbox': 'true',
        type: 'kwok',
      },
    },
    spec: { providerID: `aws:///${zone}/i-0sandbox${String(index).padStart(8, '0')}` },
    status: {
      capacity: { cpu: shape.cpu, memory: shape.memory, pods: shape.pods, 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: shape.cpu, memory: shape.memory, pods: shape.pods, 'ephemeral-storage': '95Gi' },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'v1.34.4-eks',
        kubeProxyVersion: '',
        containerRuntimeVersion: 'containerd://1.7.27',
        bootID: '',
        kernelVersion: '6.1.0',
        machineID: '',
        osImage: 'Amazon Linux 2023',
        systemUUID: '',
      },
    },
  };
}

/** Creates the node group's nodes (idempotent: existing ones are kept). */
export async function createNodes(kc: KubeConfig, shape: NodeShape): Promise<string[]> {
  const k8s = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const names: string[] = [];
  for (let i = 0; i < shape.count; i++) {
    const node = nodeObject(shape, i);
    names.push(node.metadata.name);
    try {
      await api.createNode({ body: node });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
  return names;
}

/** Waits until every named node reports Ready (kwok sets the status). */
export async function waitForNodesReady(kc: KubeConfig, names: string[], deadlineMs: number): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const end = Date.now() + deadlineMs;
  let notReady = names;
  while (Date.now() < end) {
    const list = await api.listNode({ labelSelector: 'bench.dev/sandbox=true' });
    const ready = new Set(
      list.items
        .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata?.name),
    );
    notReady = names.filter((n) => !ready.has(n));
    if (notReady.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nodes not Ready after ${deadlineMs / 1000}s: ${notReady.join(', ')}`);
}
