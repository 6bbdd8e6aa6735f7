import { parseQualifiedName } from '@swimlane/docker-reference';

/**
 * An image reference's error as a kubelet would give it, checked at plan time so that a suite
 * whose image a kubelet refuses is refused before anything is paid for; the local cloud's agent
 * gives pods the same check (and the same message) that a kubelet does.
 *
 * The kubelet's check of a container's image reference, as kubelet v1.34 does it before it asks
 * the runtime for the image: `applyDefaultImageTag` -> `ParseNormalizedNamed` of
 * github.com/distribution/reference v0.6.0. The grammar is @swimlane/docker-reference's port of
 * that package's regular expressions; only the normalisation step (which part is the registry,
 * the lowercase rule, the 64-hex-digit rule) is written out here, because the port's
 * `parseFamiliarName` follows an older distribution release (it treats `UPPER/case` as a Docker Hub
 * repository, where v0.6.0 treats `UPPER` as a registry host) and words its errors differently.
 *
 * Returns the message a kubelet puts in the container's `waiting` state with reason
 * InvalidImageName, or undefined when the kubelet would go on to pull the image.
 */
export function kubeletImageError(image: string): string | undefined {
  const err = parseNormalizedNamedError(image);
  if (err === undefined) return undefined;
  // pkg/util/parsers.ParseImageName wraps the parse error; pkg/kubelet/images wraps that.
  return `Failed to apply default image tag ${goQuote(image)}: couldn't parse image name ${goQuote(image)}: ${err}`;
}

/** The reason a kubelet gives a container whose image reference does not parse. */
export const INVALID_IMAGE_NAME = 'InvalidImageName';

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;

/** distribution/reference v0.6.0 ParseNormalizedNamed, returning its error text (undefined: it parses). */
function parseNormalizedNamedError(s: string): string | undefined {
  if (ANCHORED_IDENTIFIER.test(s)) return `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`;
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) return `invalid reference format: repository name (${remote}) must be lowercase`;
  try {
    parseQualifiedName(`${domain}/${remainder}`);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** distribution/reference v0.6.0 splitDockerDomain: which part of a familiar name is the registry. */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, maybeRemote];
  // Uppercase namespaces are not allowed, so an uppercase first element is taken for a host.
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, maybeRemote];
  else [domain, remote] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/** Go's %q for the strings a pod spec can hold (JSON's escaping agrees with it for these). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** A container's image in a rendered object, and where it is. */
export interface ContainerImage {
  /** Field path, e.g. `spec.template.spec.containers[0].image`. */
  path: string;
  image: string;
  imagePullPolicy: string | undefined;
}

/**
 * The images of every container (init, regular, ephemeral) of a Pod or of a workload's pod
 * template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
 */
export function containerImages(object: { kind: string; spec?: unknown }): ContainerImage[] {
  const podSpecs: { path: string; spec: unknown }[] = [];
  const spec = object.spec as Record<string, unknown> | undefined;
  if (!spec) return [];
  if (object.kind === 'Pod') podSpecs.push({ path: 'spec', spec });
  const template = spec.template as { spec?: unknown } | undefined;
  if (template?.spec) podSpecs.push({ path: 'spec.template.spec', spec: template.spec });
  const jobTemplate = (spec.jobTemplate as { spec?: { template?: { spec?: unknown } } } | undefined)?.spec?.template;
  if (jobTemplate?.spec) podSpecs.push({ path: 'spec.jobTemplate.spec.template.spec', spec: jobTemplate.spec });
  const out: ContainerImage[] = [];
  for (const { path, spec: podSpec } of podSpecs) {
    for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
      const containers = (podSpec as Record<string, unknown>)[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c: { image?: unknown; imagePullPolicy?: unknown }, i) => {
        out.push({
          path: `${path}.${list}[${i}].image`,
          image: typeof c.image === 'string' ? c.image : '',
          imagePullPolicy: typeof c.imagePullPolicy === 'string' ? c.imagePullPolicy : undefined,
        });
      });
    }
  }
  return out;
}

/**
 * Whether a reference names a moving tag: `:latest`, or no tag and no digest (which a runtime
 * reads as `:latest`). Such an image can change between two runs of the same suite.
 */
export function isMovingTag(image: string): boolean {
  if (image.includes('@')) return false;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon === -1 || image.slice(colon + 1) === 'latest';
}
