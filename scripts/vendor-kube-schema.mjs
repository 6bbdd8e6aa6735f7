#!/usr/bin/env node
// Writes schemas/kubernetes/v<major.minor>/definitions.json.gz from the OpenAPI v2 document of a
// Kubernetes release (api/openapi-spec/swagger.json of k8s.io/kubernetes at that tag), keeping
// what validation needs: every definition with its types, required fields, references and
// group-version-kind, without the descriptions (nine tenths of the size).
//
//   node scripts/vendor-kube-schema.mjs "$(go env GOMODCACHE)/k8s.io/kubernetes@v1.34.4/api/openapi-spec/swagger.json" 1.34.4
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const [source, release] = process.argv.slice(2);
if (!source || !/^\d+\.\d+\.\d+$/.test(release ?? '')) {
  console.error('usage: vendor-kube-schema.mjs <swagger.json> <release, e.g. 1.34.4>');
  process.exit(2);
}
const strip = (value) => {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
};
const swagger = JSON.parse(readFileSync(source, 'utf8'));
const out = {
  source: `k8s.io/kubernetes v${release} api/openapi-spec/swagger.json (Apache-2.0), descriptions removed`,
  release,
  definitions: strip(swagger.definitions),
};
const [major, minor] = release.split('.');
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'kubernetes', `v${major}.${minor}`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'definitions.json.gz'), gzipSync(JSON.stringify(out), { level: 9 }));
console.log(`wrote ${join(dir, 'definitions.json.gz')}`);
