import { SuiteError, UsageError } from '../errors.ts';
import { containerImages, isMovingTag, kubeletImageError } from './image-reference.ts';
import type { RenderedObject } from './render.ts';

/**
 * Checks every container image of the rendered objects against the reference grammar a kubelet
 * applies (distribution/reference), so that a reference a kubelet would refuse with
 * InvalidImageName is refused at plan time. Returns reproducibility warnings: a moving tag
 * (`:latest`, or no tag) resolves to whatever the registry holds on the day, and with
 * `imagePullPolicy: IfNotPresent` to whatever a node happens to have cached.
 *
 * `overridden` names the images given with `--image`, whose errors are the user's (UsageError)
 * rather than the suite's.
 */
export function checkImages(objects: readonly RenderedObject[], overridden: ReadonlySet<string>): string[] {
  const warnings = new Set<string>();
  for (const { source, object } of objects) {
    for (const { path, image, imagePullPolicy } of containerImages(object)) {
      const where = `${source}: ${object.kind} ${object.metadata.name} ${path}`;
      const error = image.trim() === '' ? 'the image is empty' : kubeletImageError(image);
      if (error !== undefined) {
        const Err = overridden.has(image) ? UsageError : SuiteError;
        throw new Err('E_IMAGE_INVALID', `${where}: '${image}' is not a valid image reference (${error})`, {
          fix: overridden.has(image)
            ? 'give --image name=registry/repository:tag or name=repository@sha256:<64 hex digits>'
            : 'write the image as registry/repository:tag or repository@sha256:<64 hex digits> under images in suite.yaml',
        });
      }
      if (isMovingTag(image)) {
        warnings.add(
          imagePullPolicy === 'IfNotPresent'
            ? `${image} (${object.kind} ${object.metadata.name}) is a moving tag with imagePullPolicy IfNotPresent: each node runs whatever it has cached, so two runs may not run the same image; pin a digest or a fixed tag (--image)`
            : `${image} (${object.kind} ${object.metadata.name}) is a moving tag: two runs may not run the same image; pin a digest or a fixed tag (--image)`,
        );
      }
    }
  }
  return [...warnings];
}
