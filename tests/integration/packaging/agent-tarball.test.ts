import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startMaster, type TestMaster } from '../master/harness';

const run = promisify(execFile);
let tmp: { dir: string; remove: () => Promise<void> };
let tarball = '';
let pkgDir = '';

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-pkg-');
  // The release key is made on first use under DECNET_DATA_DIR/ca: a temp dir, never the home dir.
  const r = spawnSync(process.execPath, ['scripts/package-agent.mjs'], {
    encoding: 'utf8',
    env: { ...process.env, DECNET_DATA_DIR: join(tmp.dir, 'console') },
  });
  expect(r.status, r.stderr).toBe(0);
  const m = /^(dist\/\S+\.tar\.gz)/m.exec(r.stdout);
  tarball = m![1]!;
  await run('tar', ['-xzf', tarball, '-C', tmp.dir]);
  pkgDir = join(
    tmp.dir,
    (await readdir(tmp.dir)).find((d) => d.startsWith('decnet-agent-'))!,
  );
}, 120_000);

afterAll(async () => tmp?.remove());

describe('agent tarball contents', () => {
  it('holds the bundle, scripts, unit, config and checksums, and nothing else', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter((f) => f && !f.endsWith('/'))
      .map((f) => f.replace(/^[^/]+\//, ''))
      .sort();
    expect(files).toEqual([
      'SHA256SUMS',
      'VERSION',
      'bin/decnet-agent',
      'etc/agent.env',
      'install.sh',
      'lib/cli.js',
      'lib/decky-host.js',
      'lib/netns-binder.js',
      'lib/package.json',
      'systemd/decnet-agent.service',
      'systemd/decnet-updater.service',
      'uninstall.sh',
    ]);
    const bundle = await readFile(join(pkgDir, 'lib', 'cli.js'), 'utf8');
    expect(bundle).not.toMatch(/sourceMappingURL/);
    expect(bundle).not.toMatch(/BEGIN (EC |RSA )?PRIVATE KEY-----\n[A-Za-z0-9+/]/);
    expect(bundle).not.toMatch(/\bvitest\b|fast-check/);
    const { status } = spawnSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: pkgDir });
    expect(status).toBe(0);
  });
});

describe('install, enroll, deploy, decommission from the tarball', () => {
  let master: TestMaster | null = null;
  afterAll(async () => master?.stop());

  it('installs under an install root, runs from there, serves a decky, and is wiped on decommission', async () => {
    const root = join(tmp.dir, 'root');
    await mkdir(root);
    const ip = loopbackBlock();
    const agentIp = ip(1);
    const agentPort = await freePort();
    master = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
    const enrolled = await master.call('hosts.enroll', { name: 'pkg-worker', address: agentIp });
    expect(enrolled.command).toContain('decnet-agent enroll');
    // The console hands out this very tarball next to the enroll line.
    const pkg = await master.call('hosts.agentPackage', {});
    expect(pkg.fileName).toBe(basename(tarball));
    expect(pkg.sha256).toBe(
      createHash('sha256')
        .update(await readFile(tarball))
        .digest('hex'),
    );

    const env = { ...process.env, DECNET_INSTALL_ROOT: root };
    const install = await run(
      join(pkgDir, 'install.sh'),
      ['--master', master.started.swarm.url, '--token', enrolled.token, '--name', 'pkg-worker', '--address', agentIp],
      { env },
    );
    expect(install.stdout).toContain('installed decnet-agent');
    for (const p of [
      'opt/decnet/current/lib/cli.js',
      'usr/local/bin/decnet-agent',
      'etc/decnet/agent/worker.key',
      'etc/systemd/system/decnet-agent.service',
    ]) {
      expect(existsSync(join(root, p)), p).toBe(true);
    }
    await writeFile(join(root, 'var/log/decnet/agent.log'), 'kept\n');

    const bin = join(root, 'usr/local/bin/decnet-agent');
    const agent = spawn(bin, ['run', '--listen', `${agentIp}:${agentPort}`, '--network', 'loopback'], {
      env: { ...env, DECNET_HEARTBEAT_INTERVAL_S: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: tmp.dir,
    });
    let out = '';
    agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    agent.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    try {
      await eventually(
        async () =>
          (await master!.call('hosts.list', {})).find((h) => h.uuid === enrolled.hostUuid)?.liveness === 'online',
        { timeoutMs: 20_000, what: `installed agent online (${out})` },
      );

      const deployed = await master.call('deckies.deploy', {
        hostUuid: enrolled.hostUuid,
        count: 1,
        services: ['http'],
        distro: 'debian',
        deckies: [{ name: 'pkg-web', ip: ip(20) }],
      });
      const [row] = await settled(master, deployed.lifecycleIds);
      expect(row, row?.error ?? '').toMatchObject({ status: 'succeeded', deckyName: 'pkg-web' });
      const curl = await run('curl', ['-sS', '-o', '/dev/null', '-D', '-', `http://${ip(20)}/`]);
      expect(curl.stdout).toMatch(/Server: Apache\/2\.4\.\d+ \(Debian\)/);

      const decommissioned = await master.call('hosts.decommission', { hostUuid: enrolled.hostUuid });
      expect(decommissioned.wiped).toBe(true);
      await exited;
      await eventually(
        () =>
          ['opt/decnet', 'usr/local/bin/decnet-agent', 'etc/decnet', 'etc/systemd/system/decnet-agent.service'].every(
            (p) => !existsSync(join(root, p)),
          ),
        { timeoutMs: 30_000, what: 'reaper removed the install' },
      );
      expect(await readFile(join(root, 'var/log/decnet/agent.log'), 'utf8')).toBe('kept\n');
      expect(await readdir(join(root, 'var/lib/decnet'))).toEqual([]);
    } finally {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
  });
});
