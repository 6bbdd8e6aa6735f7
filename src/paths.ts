import { fileURLToPath } from 'node:url';

/**
 * The tool's installation root (where manifests/ and infra/ live). This file sits one level
 * below it both as source (src/paths.ts) and compiled (dist/paths.js).
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
