import { readFileSync } from 'node:fs';
import type { KubeConfig, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/**
 * Creates the CustomResourceDefinitions in these YAML files (existing ones are kept) and waits
 * until the API server serves each of them (condition Established).
 */
export async function installCrds(kc: KubeConfig, files: string[], deadlineMs: number): Promise<string[]> {
  const k8s = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as V1CustomResourceDefinition | null;
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.metadata?.name) continue;
      names.push(crd.metadata.name);
      try {
        await api.createCustomResourceDefinition({ body: crd });
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }
  }
  const end = Date.now() + deadlineMs;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > end) throw new Error(`CRD ${name} not established after ${deadlineMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}
