import type { KubeObject } from './render.ts';

/** Where a run's Grafana is, as its rendered manifests say. */
export interface GrafanaLocation {
  namespace: string;
  /** The Service with a port named `grafana`. */
  service: string;
  /** The labels that select its pods. */
  selector: Record<string, string>;
  /** The container port Grafana listens on. */
  port: number;
  /** The admin user: GF_SECURITY_ADMIN_USER, else Grafana's default `admin`. */
  user: string;
  /** The Secret key holding the generated admin password (GF_SECURITY_ADMIN_PASSWORD). */
  passwordSecret: { name: string; key: string } | undefined;
}

interface ContainerSpec {
  ports?: { name?: string; containerPort?: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }[];
}

/**
 * Finds Grafana among rendered objects: a Service with a port named `grafana`, and the workload
 * whose pod labels it selects (for the container port and the admin user and password). Pure,
 * so a plan, the deploy phase and `bench grafana` agree.
 */
export function locateGrafana(objects: KubeObject[]): GrafanaLocation | undefined {
  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const spec = service.spec as
      | { selector?: Record<string, string>; ports?: { name?: string; port?: number; targetPort?: number | string }[] }
      | undefined;
    const servicePort = spec?.ports?.find((p) => p.name === 'grafana');
    if (!servicePort || !spec?.selector) continue;
    const namespace = service.metadata.namespace ?? 'default';
    const selector = spec.selector;
    const workload = objects.find((o) => {
      if (!['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) return false;
      if ((o.metadata.namespace ?? 'default') !== namespace) return false;
      const labels = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template
        ?.metadata?.labels;
      return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
    });
    const containers =
      (workload?.spec as { template?: { spec?: { containers?: ContainerSpec[] } } } | undefined)?.template?.spec
        ?.containers ?? [];
    const target = servicePort.targetPort ?? servicePort.port;
    const port =
      typeof target === 'number'
        ? target
        : containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
    if (port === undefined) continue;
    const env = containers.flatMap((c) => c.env ?? []);
    const ref = env.find((e) => e.name === 'GF_SECURITY_ADMIN_PASSWORD')?.valueFrom?.secretKeyRef;
    return {
      namespace,
      service: service.metadata.name,
      selector,
      port,
      user: env.find((e) => e.name === 'GF_SECURITY_ADMIN_USER')?.value ?? 'admin',
      passwordSecret: ref?.name && ref.key ? { name: ref.name, key: ref.key } : undefined,
    };
  }
  return undefined;
}

/** The command that opens a run's Grafana, for the run's progress and its summary. */
export function grafanaCommand(runId: string): string {
  return `bench grafana ${runId}`;
}
