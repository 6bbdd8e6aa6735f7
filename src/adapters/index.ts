import { createAwsIdentity, createPublicAddressProbe, type AwsIdentity, type PublicAddressProbe } from './aws.ts';
import { createKubeProbe, type KubeProbe } from './kube.ts';
import { createToolProbe, type ToolProbe } from './tools.ts';

export { createPortForwarder, type ForwardedPort, type PortForwarder } from './port-forward.ts';

/**
 * Every adapter the engine uses, built in this one place and handed to the phases, so a test
 * can hand in real local servers or recorders instead.
 */
export interface Adapters {
  tools: ToolProbe;
  aws: AwsIdentity;
  kube: KubeProbe;
  publicAddress: PublicAddressProbe;
}

/** Builds the real adapters. Cheap: SDKs and clients are loaded on first use, not here. */
export function createAdapters(env: NodeJS.ProcessEnv = process.env): Adapters {
  return {
    tools: createToolProbe(env),
    aws: createAwsIdentity(env),
    kube: createKubeProbe(),
    publicAddress: createPublicAddressProbe(env),
  };
}
