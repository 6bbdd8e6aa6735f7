import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KubeRestError, type KubeRest } from './kube-rest.ts';
import type { LogLine, PodLog } from './systems/system.ts';

/** RFC3339 with nanoseconds, fixed width, as container runtimes write CRI log timestamps. */
export function rfc3339NanoFixed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6));
  return new Date(seconds * 1000).toISOString().replace('.000Z', `.${String(nanos).padStart(9, '0')}Z`);
}

/**
 * One line of a container log file in the CRI format the kubelet (and kwok) read:
 * `<RFC3339Nano time> stdout F <line>` — F for a full line (P would be a partial one).
 */
export function criLogLine(l: LogLine): string {
  return `${rfc3339NanoFixed(l.time)} stdout F ${l.line}\n`;
}

/**
 * Writes the simulated containers' stdout into CRI log files, one per container as the kubelet
 * keeps them (`<dir>/<namespace>_<pod>_<uid>/<container>/0.log`), and names each file in a
 * kwok `Logs` object of the pod's name, owned by the pod (the garbage collector removes it
 * with the pod). kwok then serves the file as the pod's log: `kubectl logs`, or the API
 * server's pods/log, reach it as they reach a kubelet.
 */
export class PodLogWriter {
  readonly #kube: KubeRest;
  readonly #dir: string;
  readonly #registered = new Set<string>();

  constructor(kube: KubeRest, dir: string) {
    this.#kube = kube;
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /** The log file of one container. */
  file(log: Pick<PodLog, 'namespace' | 'name' | 'uid' | 'container'>): string {
    return join(this.#dir, `${log.namespace}_${log.name}_${log.uid ?? 'unknown'}`, log.container, '0.log');
  }

  /** Appends each container's lines to its file, then makes sure kwok knows the file. */
  async write(logs: PodLog[]): Promise<void> {
    for (const log of logs) {
      const file = this.file(log);
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, log.lines.map(criLogLine).join(''));
      const key = `${log.namespace}/${log.name}/${log.uid}/${log.container}`;
      if (this.#registered.has(key)) continue;
      try {
        await this.#register(log, file);
        this.#registered.add(key);
      } catch (err) {
        // Tried again with the next lines.
        console.error(`pod-logs: ${log.namespace}/${log.name}: ${(err as Error).message}`);
      }
    }
  }

  async #register(log: PodLog, file: string): Promise<void> {
    const path = `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${log.namespace}/logs`;
    const body = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Logs',
      metadata: {
        name: log.name,
        namespace: log.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'bench-sandbox-agent' },
        ...(log.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: log.name, uid: log.uid }] } : {}),
      },
      spec: { logs: [{ containers: [log.container], logsFile: file }] },
    };
    try {
      await this.#kube.post(path, body);
    } catch (err) {
      if (!(err instanceof KubeRestError && err.status === 409)) throw err;
      // Left by an earlier pod of the same name: point it at this pod's file.
      await this.#kube.patch(`${path}/${log.name}`, { metadata: body.metadata, spec: body.spec });
    }
  }
}
