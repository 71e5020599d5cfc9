import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { AGENT_CLI, settled, type TestMaster } from '../master/harness';
import { startLanWorker, type LanWorker } from './lan-worker';
import { createLab, inNs, netnsUnavailable, type Lab } from './netns-lab';
import { sshPasswordFlags } from '../../helpers/ssh-client';

const unavailable = await netnsUnavailable();
if (unavailable) console.warn(`skipping the macvlan LAN test: ${unavailable}`);

const sshFlags = sshPasswordFlags;

/**
 * A worker namespace whose LAN is a veth, the real agent inside it with the shipped default
 * driver (macvlan, parent found from the default route), a real master in the root namespace over
 * a second veth pair, and a client namespace on the LAN playing the attacker.
 */
describe.skipIf(unavailable !== null)('macvlan deckies on a namespace LAN', () => {
  let lab: Lab;
  let tmp: { dir: string; remove: () => Promise<void> };
  let m: TestMaster;
  let worker: LanWorker | undefined;
  let hostUuid = '';
  const pid = process.pid;
  const deckies = [
    { name: `web-t${pid}`, ip: '198.51.100.21', archetype: 'web-server' as const, ttl: 64 },
    { name: `win-t${pid}`, ip: '198.51.100.22', archetype: 'windows-workstation' as const, ttl: 128 },
    { name: `prn-t${pid}`, ip: '198.51.100.23', archetype: 'printer' as const, ttl: 64 },
  ];

  beforeAll(async () => {
    lab = await createLab();
    tmp = await makeTmpDir('decnet-macvlan-');
    await chmod(tmp.dir, 0o755);
    worker = await startLanWorker(lab, tmp.dir, 'macvlan');
    m = worker.m;
    hostUuid = worker.hostUuid;
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await lab?.destroy();
    await tmp?.remove();
  }, 60_000);

  it('deploys three OS families, each with its own MAC and IP; ssh, curl and ftp credentials reach the master with the client as src', async () => {
    const ids: string[] = [];
    for (const d of deckies) {
      const res = await m.call('deckies.deploy', {
        hostUuid,
        archetype: d.archetype,
        deckies: [{ name: d.name, ip: d.ip }],
      });
      ids.push(...res.lifecycleIds);
    }
    const rows = await settled(m, ids, 60_000);
    expect(rows.map((r) => `${r.deckyName}:${r.status}:${r.error ?? ''}`)).toEqual(
      deckies.map((d) => `${d.name}:succeeded:`),
    );

    // Own address and own MAC on the LAN, as the client's ARP table sees them.
    for (const d of deckies) expect((await inNs(lab.client, 'ping', ['-c', '1', '-W', '3', d.ip])).code).toBe(0);
    const neigh = JSON.parse((await inNs(lab.client, 'ip', ['-j', 'neigh', 'show', 'dev', 'lan0'])).out) as Array<{
      dst: string;
      lladdr?: string;
    }>;
    const macs = deckies.map((d) => neigh.find((n) => n.dst === d.ip)?.lladdr);
    expect(macs.every((x) => typeof x === 'string')).toBe(true);
    const workerMac = JSON.parse((await inNs(lab.worker, 'ip', ['-j', 'link', 'show', 'lan0'])).out)[0]
      .address as string;
    expect(new Set([...macs, workerMac]).size).toBe(4);

    const web = deckies[0]!;
    const askpass = join(tmp.dir, 'askpass');
    await writeFile(askpass, `#!/bin/sh\necho 'ssh-pw-${pid}'\n`);
    await chmod(askpass, 0o755);
    const ssh = await inNs(lab.client, 'ssh', [...sshFlags, `admin@${web.ip}`, 'id'], {
      env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    });
    expect(ssh.out).toContain('Permission denied');
    const curl = await inNs(lab.client, 'curl', [
      '-s',
      '-m',
      '10',
      '-d',
      `username=web&password=http-pw-${pid}`,
      `http://${web.ip}/login`,
    ]);
    expect(curl.out).toContain('Invalid username or password.');
    const ftp = await inNs(lab.client, 'lftp', [
      '-u',
      `ftpuser,ftp-pw-${pid}`,
      '-e',
      'set net:max-retries 1; set net:timeout 5; ls; bye',
      `ftp://${deckies[2]!.ip}`,
    ]);
    expect(ftp.out).toContain('530');

    const found = (service: string, secret: string, decky: string) => (e: AttackerEvent) =>
      e.decky === decky && e.service === service && e.src === lab.clientIp && JSON.stringify(e.data).includes(secret);
    await eventually(
      async () => {
        const { events } = await m.call('events.list', { limit: 5000 });
        return (
          events.some(found('ssh', `ssh-pw-${pid}`, web.name)) &&
          events.some(found('http', `http-pw-${pid}`, web.name)) &&
          events.some(found('ftp', `ftp-pw-${pid}`, deckies[2]!.name))
        );
      },
      { timeoutMs: 20_000, what: 'credentials at the master with the client as src' },
    );
  }, 120_000);

  it('nmap -sV names the products and each decky answers with its family TTL (nmap -O)', async () => {
    const sv = await inNs(
      lab.client,
      'nmap',
      ['-sV', '-Pn', '-n', '--version-light', '-p', '21,22,80', deckies[0]!.ip],
      { timeoutMs: 120_000 },
    );
    expect(sv.out).toMatch(/22\/tcp\s+open\s+ssh\s+OpenSSH/);
    expect(sv.out).toMatch(/21\/tcp\s+open\s+ftp\s+vsftpd/);
    expect(sv.out).toMatch(/80\/tcp\s+open\s+http\s+Apache httpd/);
    for (const d of deckies) {
      const ping = await inNs(lab.client, 'ping', ['-c', '1', '-W', '3', d.ip]);
      expect(ping.out, d.name).toContain(`ttl=${d.ttl}`);
      const os = await inNs(
        lab.client,
        'nmap',
        ['-O', '-Pn', '-n', '-d', '--osscan-guess', '--max-os-tries', '1', d.ip],
        { timeoutMs: 180_000 },
      );
      // The fingerprint's T= fields carry the initial TTL nmap inferred (hex): 40 = 64, 80 = 128.
      const ttls = [...os.out.matchAll(/\bT=([0-9A-F]{1,2})\b/g)].map((x) => parseInt(x[1]!, 16));
      const guess = /(?:OS details|Aggressive OS guesses|Running[^:]*): (.*)/.exec(os.out)?.[1] ?? 'no guess';
      console.log(
        `nmap -O ${d.archetype} (${d.ip}): initial TTL ${[...new Set(ttls)].join('/') || '?'}; ${guess.slice(0, 160)}`,
      );
      expect(ttls.length, os.out.slice(-2000)).toBeGreaterThan(0);
      for (const t of ttls) expect(t, d.name).toBe(d.ttl);
    }
  }, 600_000);

  it('the worker reaches its deckies through the shim', async () => {
    for (const d of deckies) {
      const r = await inNs(lab.worker, 'ping', ['-c', '1', '-W', '3', d.ip]);
      expect(r.code, `${d.name}: ${r.out}`).toBe(0);
    }
    const curl = await inNs(lab.worker, 'curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-m',
      '10',
      `http://${deckies[0]!.ip}/`,
    ]);
    expect(curl.out).toMatch(/^[2-4]\d\d$/);
  }, 60_000);

  it('plans from the reported subnet, re-localises a plan for another subnet and shows the new address', async () => {
    const hosts = await m.call('hosts.list', {});
    const me = hosts.find((h) => h.uuid === hostUuid)!;
    expect(me.network?.reported).toMatchObject({
      driver: 'macvlan',
      interface: 'lan0',
      address: lab.workerLanIp,
      subnet: '198.51.100.0/24',
      gateway: '198.51.100.1',
    });
    expect(me.agentPort).toBe(me.network?.reported?.listenPort);
    const planned = await m.call('deckies.deploy', {
      hostUuid,
      services: ['http'],
      deckies: [{ name: `pln-t${pid}` }],
    });
    const moved = await m.call('deckies.deploy', {
      hostUuid,
      services: ['http'],
      deckies: [{ name: `mov-t${pid}`, ip: '127.77.9.9' }],
    });
    const rows = await settled(m, [...planned.lifecycleIds, ...moved.lifecycleIds], 30_000);
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const list = await eventually(
      async () => {
        const l = await m.call('deckies.list', {});
        const mv = l.find((d) => d.config.name === `mov-t${pid}`);
        return mv && mv.config.ip !== '127.77.9.9' ? l : undefined;
      },
      { what: 're-localised address shown', timeoutMs: 20_000 },
    );
    const ips = new Map(list.map((d) => [d.config.name, d.config.ip]));
    for (const n of [`pln-t${pid}`, `mov-t${pid}`]) {
      const a = ips.get(n)!;
      expect(a).toMatch(/^198\.51\.100\.\d+$/);
      expect([lab.workerLanIp, '198.51.100.1', lab.clientIp, ...deckies.map((d) => d.ip)]).not.toContain(a);
      const curl = await inNs(lab.client, 'curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-m',
        '10',
        `http://${a}/`,
      ]);
      expect(curl.out, n).toMatch(/^[2-4]\d\d$/);
    }
    expect(ips.get(`pln-t${pid}`)).not.toBe(ips.get(`mov-t${pid}`));
  }, 90_000);

  it('decnet-agent doctor checks the parent interface, the kernel driver and CAP_NET_ADMIN, each with its fix', async () => {
    const doctor = (network: string) =>
      inNs(lab.worker, process.execPath, [
        AGENT_CLI,
        'doctor',
        '--dir',
        join(tmp.dir, 'identity'),
        '--state-dir',
        join(tmp.dir, 'state'),
        '--listen',
        '127.0.0.1:0',
        '--network',
        network,
      ]);
    const mac = await doctor('macvlan');
    expect(mac.out).toMatch(/ok +CAP_NET_ADMIN/);
    expect(mac.out).toMatch(/ok +parent interface +lan0 198\.51\.100\.2\/24 via 198\.51\.100\.1/);
    expect(mac.out).toMatch(/ok +kernel macvlan +the kernel creates macvlan links on lan0/);
    const ipv = await doctor('ipvlan');
    // Either the kernel has ipvlan, or the failure names the fix.
    expect(ipv.out).toMatch(
      /ok +kernel ipvlan|FAIL +kernel ipvlan +cannot create a ipvlan link on lan0 .*modprobe ipvlan/,
    );
    expect((await inNs(lab.worker, 'ip', ['-j', 'link'])).out).not.toContain('dnchk');
  }, 60_000);

  it('teardown removes the decky namespace and its shim route', async () => {
    const d = deckies[1]!;
    const { lifecycleId } = await m.call('deckies.teardown', { deckyName: d.name });
    await settled(m, [lifecycleId], 30_000);
    await eventually(async () => !(await inNs(lab.worker, 'ip', ['netns', 'list'])).out.includes(`decnet-${d.name}`), {
      what: 'namespace gone',
    });
    expect((await inNs(lab.worker, 'ip', ['route', 'show', `${d.ip}/32`])).out.trim()).toBe('');
  }, 60_000);
});
