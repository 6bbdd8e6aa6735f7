import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import jsonPatch from 'fast-json-patch';
import mergePatch from 'json-merge-patch';
import { parseAllDocuments, Scalar, visit } from 'yaml';
import { SuiteError, UsageError } from '../errors.ts';
import type { LoadedSuite } from './load.ts';
import { checkParamValue } from './param-types.ts';
import type { ObjectRef, ParamValue, Suite, TargetName } from './schema.ts';

/** Label every object the tool applies carries, with the run id as value. */
export const RUN_ID_LABEL = 'bench.dev/run-id';
/** Label naming the suite, on every object. */
export const SUITE_LABEL = 'bench.dev/suite';
/** Annotation the AWS load-balancer controllers copy onto the NLBs they create, as tags. */
export const LB_TAGS_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags';
/** Tag key that marks a cloud resource as this tool's (with the run id as value). */
export const OWNER_TAG = 'bench.dev/run-id';

/** A Kubernetes object as rendered (plain JSON, as the API takes it). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** A rendered object and where it came from. */
export interface RenderedObject {
  source: string;
  /** `deploy` objects are applied by the deploy phase; `workload` objects when the ramp starts. */
  stage: 'deploy' | 'workload';
  /** Variant it belongs to, for suites that deploy several side by side. */
  variant: string | undefined;
  object: KubeObject;
}

export interface RenderOptions {
  target: TargetName;
  runId: string;
  /** Parameter values from the command line (`--set name=value`), strings to be typed by the schema. */
  overrides?: Record<string, string>;
  /** Image overrides (`--image name=ref`). */
  images?: Record<string, string>;
  /** Restrict to some variants (default: all the suite declares). */
  variants?: string[];
  /**
   * Render one variant as a comparison arm: under its own name (the `variant` value, e.g.
   * `chord-2` when a variant is compared with itself) in its own namespace.
   */
  arm?: { name: string; variant: string; namespace: string };
}

/** The parameter values a render used, after defaults, overlay, variant and overrides. */
export type ParamValues = Record<string, ParamValue>;

/**
 * Resolves the parameter values for a target: defaults, then the target's overlay, then the
 * command line. Command-line values are typed and range-checked against the declaration.
 */
export function resolveParams(suite: Suite, target: TargetName, overrides: Record<string, string> = {}): ParamValues {
  const values: ParamValues = {};
  for (const [name, spec] of Object.entries(suite.params)) values[name] = spec.default;
  Object.assign(values, suite.manifests.overlays[target]?.params ?? {});
  for (const [name, raw] of Object.entries(overrides)) {
    const spec = suite.params[name];
    if (!spec) {
      throw new UsageError('E_PARAM_UNKNOWN', `--set ${name}: the suite has no parameter '${name}'`, {
        fix: `use one of: ${Object.keys(suite.params).join(', ') || '(none declared)'}`,
      });
    }
    values[name] = typeParam(name, raw, spec);
  }
  return values;
}

function typeParam(name: string, raw: string, spec: Suite['params'][string]): ParamValue {
  const checked = checkParamValue(spec, raw);
  if (checked.ok) return checked.value;
  const code = /at (least|most)/.test(checked.problem) ? 'E_PARAM_RANGE' : 'E_PARAM_VALUE';
  throw new UsageError(code, `--set ${name}=${raw}: ${checked.problem}`, {
    fix: `${checked.fix}: --set ${name}=<value>`,
  });
}

// Names may contain '-' and '.': image names such as `images.log-generator` are references too.
const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/**
 * Stands for an escaped `$${` while a suite is rendered, so that the check for references left
 * over can tell a literal the author asked for from one the renderer could not resolve. A
 * private-use character: it cannot occur in a manifest a person wrote.
 */
const LITERAL_MARK = '\uE000{';

/**
 * Replaces `${name}` references in every string of a value. A string that is exactly one
 * reference takes the referenced value's type (so `replicas: ${count}` stays a number);
 * `$${` writes a literal `${` (for shell scripts inside manifests), or `literal` when given.
 * Unknown names are errors.
 */
export function interpolate(value: unknown, context: Record<string, unknown>, where: string, literal = '${'): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_REF.exec(value);
    if (whole) return lookup(context, whole[1] as string, where);
    return value.replace(REF, (match, name: string | undefined) =>
      name === undefined ? literal : String(lookup(context, name, where)),
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, context, where, literal));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, context, where, literal)]));
  }
  return value;
}

/**
 * Throws when a `${` is left in a rendered value: a reference the renderer did not recognise
 * (`${ name }`, `${1x}`, an unclosed `${name`) would otherwise reach the cluster as literal text.
 * `where` names the file; the error adds the field path.
 */
export function assertNoReferenceLeft(value: unknown, where: string, path = ''): void {
  if (typeof value === 'string') {
    const at = value.indexOf('${');
    if (at === -1) return;
    const snippet = value.slice(at, at + 40).split('\n')[0];
    throw new SuiteError('E_REFERENCE_LEFT', `${where}${path ? ` at ${path}` : ''}: '${snippet}' is left unresolved`, {
      fix: 'write a reference as ${name} with a declared parameter, images.<name> or a built-in value (letters, digits, _ . -), or $${ for a literal ${',
    });
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertNoReferenceLeft(v, where, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertNoReferenceLeft(v, where, path ? `${path}.${k}` : k);
  }
}

/** Turns the marks of escaped `$${` back into the literal `${` the author wrote. */
function restoreLiterals(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(LITERAL_MARK, '${');
  if (Array.isArray(value)) return value.map(restoreLiterals);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restoreLiterals(v)]));
  }
  return value;
}

function lookup(context: Record<string, unknown>, name: string, where: string): unknown {
  let value: unknown = context;
  for (const part of name.split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (value === undefined) {
    const known = Object.keys(context).filter((k) => k !== 'images');
    throw new SuiteError('E_PARAM_UNDEFINED', `${where}: \${${name}} is not a parameter, image or built-in value`, {
      fix: `declare '${name}' under params in suite.yaml, or use one of: ${known.join(', ')}, images.<name> (write $\${ for a literal \${)`,
    });
  }
  return value;
}

/** A metric's PromQL with the run's parameters in it (e.g. the rate window `${rateWindow}`). */
export function resolveQuery(query: string, params: ParamValues, where = 'metrics'): string {
  const resolved = String(interpolate(query, params, where));
  assertNoReferenceLeft(resolved, where);
  return resolved;
}

/** Renders every manifest the suite deploys on a target, with overlays, patches and labels applied. */
export function renderManifests(loaded: LoadedSuite, options: RenderOptions): RenderedObject[] {
  const { suite } = loaded;
  const params = resolveParams(suite, options.target, options.overrides);
  const images = { ...suite.images, ...resolveImageOverrides(suite, options.images ?? {}) };
  const overlay = suite.manifests.overlays[options.target];
  const entries = [
    ...[...suite.manifests.base, ...(overlay?.resources ?? [])].map((e) => ({ e, stage: 'deploy' as const })),
    ...suite.manifests.workload.map((e) => ({ e, stage: 'workload' as const })),
  ];
  const variantNames = options.arm ? [options.arm.variant] : (options.variants ?? Object.keys(suite.variants ?? {}));
  for (const v of variantNames) {
    if (!suite.variants?.[v]) {
      throw new UsageError('E_VARIANT_UNKNOWN', `suite ${suite.name} has no variant '${v}'`, {
        fix: `use one of: ${Object.keys(suite.variants ?? {}).join(', ') || '(the suite declares no variants)'}`,
      });
    }
  }
  const passes: (string | undefined)[] = variantNames.length > 0 ? variantNames : [undefined];
  const out: RenderedObject[] = [];
  for (const variant of passes) {
    const spec = variant === undefined ? undefined : suite.variants?.[variant];
    const context: Record<string, unknown> = {
      ...params,
      ...(spec?.params ?? {}),
      images,
      runId: options.runId,
      target: options.target,
      suite: suite.name,
      variant: options.arm?.name ?? variant ?? '',
      namespace: options.arm?.namespace ?? spec?.namespace ?? '',
    };
    const objects: RenderedObject[] = [];
    for (const { e, stage } of entries) {
      if (typeof e !== 'string' && context[e.when] !== true) continue;
      const file = typeof e === 'string' ? e : e.file;
      for (const object of readManifestFile(loaded.dir, file, context)) {
        objects.push({ source: file, stage, variant, object });
      }
    }
    for (const [i, patch] of (overlay?.patches ?? []).entries()) {
      const where = `manifests.overlays.${options.target}.patches.${i}`;
      const ref = interpolate(patch.target, context, where, LITERAL_MARK) as ObjectRef;
      const match = objects.find((o) => matches(o.object, ref));
      if (!match) {
        throw new SuiteError('E_PATCH_TARGET', `${where}: no rendered object matches ${describeRef(ref)}`, {
          fix: 'check the kind, name and namespace of the patch target against the base manifests',
        });
      }
      const body = interpolate(patch.merge ?? patch.ops, context, where, LITERAL_MARK);
      match.object = patch.merge
        ? (mergePatch.apply(structuredClone(match.object), body) as KubeObject)
        : jsonPatch.applyPatch(structuredClone(match.object), body as jsonPatch.Operation[], true, false).newDocument;
    }
    out.push(...objects);
  }
  // Nothing unresolved may reach the cluster: check every field of every object, then restore
  // the literals the author escaped.
  for (const rendered of out) {
    assertNoReferenceLeft(rendered.object, rendered.source);
    rendered.object = restoreLiterals(rendered.object) as KubeObject;
    stampOwnership(rendered.object, suite.name, options.runId);
  }
  return out;
}

function resolveImageOverrides(suite: Suite, overrides: Record<string, string>): Record<string, string> {
  for (const [name, ref] of Object.entries(overrides)) {
    if (!(name in suite.images)) {
      throw new UsageError('E_IMAGE_UNKNOWN', `--image ${name}: the suite has no image '${name}'`, {
        fix: `use one of: ${Object.keys(suite.images).join(', ')}`,
      });
    }
    if (ref.trim() === '') {
      throw new UsageError('E_IMAGE_EMPTY', `--image ${name}=: the image reference is empty`, {
        fix: `give a reference, e.g. --image ${name}=${suite.images[name]}, or leave --image ${name} out to use the suite's`,
      });
    }
  }
  return overrides;
}

/**
 * Reads one manifest file (several YAML documents) relative to the suite directory, resolving
 * `${name}` references on the YAML tree: a plain `${name}` takes the value's type, a quoted
 * one stays a string (ConfigMap data must be strings).
 */
function readManifestFile(dir: string, file: string, context: Record<string, unknown>): KubeObject[] {
  const path = isAbsolute(file) ? file : join(dir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SuiteError('E_MANIFEST_MISSING', `manifest ${file} does not exist (looked in ${dir})`, {
      fix: 'fix the path under manifests in suite.yaml; paths are relative to the suite directory',
    });
  }
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new SuiteError('E_MANIFEST_INVALID', `manifest ${file}: ${doc.errors[0]?.message.split('\n')[0]}`, {
        fix: `fix the YAML in ${path}`,
      });
    }
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value !== 'string' || !node.value.includes('${')) return;
        const quoted =
          node.type === Scalar.QUOTE_DOUBLE ||
          node.type === Scalar.QUOTE_SINGLE ||
          node.type === Scalar.BLOCK_LITERAL ||
          node.type === Scalar.BLOCK_FOLDED;
        const value = interpolate(node.value, context, file, LITERAL_MARK);
        node.value = quoted ? String(value) : value;
      },
    });
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const o = value as Partial<KubeObject>;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new SuiteError(
        'E_MANIFEST_INVALID',
        `manifest ${file}: every document needs apiVersion, kind and metadata.name`,
        {
          fix: `complete the object in ${path}`,
        },
      );
    }
    objects.push(value as KubeObject);
  }
  return objects;
}

function matches(object: KubeObject, ref: ObjectRef): boolean {
  return (
    object.kind === ref.kind &&
    object.metadata.name === ref.name &&
    (ref.namespace === undefined || object.metadata.namespace === ref.namespace)
  );
}

function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/**
 * Marks an object as this run's: labels on the object (and on pod templates, so pods can be
 * found too), and on LoadBalancer Services the annotation that makes AWS tag the NLB it creates.
 */
function stampOwnership(object: KubeObject, suite: string, runId: string): void {
  object.metadata.labels = { ...object.metadata.labels, [RUN_ID_LABEL]: runId, [SUITE_LABEL]: suite };
  const template = (object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)
    ?.template;
  if (template)
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [RUN_ID_LABEL]: runId } };
  const spec = object.spec as { type?: string } | undefined;
  if (object.kind === 'Service' && spec?.type === 'LoadBalancer') {
    const existing = object.metadata.annotations?.[LB_TAGS_ANNOTATION];
    const tags = [existing, `${OWNER_TAG}=${runId}`, 'bench.dev/managed-by=bench'].filter(Boolean).join(',');
    object.metadata.annotations = { ...object.metadata.annotations, [LB_TAGS_ANNOTATION]: tags };
  }
}

/** Counts rendered objects by kind, for plans and summaries. */
export function countByKind(objects: readonly RenderedObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { object } of objects) counts[object.kind] = (counts[object.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
