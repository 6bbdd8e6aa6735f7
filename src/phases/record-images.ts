import type { KubeWorkloads, PodImages } from '../adapters/kube-workloads.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal, JournalRecord } from '../run/journal.ts';
import type { WorkloadImages } from '../run/workload-images.ts';

/** The journal note (phase `verify`) that holds every pod's resolved images. */
export const IMAGES_MESSAGE = 'images';

/**
 * Groups pods by the workload that owns them, and their containers by (container, image,
 * imageID): two pods of one workload that resolved one tag to two digests (the tag moved during
 * the rollout) show as two entries.
 */
export function groupImages(pods: readonly PodImages[]): WorkloadImages[] {
  const workloads = new Map<string, WorkloadImages>();
  for (const pod of pods) {
    const owner = pod.owner ?? { kind: 'Pod', name: pod.pod };
    const key = `${owner.kind}\0${pod.namespace}\0${owner.name}`;
    let w = workloads.get(key);
    if (!w) {
      w = { kind: owner.kind, namespace: pod.namespace, name: owner.name, images: [] };
      workloads.set(key, w);
    }
    for (const c of pod.containers) {
      const same = w.images.find(
        (i) => i.container === c.name && i.image === c.image && i.imageID === c.imageID && i.init === c.init,
      );
      if (same) same.pods.push(pod.pod);
      else w.images.push({ container: c.name, init: c.init, image: c.image, imageID: c.imageID, pods: [pod.pod] });
    }
  }
  const sorted = [...workloads.values()].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
  for (const w of sorted) for (const i of w.images) i.pods.sort();
  return sorted;
}

/**
 * Records which image every pod of the run's namespaces resolved (after verify, when every
 * workload is rolled out): a journal note with each workload's images and imageIDs, so two runs
 * can be told apart when a tag moved between them. What the API server holds is recorded as it
 * is: an empty imageID is `null`, never guessed from the tag. A failure to list is a warning, not
 * the run's failure: the benchmark itself is not affected.
 */
export async function recordImages(input: {
  kube: Pick<KubeWorkloads, 'listPodImages'>;
  namespaces: readonly string[];
  journal: Journal;
  events: EventBus;
}): Promise<WorkloadImages[]> {
  try {
    const pods = (await Promise.all([...new Set(input.namespaces)].map((ns) => input.kube.listPodImages(ns)))).flat();
    const workloads = groupImages(pods);
    const unresolved = workloads.flatMap((w) => w.images).filter((i) => i.imageID === null).length;
    input.journal.append({ type: 'note', phase: 'verify', message: IMAGES_MESSAGE, data: { workloads } });
    if (unresolved > 0) {
      input.events.emit(
        'info',
        'verify',
        'verify.images',
        `${unresolved} container image(s) have no imageID in their pod status (recorded as null)`,
      );
    }
    return workloads;
  } catch (err) {
    input.events.emit(
      'warn',
      'verify',
      'verify.images',
      `the pods' images could not be recorded: ${(err as Error).message}`,
    );
    return [];
  }
}

/** The images a run's journal recorded (the last record wins); undefined when none was recorded. */
export function recordedImages(records: readonly JournalRecord[]): WorkloadImages[] | undefined {
  const note = records.findLast((r) => r.type === 'note' && r.phase === 'verify' && r.message === IMAGES_MESSAGE);
  const data = note?.type === 'note' ? (note.data as { workloads?: unknown } | undefined) : undefined;
  return Array.isArray(data?.workloads) ? (data.workloads as WorkloadImages[]) : undefined;
}
