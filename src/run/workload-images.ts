// What the journal's images note (written by src/phases/record-images.ts) holds. It lives here,
// beside the journal, because the report reads it too and src/report sits below src/phases.

/** One container image of a workload, as its pods resolved it. */
export interface WorkloadImage {
  container: string;
  init: boolean;
  /** The reference in the pod spec (what was asked for). */
  image: string;
  /**
   * The image the node resolved (`imageID` of the container's status: a digest), or null when
   * the API server holds none (the local cloud's kwok nodes report none).
   */
  imageID: string | null;
  /** The pods that ran exactly this image, by name. */
  pods: string[];
}

/** A workload (Deployment, StatefulSet, DaemonSet, Job; or a pod without one) and its images. */
export interface WorkloadImages {
  kind: string;
  namespace: string;
  name: string;
  images: WorkloadImage[];
}
