import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { settled, type TestMaster } from '../master/harness';
import { startLanWorker, type LanWorker } from '../network/lan-worker';
import { createLab, inNs, netnsUnavailable, sh, type Lab } from '../network/netns-lab';
import { dockerdUnavailable, startTestDockerd, type TestDockerd } from './test-dockerd';

const unavailable = (await netnsUnavailable()) ?? (await dockerdUnavailable());
if (unavailable) console.warn(`skipping the docker runtime test: ${unavailable}`);

/**
 * The docker runtime end to end: a private dockerd in the lab's worker namespace, the real agent
 * there with `--runtime docker` and the macvlan driver, a real master in the root namespace, and
 * real clients in the client namespace on the LAN. Container start times prove what was and was
 * not touched.
 */
describe.skipIf(unavailable !== null)('docker runtime on a namespace LAN', () => {
  let lab: Lab;
  let tmp: { dir: string; remove: () => Promise<void> };
  let dockerd: TestDockerd;
  let worker: LanWorker | undefined;
  let m: TestMaster;
  const pid = process.pid;
  const a = { name: `dka-t${pid}`, ip: '198.51.100.31' };
  const b = { name: `dkb-t${pid}`, ip: '198.51.100.32' };

  /** container name → StartedAt, for every container of the runtime. */
  const startTimes = async (): Promise<Record<string, string>> => {
    const ids = (await dockerd.docker(['ps', '-aq', '--filter', 'label=com.decnet.managed=true'])).out.trim();
    if (!ids) return {};
    const r = await dockerd.docker(['inspect', '--format', '{{.Name}} {{.State.StartedAt}}', ...ids.split('\n')]);
    return Object.fromEntries(
      r.out
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\//, '').split(' ') as [string, string]),
    );
  };
  const only = (times: Record<string, string>, decky: string) =>
    Object.fromEntries(Object.entries(times).filter(([n]) => n.startsWith(`decnet-${decky}-`)));
  const curlA = () =>
    inNs(lab.client, 'curl', ['-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', `http://${a.ip}/`]);

  beforeAll(async () => {
    lab = await createLab();
    tmp = await makeTmpDir('decnet-docker-');
    await chmod(tmp.dir, 0o755);
    dockerd = await startTestDockerd(lab.worker, join(tmp.dir, 'dockerd'));
    worker = await startLanWorker(lab, tmp.dir, 'macvlan', {
      env: { DECNET_AGENT_RUNTIME: 'docker', DOCKER_HOST: dockerd.host, DECNET_INSTALL_ROOT: join(tmp.dir, 'root') },
    });
    m = worker.m;
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    // Whatever a failed test left: containers first, then the daemon, then the namespaces.
    if (dockerd) {
      const ids = (await dockerd.docker(['ps', '-aq'])).out.trim();
      if (ids) await dockerd.docker(['rm', '-f', ...ids.split('\n')]);
      await dockerd.stop();
    }
    await lab?.destroy();
    await tmp?.remove();
  }, 120_000);

  it('deploys two deckies as compose projects the clients reach on the LAN, with the persona at the TCP/IP layer', async () => {
    const ids: string[] = [];
    const requests: Array<{ archetype: 'web-server' | 'windows-workstation'; services?: Array<'http' | 'ssh'> }> = [
      { archetype: 'web-server', services: ['http', 'ssh'] },
      { archetype: 'windows-workstation' },
    ];
    for (const [i, req] of requests.entries()) {
      const res = await m.call('deckies.deploy', { hostUuid: worker!.hostUuid, ...req, deckies: [[a, b][i]!] });
      ids.push(...res.lifecycleIds);
    }
    const rows = await settled(m, ids, 180_000);
    expect(rows.map((r) => `${r.deckyName}:${r.status}:${r.error ?? ''}`).sort()).toEqual(
      [`${a.name}:succeeded:`, `${b.name}:succeeded:`].sort(),
    );
    expect(Object.keys(await startTimes()).sort()).toEqual(
      [
        `decnet-${a.name}-base`,
        `decnet-${a.name}-http`,
        `decnet-${a.name}-ssh`,
        `decnet-${b.name}-base`,
        `decnet-${b.name}-rdp`,
        `decnet-${b.name}-smb`,
      ].sort(),
    );

    expect((await curlA()).out).toMatch(/^[2-5]\d\d$/);
    const banner = await inNs(lab.client, 'nc', ['-w', '5', a.ip, '22'], { timeoutMs: 10_000 });
    expect(banner.out).toMatch(/^SSH-2\.0-OpenSSH_/);
    const smb = await inNs(lab.client, 'smbclient', ['-N', '-L', `//${b.ip}`, '-m', 'SMB3', '-t', '10']);
    // Negotiated and refused the anonymous session, as the persona's server does.
    expect(smb.out).toContain('NT_STATUS_LOGON_FAILURE');

    // TTL of the persona's OS family (Windows 128, Linux 64) and a MAC that does not say "docker".
    const ttl = async (ip: string) =>
      /ttl=(\d+)/.exec((await inNs(lab.client, 'ping', ['-c', '1', '-W', '3', ip])).out)?.[1];
    expect(await ttl(a.ip)).toBe('64');
    expect(await ttl(b.ip)).toBe('128');
    const neigh = JSON.parse((await inNs(lab.client, 'ip', ['-j', 'neigh', 'show', 'dev', 'lan0'])).out) as Array<{
      dst: string;
      lladdr?: string;
    }>;
    for (const d of [a, b])
      expect(neigh.find((n) => n.dst === d.ip)?.lladdr).toMatch(/^(?!02:42:)[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

    // The generated compose files are valid for compose itself.
    const root = join(tmp.dir, 'state', 'hosts', 'docker');
    const dirs = await readdir(root);
    expect(dirs).toHaveLength(2);
    for (const d of dirs) {
      const r = await sh('docker-compose', ['-f', join(root, d, 'compose.json'), 'config', '-q'], {
        env: { DOCKER_HOST: dockerd.host },
      });
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    }
    await eventually(
      async () =>
        (await m.call('events.list', { limit: 1000 })).events.some((e) => e.decky === a.name && e.src === lab.clientIp),
      {
        timeoutMs: 20_000,
        what: 'an http event from the client at the master',
      },
    );
  }, 240_000);

  it('mutate changes only the mutated decky’s new container; teardown of one leaves the other running', async () => {
    const before = await startTimes();
    const { lifecycleId } = (await m.call('deckies.mutate', {
      deckyName: a.name,
      services: ['http', 'ssh', 'redis'],
    })) as { lifecycleId: string };
    expect((await settled(m, [lifecycleId], 120_000))[0]?.status).toBe('succeeded');
    const after = await startTimes();
    expect(after[`decnet-${a.name}-redis`]).toBeDefined();
    const { [`decnet-${a.name}-redis`]: _new, ...kept } = after;
    expect(kept).toEqual(before);
    const pong = await inNs(lab.client, 'redis-cli', ['-h', a.ip, 'PING'], { timeoutMs: 10_000 });
    expect(pong.out.trim()).toBe('PONG');

    const td = await m.call('deckies.teardown', { deckyName: b.name });
    expect((await settled(m, [td.lifecycleId], 120_000))[0]?.status).toBe('succeeded');
    const left = await startTimes();
    expect(only(left, b.name)).toEqual({});
    expect(left).toEqual(only(after, a.name));
  }, 240_000);

  it('kill -9 of the agent touches no container; the restarted agent reports them running and still forwards events', async () => {
    const before = await startTimes();
    await worker!.killAndRestart();
    await eventually(
      async () => (await m.call('deckies.list', {})).find((d) => d.config.name === a.name)?.state === 'running',
      { timeoutMs: 30_000, what: 'decky reported running by the restarted agent' },
    );
    expect(await startTimes()).toEqual(before);
    const since = new Date().toISOString();
    expect((await curlA()).out).toMatch(/^[2-5]\d\d$/);
    await eventually(
      async () =>
        (await m.call('events.list', { limit: 1000 })).events.some((e) => e.decky === a.name && e.ts >= since),
      { timeoutMs: 20_000, what: 'an event after the agent restart' },
    );
  }, 120_000);

  it('self-destruct removes every decky project, container and network, the topology’s included', async () => {
    const gw = `tgw-t${pid}`;
    const topo = await m.call('topologies.create', {
      name: `dk-maze-${pid}`,
      lans: [{ id: 'dmz', name: 'dmz', subnet: '198.51.100.0/24', isDmz: true }],
      deckies: [{ uuid: 'gw', name: gw, services: ['ssh'], ipsByLan: { dmz: '198.51.100.40' } }],
      edges: [{ id: 'e1', deckyUuid: 'gw', lanId: 'dmz' }],
    });
    await m.call('topologies.apply', { topologyId: topo.id, hostUuid: worker!.hostUuid });
    await eventually(async () => (await m.call('topologies.state', { topologyId: topo.id })).appliedVersionHash, {
      timeoutMs: 120_000,
      what: 'topology applied',
    });
    expect(Object.keys(only(await startTimes(), gw)).sort()).toEqual([`decnet-${gw}-base`, `decnet-${gw}-ssh`]);
    const banner = await inNs(lab.client, 'nc', ['-w', '5', '198.51.100.40', '22'], { timeoutMs: 10_000 });
    expect(banner.out).toMatch(/^SSH-2\.0-/);

    const res = await m.call('hosts.decommission', { hostUuid: worker!.hostUuid });
    expect(res.wiped).toBe(true);
    await eventually(
      async () =>
        (await dockerd.docker(['ps', '-aq'])).out.trim() === '' &&
        !(await dockerd.docker(['network', 'ls', '--format', '{{.Name}}'])).out.includes('decnet-'),
      { timeoutMs: 60_000, what: 'no decnet container or network left' },
    );
  }, 120_000);
});
