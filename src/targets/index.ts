import { UsageError } from '../errors.ts';
import { TARGETS, type Suite, type TargetName } from '../suite/schema.ts';
import { awsTarget } from './aws.ts';
import { kubeTarget } from './kube.ts';
import { sandboxTarget } from './sandbox.ts';
import type { Target, TargetSetup } from './target.ts';

const REGISTRY: { readonly [name in TargetName]: Target } = {
  aws: awsTarget,
  sandbox: sandboxTarget,
  kube: kubeTarget,
};

/**
 * The target of a name. A name that is not one (a journal's, a flag's) is the user's to fix
 * (E_TARGET_UNKNOWN, exit 2), as `bench run` and `bench doctor` say of an unknown --target.
 */
export function targetFor(name: string): Target {
  if (!Object.hasOwn(REGISTRY, name)) {
    throw new UsageError('E_TARGET_UNKNOWN', `unknown target '${name}'`, {
      fix: `use one of: ${TARGETS.join(', ')}`,
    });
  }
  return REGISTRY[name as TargetName];
}

/**
 * Resolves a target before anything is created: the suite must declare it; the sandbox must be up
 * (its environment file then points AWS calls at moto and names the local API server).
 */
export async function resolveTarget(
  suite: Suite,
  target: TargetName,
  options: { env?: NodeJS.ProcessEnv; context?: string } = {},
): Promise<TargetSetup> {
  const env = options.env ?? process.env;
  const spec = suite.targets[target];
  if (!spec) {
    throw new UsageError('E_TARGET_UNSUPPORTED', `suite ${suite.name} does not declare the target '${target}'`, {
      fix: `use one of: ${Object.keys(suite.targets)
        .filter((t) => suite.targets[t as TargetName])
        .join(', ')}`,
    });
  }
  return targetFor(target).resolve(spec, { env, context: options.context });
}
