import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxEnv } from '../../src/sandbox/config.ts';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'moto_inventory.py');

/**
 * Everything the local cloud's moto holds tagged with the run id (EC2 network, ELBv2, EKS, ECR,
 * KMS, IAM), asked by boto3 in moto's own virtualenv: not through bench's code, which is what the
 * tests check. Each entry reads `kind id (region)`.
 */
export function motoTaggedWith(env: SandboxEnv, runId: string, regions: string[] = [env.AWS_REGION]): string[] {
  const out = execFileSync(env.BENCH_SANDBOX_PYTHON, [SCRIPT, runId, ...regions], {
    env: { ...process.env, ...env, AWS_DEFAULT_REGION: env.AWS_REGION },
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}
