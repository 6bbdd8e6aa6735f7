import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, waitForHttp } from './net.ts';
import { sandboxBin } from './paths.ts';

/** A running moto server: the local cloud's AWS APIs on 127.0.0.1. */
export interface Moto {
  endpoint: string;
  /** Environment that points the AWS SDK at this server with test credentials. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(region = 'eu-central-1'): Promise<Moto> {
  const bin = sandboxBin('moto_server');
  if (!existsSync(bin)) throw new Error(`moto is not installed (${bin}): run \`bash test/harness/install.sh moto\``);
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForHttp(`${endpoint}/moto-api/`, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing-secret-do-not-print',
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
