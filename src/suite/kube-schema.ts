import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { distance } from 'fastest-levenshtein';
import { PACKAGE_ROOT } from '../paths.ts';

/**
 * Offline validation of rendered Kubernetes objects against the OpenAPI schema of a Kubernetes
 * release: the definitions of k8s.io/kubernetes' `api/openapi-spec/swagger.json`, vendored under
 * schemas/kubernetes/v<major.minor>/ by scripts/vendor-kube-schema.mjs. Validated with ajv, so a
 * misspelt kind, `replicas: "three"` or an unknown field is refused at plan time rather than by
 * the API server after the cluster was paid for. Objects of API groups the release does not serve
 * (custom resources) are not validated here; the cluster validates them against their CRDs.
 */

const SCHEMA_DIR = join(PACKAGE_ROOT, 'schemas', 'kubernetes');

/** A problem found in one object. */
export interface SchemaProblem {
  /** Field path in the object, e.g. `spec.replicas` (empty for the object itself). */
  path: string;
  message: string;
  /** How to fix it, when there is more to say than the message. */
  fix?: string;
}

/** The result of validating one object. */
export type SchemaResult =
  | { checked: true; problems: SchemaProblem[] }
  /** The object's API group is not one the release serves: a custom resource. */
  | { checked: false; reason: string };

/** A loaded schema of one Kubernetes release. */
export interface KubeSchema {
  /** The release the definitions come from, e.g. `1.34.4`. */
  release: string;
  validate(object: { apiVersion?: unknown; kind?: unknown; [field: string]: unknown }): SchemaResult;
}

interface Vendored {
  release: string;
  definitions: Record<string, Definition>;
}
interface Definition {
  type?: string;
  format?: string;
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  [key: string]: unknown;
}

/** The vendored releases, as `major.minor`, newest first. */
export function vendoredKubernetesVersions(dir = SCHEMA_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^v\d+\.\d+$/.test(d) && existsSync(join(dir, d, 'definitions.json.gz')))
    .map((d) => d.slice(1))
    .sort((a, b) => compareVersions(b, a));
}

/**
 * The vendored schema for a `major.minor` Kubernetes version: that release's when it is vendored,
 * else the nearest one (`exact: false`, for the plan to say so).
 */
export function kubeSchemaFor(version: string | undefined): { schema: KubeSchema; exact: boolean } {
  const versions = vendoredKubernetesVersions();
  if (versions.length === 0) throw new Error(`no Kubernetes schema is vendored under ${SCHEMA_DIR}`);
  const wanted = version?.match(/^v?(\d+\.\d+)/)?.[1];
  const pick =
    wanted && versions.includes(wanted)
      ? wanted
      : wanted
        ? ([...versions].sort(
            (a, b) => Math.abs(minorOf(a) - minorOf(wanted)) - Math.abs(minorOf(b) - minorOf(wanted)),
          )[0] as string)
        : (versions[0] as string);
  return { schema: loadSchema(pick), exact: pick === wanted };
}

const cache = new Map<string, KubeSchema>();

function loadSchema(version: string): KubeSchema {
  const cached = cache.get(version);
  if (cached) return cached;
  const vendored = JSON.parse(
    gunzipSync(readFileSync(join(SCHEMA_DIR, `v${version}`, 'definitions.json.gz'))).toString('utf8'),
  ) as Vendored;
  const definitions = adaptDefinitions(vendored.definitions);
  // Which definition describes each apiVersion + kind, and which kinds each apiVersion serves.
  const byGvk = new Map<string, string>();
  const kindsOf = new Map<string, string[]>();
  const groups = new Set<string>();
  for (const [name, def] of Object.entries(vendored.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'] ?? [];
    // Option types such as DeleteOptions carry every group's version; they are not objects a suite applies.
    if (gvks.length !== 1) continue;
    const { group, version: v, kind } = gvks[0] as { group: string; version: string; kind: string };
    const apiVersion = group ? `${group}/${v}` : v;
    byGvk.set(`${apiVersion} ${kind}`, name);
    kindsOf.set(apiVersion, [...(kindsOf.get(apiVersion) ?? []), kind]);
    groups.add(group);
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ definitions }, 'k8s');
  const compiled = new Map<string, ValidateFunction>();

  const schema: KubeSchema = {
    release: vendored.release,
    validate(object) {
      const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
      const kind = typeof object.kind === 'string' ? object.kind : '';
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
      if (!groups.has(group as string) && !isBuiltInGroup(group as string)) {
        return { checked: false, reason: `${apiVersion} is not an API group Kubernetes ${version} serves` };
      }
      const kinds = kindsOf.get(apiVersion);
      if (!kinds) {
        const sameGroup = [...kindsOf.keys()].filter((a) => (a.includes('/') ? a.split('/')[0] : '') === group);
        // A group the release no longer serves at all: where else the kind is served.
        const served = sameGroup.length > 0 ? sameGroup : [...kindsOf.keys()];
        return {
          checked: true,
          problems: [
            {
              path: 'apiVersion',
              message: `Kubernetes ${version} does not serve ${apiVersion}`,
              fix: `use ${served.filter((a) => kindsOf.get(a)?.includes(kind)).join(' or ') || (sameGroup.length > 0 ? sameGroup.join(' or ') : `an apiVersion that serves ${kind}`)}`,
            },
          ],
        };
      }
      const name = byGvk.get(`${apiVersion} ${kind}`);
      if (!name) {
        const near = [...kinds].sort((a, b) => distance(a, kind) - distance(b, kind))[0];
        return {
          checked: true,
          problems: [
            {
              path: 'kind',
              message: `${apiVersion} has no kind '${kind}'`,
              fix: near ? `did you mean ${near}?` : `use a kind ${apiVersion} serves`,
            },
          ],
        };
      }
      let validate = compiled.get(name);
      if (!validate) {
        validate = ajv.getSchema(`k8s#/definitions/${name}`) as ValidateFunction;
        compiled.set(name, validate);
      }
      // The API server reads a null field as an absent one (YAML's `labels:` with nothing after it).
      if (validate(withoutNulls(object))) return { checked: true, problems: [] };
      return { checked: true, problems: describeErrors(validate.errors ?? []) };
    },
  };
  cache.set(version, schema);
  return schema;
}

/**
 * The swagger definitions made exact for JSON Schema: IntOrString and Quantity take a number or
 * a string, as the API server's decoders do; and objects with declared properties refuse any
 * other field, as the API server's strict field validation (kubectl's default) does.
 */
function adaptDefinitions(definitions: Record<string, Definition>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(definitions)) {
    if (def.format === 'int-or-string') out[name] = { anyOf: [{ type: 'integer' }, { type: 'string' }] };
    else if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity')
      out[name] = { anyOf: [{ type: 'string' }, { type: 'number' }] };
    else out[name] = closeObjects(def);
  }
  return out;
}

function closeObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closeObjects);
  if (!value || typeof value !== 'object') return value;
  const schema = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'properties' ? mapValues(v, closeObjects) : closeObjects(v)]),
  ) as Definition;
  if (schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  return schema;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fn(v)]));
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/** ajv's errors as field paths and messages a suite author can act on; one per field. */
function describeErrors(errors: ErrorObject[]): SchemaProblem[] {
  const problems = new Map<string, SchemaProblem>();
  for (const e of errors) {
    // anyOf's branches each report; the anyOf error itself says enough.
    if (errors.some((o) => o !== e && o.keyword === 'anyOf' && o.instancePath === e.instancePath)) {
      if (e.keyword !== 'anyOf') continue;
    }
    const path = pointerToPath(e.instancePath);
    let problem: SchemaProblem;
    if (e.keyword === 'additionalProperties') {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      problem = {
        path: path ? `${path}.${field}` : field,
        message: `unknown field '${field}'`,
        fix: 'check its spelling and its place against the Kubernetes API reference',
      };
    } else if (e.keyword === 'required') {
      const field = (e.params as { missingProperty: string }).missingProperty;
      problem = { path: path ? `${path}.${field}` : field, message: 'required field is missing' };
    } else if (e.keyword === 'type') {
      problem = { path, message: `must be ${(e.params as { type: string }).type}` };
    } else if (e.keyword === 'anyOf') {
      problem = { path, message: 'must be a number or a string' };
    } else if (e.keyword === 'enum') {
      problem = {
        path,
        message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
      };
    } else {
      problem = { path, message: e.message ?? e.keyword };
    }
    if (!problems.has(problem.path)) problems.set(problem.path, problem);
  }
  return [...problems.values()];
}

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image`. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/**
 * Whether a group belongs to Kubernetes itself: a custom resource's group must contain a dot, and
 * `*.k8s.io` and `*.kubernetes.io` are reserved for the project. A version of such a group the
 * release does not serve (`extensions/v1beta1`) is an error, not a custom resource.
 */
function isBuiltInGroup(group: string): boolean {
  return !group.includes('.') || /(^|\.)(k8s|kubernetes)\.io$/.test(group);
}

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}
