import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killDeckyHostsUnder } from '../../helpers/decky-hosts';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { settled, startMaster, type TestMaster } from '../master/harness';
import { createLab, inNs, netnsUnavailable, sh, type Lab } from './netns-lab';

const unavailable = await netnsUnavailable();
if (unavailable) console.warn(`skipping the tarball-on-a-LAN test: ${unavailable}`);

/** KEY=VALUE lines of a systemd EnvironmentFile (comments and blanks skipped). */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * What an operator does on a plain LAN: install the worker tarball with its defaults (macvlan,
 * parent from the default route, listen 0.0.0.0:8765, addresses from the LAN's own subnet), enroll
 * with the join token the console shows, start the agent as its unit would (ExecStart with the
 * installed EnvironmentFile), and deploy from the console without naming an address. An attacker
 * namespace on the same LAN then reaches the decky at an address of the LAN, with its own MAC.
 */
describe.skipIf(unavailable !== null)('the agent tarball installed with its defaults on a namespace LAN', () => {
  let lab: Lab;
  let tmp: { dir: string; remove: () => Promise<void> };
  let master: TestMaster | null = null;
  let stopAgent: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-pkg-lan-');
    // Decky host processes run under the install root: every directory on the path must be traversable.
    await chmod(tmp.dir, 0o755);
    lab = await createLab();
  }, 60_000);

  afterAll(async () => {
    await stopAgent();
    await master?.stop();
    // Deckies outlive their agent by design: stop them before their namespaces go.
    if (tmp) killDeckyHostsUnder(tmp.dir);
    await lab?.destroy();
    await tmp?.remove();
  }, 60_000);

  it('deploys a decky that a client on the LAN reaches at a LAN address with its own MAC', async () => {
    const pkg = spawnSync(process.execPath, ['scripts/package-agent.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, DECNET_DATA_DIR: join(tmp.dir, 'console') },
    });
    expect(pkg.status, pkg.stderr).toBe(0);
    const tarball = /^(dist\/\S+\.tar\.gz)/m.exec(pkg.stdout)![1]!;
    expect((await sh('tar', ['-xzf', tarball, '-C', tmp.dir])).code).toBe(0);
    const pkgDir = join(
      tmp.dir,
      (await readdir(tmp.dir)).find((d) => d.startsWith('decnet-agent-'))!,
    );
    const shipped = parseEnvFile(await readFile(join(pkgDir, 'etc/agent.env'), 'utf8'));
    expect(shipped).toMatchObject({ DECNET_AGENT_NETWORK: 'macvlan', DECNET_AGENT_LISTEN: '0.0.0.0:8765' });

    // The master dials workers on the shipped agent port; the worker's own namespace has it free.
    master = await startMaster({
      dataDir: join(tmp.dir, 'master'),
      agentPort: 8765,
      env: { DECNET_SWARM_HOST: lab.masterIp, DECNET_SWARM_ADVERTISE: lab.masterIp },
    });
    const name = `pkg-lan-t${process.pid}`;
    const enrolled = await master.call('hosts.enroll', { name, address: lab.workerCtlIp });
    const root = join(tmp.dir, 'root');
    await mkdir(root);
    const install = await inNs(
      lab.worker,
      join(pkgDir, 'install.sh'),
      ['--master', master.started.swarm.url, '--token', enrolled.token, '--name', name, '--address', lab.workerCtlIp],
      { env: { DECNET_INSTALL_ROOT: root }, timeoutMs: 60_000 },
    );
    expect(install.code, install.out).toBe(0);
    const installed = parseEnvFile(await readFile(join(root, 'etc/decnet/agent.env'), 'utf8'));
    expect(installed).toEqual(shipped);

    // As decnet-agent.service runs it: ExecStart=/usr/local/bin/decnet-agent run with the
    // EnvironmentFile. Only the heartbeat interval is shortened, so the test need not wait 30 s.
    const agent = spawn('ip', ['netns', 'exec', lab.worker, join(root, 'usr/local/bin/decnet-agent'), 'run'], {
      env: { ...process.env, ...installed, DECNET_INSTALL_ROOT: root, DECNET_HEARTBEAT_INTERVAL_S: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: tmp.dir,
    });
    let out = '';
    agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    agent.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    stopAgent = async () => {
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill('SIGTERM');
        await exited;
      }
    };
    const m = master;
    await eventually(
      async () => {
        if (agent.exitCode !== null) throw new Error(`agent exited: ${out}`);
        const h = (await m.call('hosts.list', {})).find((x) => x.uuid === enrolled.hostUuid);
        return h?.liveness === 'online' && h.network?.reported !== undefined;
      },
      { timeoutMs: 30_000, what: `installed agent online and reporting its LAN (${out})` },
    );

    // No address given: the planner takes one from the LAN the worker reported.
    const deployed = await m.call('deckies.deploy', {
      hostUuid: enrolled.hostUuid,
      services: ['http'],
      distro: 'debian',
      deckies: [{ name: `web-t${process.pid}` }],
    });
    const [row] = await settled(m, deployed.lifecycleIds, 60_000);
    expect(row, `${row?.error ?? ''}\n${out}`).toMatchObject({ status: 'succeeded' });
    const decky = (await m.call('deckies.list', {})).find((d) => d.config.name === `web-t${process.pid}`)!;
    expect(decky.config.ip).toMatch(/^198\.51\.100\.\d+$/);
    expect([lab.workerLanIp, '198.51.100.1', lab.clientIp]).not.toContain(decky.config.ip);

    const curl = await inNs(lab.client, 'curl', [
      '-sS',
      '-m',
      '10',
      '-o',
      '/dev/null',
      '-D',
      '-',
      `http://${decky.config.ip}/`,
    ]);
    expect(curl.out).toMatch(/Server: Apache\/2\.4\.\d+ \(Debian\)/);
    const neigh = JSON.parse((await inNs(lab.client, 'ip', ['-j', 'neigh', 'show', decky.config.ip])).out) as Array<{
      lladdr?: string;
    }>;
    const workerMac = JSON.parse((await inNs(lab.worker, 'ip', ['-j', 'link', 'show', 'lan0'])).out)[0]
      .address as string;
    expect(neigh[0]?.lladdr).toMatch(/^[0-9a-f:]{17}$/);
    expect(neigh[0]?.lladdr).not.toBe(workerMac);
  }, 180_000);
});
