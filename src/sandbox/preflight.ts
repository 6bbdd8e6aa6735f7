import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isPortFree, pickFreePort } from '../adapters/processes.ts';
import { InfrastructureError, UsageError } from '../errors.ts';
import { DEFAULT_KOORDE_LATENCY_FACTOR } from './agent/systems/koorde.ts';
import { DEFAULT_PORTS, INSTALL_PART, PART_BINARIES, PARTS, type PartName } from './layout.ts';
import { DEFAULT_NODE_SHAPE } from './nodes.ts';
import { kwokCrds, kwokStages } from './parts.ts';
import { DEFAULT_ENI_LINGER_SECONDS, type SandboxState } from './state.ts';

/**
 * What `bench sandbox up` checks before it creates anything: its options, that every part is
 * installed, and that every port is free. Each failure is a usage or infrastructure error naming
 * its fix, and leaves nothing behind.
 */

/** The options of `bench sandbox up` that are numbers, checked and with their defaults. */
export interface CheckedUpOptions {
  nodes: number;
  factor: number;
  delay: number;
  linger: number;
}

/** Checks the numeric options of `bench sandbox up` (nodes, latency factor, delays). */
export function checkUpOptions(options: {
  nodes?: number;
  koordeLatencyFactor?: number;
  lbDeletionDelaySeconds?: number;
  eniLingerSeconds?: number;
}): CheckedUpOptions {
  const nodes = options.nodes ?? DEFAULT_NODE_SHAPE.count;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) {
    throw new UsageError('E_NODES', `--nodes ${nodes}: the local cloud runs 1 to 50 nodes`, {
      fix: 'give --nodes a whole number from 1 to 50 (default 3)',
    });
  }
  const factor = options.koordeLatencyFactor ?? DEFAULT_KOORDE_LATENCY_FACTOR;
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new UsageError('E_FACTOR', `--koorde-latency-factor ${factor}: expected a positive number`, {
      fix: 'e.g. 0.8 makes Koorde 20% faster than Chord, 1 makes them equal',
    });
  }
  const delay = options.lbDeletionDelaySeconds ?? 20;
  if (!Number.isFinite(delay) || delay < 0) {
    throw new UsageError('E_DELAY', `--lb-deletion-delay ${delay}: expected 0 or more seconds`, {
      fix: 'e.g. --lb-deletion-delay 20',
    });
  }
  const linger = options.eniLingerSeconds ?? DEFAULT_ENI_LINGER_SECONDS;
  if (!Number.isFinite(linger) || linger < 0) {
    throw new UsageError('E_DELAY', `--eni-linger ${linger}: expected 0 or more seconds`, {
      fix: 'e.g. --eni-linger 30',
    });
  }
  return { nodes, factor, delay, linger };
}

/** Checks that every part's binary, kwok's stages and its CRDs are installed in `binDir`. */
export function checkInstalled(binDir: string): void {
  const missing = PARTS.map((p) => PART_BINARIES[p]).filter(
    (b): b is string => b !== undefined && !existsSync(join(binDir, b)),
  );
  if (missing.length > 0) {
    const parts = [...new Set(missing.map((b) => INSTALL_PART[b] ?? b))];
    throw new InfrastructureError(
      'E_SANDBOX_NOT_INSTALLED',
      `the local cloud is not installed: ${missing.join(', ')} missing in ${binDir}`,
      {
        fix: `run \`bash test/harness/install.sh ${parts.join(' ')}\` (or \`bash scripts/setup.sh\`)`,
        data: { missing },
      },
    );
  }
  if (kwokStages(binDir).length === 0 || kwokCrds(binDir).length === 0) {
    throw new InfrastructureError('E_SANDBOX_NOT_INSTALLED', `kwok's stages or CRDs are missing beside ${binDir}`, {
      fix: 'run `bash test/harness/install.sh kwok`',
    });
  }
}

const OFFSETS: Record<PartName | 'etcd-peer', number> = Object.fromEntries(
  Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, v - 16000]),
) as Record<PartName | 'etcd-peer', number>;

/** The ports a local cloud listens on: the defaults, free ones (`auto`), or the defaults shifted to a base. */
export async function resolvePorts(choice: 'default' | 'auto' | number | undefined): Promise<SandboxState['ports']> {
  const ports = { ...DEFAULT_PORTS };
  if (choice === 'auto') {
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await pickFreePort();
  } else if (typeof choice === 'number') {
    if (!Number.isInteger(choice) || choice < 1024 || choice > 65000) {
      throw new UsageError('E_PORT_BASE', `--port-base ${choice}: expected a whole number from 1024 to 65000`, {
        fix: 'choose a base such that base+600 is below 65535, e.g. --port-base 20000',
      });
    }
    for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = choice + OFFSETS[key];
  }
  return ports;
}

/** Checks that nothing listens on any of the ports yet. */
export async function checkPortsFree(ports: SandboxState['ports']): Promise<void> {
  for (const [part, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) {
      throw new InfrastructureError('E_PORT_IN_USE', `${part}: port 127.0.0.1:${port} is in use`, {
        fix: `stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it), or start on other ports with --port-base (e.g. --port-base 20000) or --ports auto`,
        data: { part, port },
      });
    }
  }
}
