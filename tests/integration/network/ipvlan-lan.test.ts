import { chmod } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { settled } from '../master/harness';
import { startLanWorker, type LanWorker } from './lan-worker';
import { createLab, driverUnsupported, inNs, netnsUnavailable, type Lab } from './netns-lab';

// The kernel check needs a lab; the lab is cheap, so build one just to ask.
let why = await netnsUnavailable();
if (!why) {
  const probeLab = await createLab();
  try {
    why = await driverUnsupported(probeLab, 'ipvlan');
  } finally {
    await probeLab.destroy();
  }
}
if (why) console.warn(`skipping the ipvlan LAN test: ${why}`);

/** The ipvlan L2 driver through the same path as macvlan: deckies share the parent's MAC. */
describe.skipIf(why !== null)('ipvlan deckies on a namespace LAN', () => {
  let lab: Lab;
  let tmp: { dir: string; remove: () => Promise<void> };
  let worker: LanWorker;

  beforeAll(async () => {
    lab = await createLab();
    tmp = await makeTmpDir('decnet-ipvlan-');
    await chmod(tmp.dir, 0o755);
    worker = await startLanWorker(lab, tmp.dir, 'ipvlan');
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await lab?.destroy();
    await tmp?.remove();
  }, 60_000);

  it('deploys a decky with its own IP and the persona TTL; curl from the client reaches it', async () => {
    const ip = '198.51.100.31';
    const res = await worker.m.call('deckies.deploy', {
      hostUuid: worker.hostUuid,
      archetype: 'windows-workstation',
      deckies: [{ name: `ipv-t${process.pid}`, ip }],
    });
    const rows = await settled(worker.m, res.lifecycleIds, 30_000);
    expect(rows[0]?.status, rows[0]?.error ?? '').toBe('succeeded');
    const ping = await eventually(async () => {
      const r = await inNs(lab.client, 'ping', ['-c', '1', '-W', '3', ip]);
      return r.code === 0 ? r.out : undefined;
    });
    expect(ping).toContain('ttl=128');
    const r = await inNs(lab.client, 'nmap', ['-Pn', '-n', '-p', '445,3389', ip]);
    expect(r.out).toMatch(/445\/tcp\s+open/);
  }, 60_000);
});
