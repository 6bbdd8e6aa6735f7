import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isPortFree, pickFreePort } from '../../src/adapters/processes.ts';

describe('pickFreePort', () => {
  it('draws free ports below the ephemeral range, never the same one twice', async () => {
    // The kernel gives outgoing connections source ports from this range, so a port promised to
    // a local-cloud part there can be taken before the part binds it (CI saw EADDRINUSE).
    const [ephemeralStart] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = [];
    for (let i = 0; i < 50; i++) ports.push(await pickFreePort());
    assert.equal(new Set(ports).size, ports.length, `a port handed out twice: ${ports.join(',')}`);
    for (const port of ports) {
      assert.ok(port < ephemeralStart!, `${port} is in the ephemeral range (from ${ephemeralStart})`);
      assert.ok(port >= 1024, `${port} is privileged`);
      assert.ok(await isPortFree(port));
    }
  });
});
