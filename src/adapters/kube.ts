/** What an API server says about itself. */
export interface KubeServerInfo {
  context: string;
  server: string;
  gitVersion: string;
}

/** Reachability of a kubeconfig context. The client is imported only when used. */
export interface KubeProbe {
  /** Lists the contexts of the kubeconfig (KUBECONFIG or ~/.kube/config). */
  listContexts(): Promise<string[]>;
  /** Calls /version on the context's API server. */
  getServerVersion(context: string | undefined, signal?: AbortSignal): Promise<KubeServerInfo>;
}

/** The kubeconfig has no context of the name asked for. */
export class KubeContextNotFound extends Error {
  readonly context: string;
  readonly available: string[];

  constructor(context: string, available: string[]) {
    super(`context '${context}' is not in the kubeconfig`);
    this.context = context;
    this.available = available;
  }
}

/** The real probe on @kubernetes/client-node. */
export function createKubeProbe(): KubeProbe {
  const load = async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    return { k8s, kc };
  };
  return {
    async listContexts() {
      const { kc } = await load();
      return kc.getContexts().map((c) => c.name);
    },
    async getServerVersion(context, signal) {
      const { k8s, kc } = await load();
      if (context !== undefined) {
        if (!kc.getContextObject(context))
          throw new KubeContextNotFound(
            context,
            kc.getContexts().map((c) => c.name),
          );
        kc.setCurrentContext(context);
      }
      const api = kc.makeApiClient(k8s.VersionApi);
      const timeout = AbortSignal.timeout(10_000);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const info = await Promise.race([
        api.getCode(),
        new Promise<never>((_, reject) =>
          combined.addEventListener('abort', () => reject(new Error('timed out after 10s')), { once: true }),
        ),
      ]);
      return {
        context: kc.getCurrentContext(),
        server: kc.getCurrentCluster()?.server ?? 'unknown',
        gitVersion: info.gitVersion,
      };
    },
  };
}
