import type { KubeMeta } from './kube-rest.ts';
import type { PodInfo } from './systems/system.ts';

/** The parts of a container the agent reads. */
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { prefix?: string; configMapRef?: { name: string } }[];
}

/** The parts of a Pod the agent reads. */
export interface Pod {
  metadata: KubeMeta;
  spec: { nodeName?: string; containers: Container[] };
  status?: { phase?: string };
}

/** ConfigMaps by `namespace/name`: their data. */
export type ConfigMaps = Map<string, Record<string, string>>;

/** The ConfigMaps (`namespace/name`) a pod's containers take environment variables from. */
export function configMapRefs(pod: Pod): string[] {
  const ns = pod.metadata.namespace ?? 'default';
  const names = new Set<string>();
  for (const c of pod.spec.containers) {
    for (const f of c.envFrom ?? []) if (f.configMapRef?.name) names.add(f.configMapRef.name);
    for (const e of c.env ?? []) if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
  }
  return [...names].map((n) => `${ns}/${n}`);
}

/**
 * The environment a pod's containers get from literal values and ConfigMaps, as the kubelet
 * builds it (envFrom first, then env overriding it); a missing ConfigMap or key adds nothing.
 */
export function podEnv(pod: Pod, configMaps: ConfigMaps): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const c of pod.spec.containers) {
    for (const f of c.envFrom ?? []) {
      const data = f.configMapRef ? configMaps.get(`${ns}/${f.configMapRef.name}`) : undefined;
      for (const [k, v] of Object.entries(data ?? {})) env[`${f.prefix ?? ''}${k}`] = v;
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      const value = ref ? configMaps.get(`${ns}/${ref.name}`)?.[ref.key] : e.value;
      if (value !== undefined) env[e.name] = value;
    }
  }
  return env;
}

/** What the simulator needs to know about a pod. */
export function podInfo(pod: Pod, configMaps: ConfigMaps): PodInfo {
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    node: pod.spec.nodeName,
    running: pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp,
    labels: pod.metadata.labels ?? {},
    args: pod.spec.containers.flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]),
    containers: pod.spec.containers.map((c) => c.name),
    env: podEnv(pod, configMaps),
  };
}
