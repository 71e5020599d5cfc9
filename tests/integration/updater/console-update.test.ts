import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReleaseKey, signRelease } from '../../../main/core/updater/release-key';
import type { HostUpdateView } from '../../../shared/domain/agent-update';
import { rawTarGz, releaseEntries } from '../../fixtures/release-tarball';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { killHostsByRegistry } from '../agent/harness';
import { sshBanner, startPoller } from '../agent/restart-poller';
import { freePort, loopbackBlock, settled, startMaster, type TestMaster } from '../master/harness';
import { packageRelease } from './package-release';
import { startUpdaterProcess, type UpdaterProcess } from './updater-process';

const run = promisify(execFile);

/**
 * The "Done when", through the console's commands (the dispatcher IPC and the console RPC
 * share): a worker installed from release A and enrolled with a token, B (the tarball the console
 * ships) pushed with hosts.update, a broken C (chosen from disk, signed) rolled back to B by the
 * updater on its own, then hosts.updateAll stopping at that failure, and a decky deployed under A
 * answering an SSH poll every 100 ms throughout.
 */
describe('console: hosts.update / hosts.updateAll against a real worker', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let master: TestMaster | null = null;
  let updater: UpdaterProcess | null = null;
  let dataDir = '';
  let dist = '';
  let tarballA = '';
  const root = () => join(tmp.dir, 'root');
  const stateDir = () => join(root(), 'var', 'lib', 'decnet');

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-console-update-');
    dataDir = join(tmp.dir, 'console');
    dist = join(tmp.dir, 'dist');
    tarballA = (await packageRelease({ version: '0.0.1-a', outDir: join(tmp.dir, 'dist-a'), dataDir })).tarball;
    await packageRelease({ version: '0.0.2-b', outDir: dist, dataDir });
  }, 120_000);
  afterAll(async () => {
    await updater?.stop();
    await master?.stop();
    if (tmp) await killHostsByRegistry(stateDir()).catch(() => 0);
    await tmp?.remove();
  });

  it('A → B succeeds, broken C rolls back to B, updateAll stops at C, the decky answers every poll', async () => {
    const ip = loopbackBlock();
    const [agentPort, updaterPort] = [await freePort(), await freePort()];
    master = await startMaster({
      dataDir,
      agentPort,
      agentPackageDir: dist,
      env: { DECNET_UPDATER_PORT: String(updaterPort) },
    });
    const m = master;
    const enrolled = await m.call('hosts.enroll', { name: 'upd-worker', address: '127.0.0.1' });
    await mkdir(join(tmp.dir, 'unpack'));
    await run('tar', ['-xzf', tarballA, '-C', join(tmp.dir, 'unpack')]);
    await run(
      join(tmp.dir, 'unpack', 'decnet-agent-0.0.1-a', 'install.sh'),
      ['--master', m.started.swarm.url, '--token', enrolled.token, '--name', 'upd-worker', '--address', '127.0.0.1'],
      { env: { ...process.env, DECNET_INSTALL_ROOT: root() } },
    );
    updater = await startUpdaterProcess({
      root: root(),
      port: updaterPort,
      env: {
        DECNET_AGENT_DIR: join(root(), 'etc', 'decnet', 'agent'),
        DECNET_STATE_DIR: stateDir(),
        DECNET_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
        DECNET_AGENT_NETWORK: 'loopback',
        DECNET_HEARTBEAT_INTERVAL_S: '1',
        DECNET_UPDATER_HEALTH_TIMEOUT_S: '30',
        DECNET_UPDATER_WATCH_S: '3',
        DECNET_UPDATER_PROBE_MS: '200',
      },
    });
    const view = async (): Promise<HostUpdateView> =>
      (await m.call('hosts.updates', {})).hosts.find((h) => h.hostUuid === enrolled.hostUuid)!;
    await eventually(async () => (await view()).agentVersion === '0.0.1-a', {
      what: `worker online on A (${updater.output()})`,
      timeoutMs: 20_000,
    });

    const deckyIp = ip(20);
    const deployed = await m.call('deckies.deploy', {
      hostUuid: enrolled.hostUuid,
      count: 1,
      services: ['ssh'],
      distro: 'debian',
      deckies: [{ name: 'upd-ssh', ip: deckyIp }],
    });
    const [row] = await settled(m, deployed.lifecycleIds);
    expect(row, row?.error ?? '').toMatchObject({ status: 'succeeded' });
    await eventually(() => sshBanner(deckyIp).then(() => true), { what: 'the decky is up' });
    const poller = startPoller(deckyIp);

    // B: the tarball the console ships (dist/ with its .sha256 and .sig).
    const { job: toB } = await m.call('hosts.update', { hostUuid: enrolled.hostUuid });
    expect(toB).toMatchObject({ state: 'running', fromVersion: '0.0.1-a', toVersion: '0.0.2-b' });
    await expect(m.call('hosts.update', { hostUuid: enrolled.hostUuid })).rejects.toThrow(/already being updated/);
    const afterB = await eventually(
      async () => {
        const v = await view();
        return v.lastResult && v.state === 'idle' && v.agentVersion === '0.0.2-b' ? v : undefined;
      },
      { what: 'B succeeded and the agent reports it', timeoutMs: 60_000 },
    );
    expect(afterB.lastResult).toMatchObject({ state: 'succeeded', toVersion: '0.0.2-b' });

    // C: chosen from disk, signed with the console's release key, but its agent exits at once.
    const c = rawTarGz(releaseEntries('0.0.3-c', 'process.exit(3);\n'));
    const sig = signRelease(c, await ensureReleaseKey(join(dataDir, 'ca')));
    const release = { fileName: 'c.tar.gz', tarballBase64: c.toString('base64'), signatureBase64: sig.signatureBase64 };
    // Signed with another console's key: refused by the console itself, before the worker is contacted.
    const foreign = signRelease(c, await ensureReleaseKey(join(tmp.dir, 'other-console', 'ca')));
    await expect(
      m.call('hosts.update', {
        hostUuid: enrolled.hostUuid,
        release: { ...release, signatureBase64: foreign.signatureBase64 },
      }),
    ).rejects.toThrow(/not signed with this console's release key: build it with DECNET_DATA_DIR=/);
    expect((await view()).lastResult?.toVersion).toBe('0.0.2-b');
    await m.call('hosts.update', { hostUuid: enrolled.hostUuid, release });
    const afterC = await eventually(
      async () => {
        const v = await view();
        return v.state === 'idle' && v.lastResult?.toVersion === '0.0.3-c' ? v : undefined;
      },
      { what: 'C ended', timeoutMs: 60_000 },
    );
    expect(afterC.lastResult?.state, afterC.lastResult?.reason ?? '').toBe('rolled_back');
    expect(afterC.lastResult?.reason).toMatch(/crash loop.*rolled back to 0\.0\.2-b/);
    await eventually(async () => (await view()).agentVersion === '0.0.2-b', { what: 'B reported again' });

    // Update all with C: the rollout stops at the first (here the only) failure and names it.
    const rollout = await m.call('hosts.updateAll', { waveSize: 1, release });
    expect(rollout).toMatchObject({ state: 'running', pending: [enrolled.hostUuid] });
    const stopped = await eventually(
      async () => {
        const r = (await m.call('hosts.updates', {})).rollout;
        return r?.state === 'stopped' ? r : undefined;
      },
      { what: 'rollout stopped', timeoutMs: 60_000 },
    );
    expect(stopped.failed?.reason).toMatch(/upd-worker: rolled_back/);
    expect(stopped.updated).toEqual([]);

    const polls = poller.polls();
    await eventually(() => poller.polls() >= polls + 3, { what: 'polls after the updates' });
    await poller.stop();
    expect(poller.failures).toEqual([]);
    expect(poller.polls()).toBeGreaterThan(50);
  }, 180_000);
});
