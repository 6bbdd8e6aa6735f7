import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.ts';

/**
 * The kwok Stages bench adds to the standard ones the installer takes from kwok's module: what a
 * kubelet does that kwok's own stages do not (a pod whose image reference does not parse stays
 * Pending with its container waiting, reason InvalidImageName, instead of Running).
 */
export const BENCH_KWOK_STAGES: readonly string[] = [
  join(PACKAGE_ROOT, 'infra', 'sandbox', 'kwok-stages', 'pod-invalid-image.yaml'),
];
