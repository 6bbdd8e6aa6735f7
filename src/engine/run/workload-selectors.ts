import type { RenderedObject } from '../../suite/render.ts';

/** Each rendered workload's pod selector, by `<Kind> <namespace>/<name>` (for verify's placement checks). */
export function workloadSelectors(objects: RenderedObject[]): Map<string, Record<string, string>> {
  return new Map(
    objects
      .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.object.kind))
      .map((o) => [
        `${o.object.kind} ${o.object.metadata.namespace ?? 'default'}/${o.object.metadata.name}`,
        (o.object.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {},
      ]),
  );
}
