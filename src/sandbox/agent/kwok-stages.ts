import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.ts';

/**
 * The kwok Stages bench adds to the standard ones the installer takes from kwok's module: what a
 * kubelet does that kwok's own stages do not (a pod whose image reference does not parse stays
 * Pending with its container waiting, reason InvalidImageName, instead of Running). Shipped under
 * infra/ (dist/ holds no YAML), beside the modules rather than inside one: tofu copies a module's
 * directory, and infra/sandbox holds only what the module is.
 */
export const BENCH_KWOK_STAGES: readonly string[] = [
  join(PACKAGE_ROOT, 'infra', 'kwok-stages', 'pod-invalid-image.yaml'),
];
