import { execFile } from 'node:child_process';
import { mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReleaseKey, spkiDerOf, type ReleaseKey } from '../../../main/core/updater/release-key';
import { createUpdaterClient, type UpdaterClient } from '../../../main/core/updater/updater-client';
import { terminalJobStates, type UpdateJob } from '../../../shared/protocol/updater-api';
import { rawTarGz, releaseEntries, signedPush } from '../../fixtures/release-tarball';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  killHostsByRegistry,
  type Pki,
  type Receiver,
  startReceiver,
  writeWorker,
} from '../agent/harness';
import { sshBanner, startPoller } from '../agent/restart-poller';
import { freePort, loopbackBlock } from '../master/harness';
import { packageRelease, type BuiltRelease } from './package-release';
import { startUpdaterProcess, type UpdaterProcess } from './updater-process';

const run = promisify(execFile);

/**
 * The whole update path with real processes: release A installed by its install.sh, the updater of
 * A supervising A's agent, B pushed and taken, a broken C pushed and rolled back on its own, and a
 * decky deployed under A answering a polling client throughout.
 */
describe('worker update: A → B succeeds, broken C rolls back to B, the decky never stops answering', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let pki: Pki;
  let receiver: Receiver;
  let key: ReleaseKey;
  let a: BuiltRelease;
  let b: BuiltRelease;
  let updater: UpdaterProcess | null = null;
  let client: UpdaterClient | null = null;
  const stateDir = () => join(tmp.dir, 'root', 'var', 'lib', 'decnet');

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-update-');
    const dataDir = join(tmp.dir, 'console');
    pki = await createPki(dataDir);
    key = await ensureReleaseKey(join(dataDir, 'ca'));
    receiver = await startReceiver(pki);
    const out = join(tmp.dir, 'dist');
    a = await packageRelease({ version: '0.0.1-a', outDir: out, dataDir });
    b = await packageRelease({ version: '0.0.2-b', outDir: out, dataDir });
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    await updater?.stop();
    if (tmp) await killHostsByRegistry(stateDir()).catch(() => 0);
    await receiver?.stop();
    await tmp?.remove();
  });

  const until = async (c: UpdaterClient, job: UpdateJob, timeoutMs = 60_000): Promise<UpdateJob> =>
    eventually(
      async () => {
        const j = await c.job(job.id);
        return (terminalJobStates as readonly string[]).includes(j.state) ? j : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `job ${job.id} to ${job.toVersion} finished` },
    );

  it('updates, rolls back on its own, and the decky answers every poll', async () => {
    const root = join(tmp.dir, 'root');
    await mkdir(join(tmp.dir, 'unpack'));
    await run('tar', ['-xzf', a.tarball, '-C', join(tmp.dir, 'unpack')]);
    await run(join(tmp.dir, 'unpack', 'decnet-agent-0.0.1-a', 'install.sh'), [], {
      env: { ...process.env, DECNET_INSTALL_ROOT: root },
    });
    const identityDir = join(root, 'etc', 'decnet', 'agent');
    const worker = await writeWorker(pki, identityDir, receiver.url);
    const [agentPort, updaterPort] = [await freePort(), await freePort()];
    updater = await startUpdaterProcess({
      root,
      port: updaterPort,
      env: {
        DECNET_AGENT_DIR: identityDir,
        DECNET_STATE_DIR: stateDir(),
        DECNET_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
        DECNET_AGENT_NETWORK: 'loopback',
        DECNET_HEARTBEAT_INTERVAL_S: '1',
        // The 60 s and 10 min, shortened so the test takes seconds.
        DECNET_UPDATER_HEALTH_TIMEOUT_S: '30',
        DECNET_UPDATER_WATCH_S: '3',
        DECNET_UPDATER_PROBE_MS: '200',
      },
    });
    client = createUpdaterClient({
      identity: pki.master,
      host: { name: 'up-worker', address: '127.0.0.1', port: updaterPort, fingerprint: worker.fingerprint },
      env: {},
    });
    const agentHealth = async () => {
      const api = agentCaller(pki, worker.fingerprint, agentPort);
      try {
        return (await api.call('GET', '/health')).body as { version: string };
      } finally {
        await api.close();
      }
    };
    await eventually(async () => (await agentHealth()).version === '0.0.1-a', {
      what: `agent A up (${updater.output()})`,
      timeoutMs: 20_000,
    });

    const ip = loopbackBlock()(10);
    const api = agentCaller(pki, worker.fingerprint, agentPort);
    expect((await api.call('POST', '/deploy', deployBody([deckyConfig('up-01', ip, ['ssh'])]))).status).toBe(202);
    await api.close();
    // Polling starts once the decky is up: from then on, every poll must succeed.
    await eventually(() => sshBanner(ip).then(() => true), { what: 'the decky is up', timeoutMs: 20_000 });
    const poller = startPoller(ip);
    await eventually(() => poller.polls() >= 3, { what: 'the decky answers', timeoutMs: 20_000 });

    const proof = {
      releaseKeyPem: key.publicKeyPem,
      endorsementBase64: (await pki.ca.endorseReleaseKey(spkiDerOf(key.publicKeyPem))).toString('base64'),
    };
    const toB = await client.pushUpdate(b.tarball, b.sha256, b.signatureBase64, proof);
    expect(toB).toMatchObject({ kind: 'update', state: 'running', fromVersion: '0.0.1-a', toVersion: '0.0.2-b' });
    const doneB = await until(client, toB);
    expect(doneB, doneB.reason ?? '').toMatchObject({ state: 'succeeded', toVersion: '0.0.2-b' });
    expect((await agentHealth()).version).toBe('0.0.2-b');
    expect(await readlink(join(root, 'opt', 'decnet', 'current'))).toBe('releases/0.0.2-b');
    expect(await readlink(join(root, 'opt', 'decnet', 'previous'))).toBe('releases/0.0.1-a');

    // C is signed and well formed, but its agent exits at once: a crash loop, then B again.
    const c = rawTarGz(releaseEntries('0.0.3-c', 'process.exit(3);\n'));
    const pushC = await signedPush(pki.ca, key, c);
    const toC = await client.pushUpdate(c, pushC.sha256, pushC.signatureBase64, pushC);
    const doneC = await until(client, toC);
    expect(doneC.state, doneC.reason ?? '').toBe('rolled_back');
    expect(doneC.reason).toMatch(/crash loop.*rolled back to 0\.0\.2-b/);
    expect((await agentHealth()).version).toBe('0.0.2-b');
    expect(await client.health()).toMatchObject({ current: '0.0.2-b', job: { id: toC.id, state: 'rolled_back' } });

    const polls = poller.polls();
    await eventually(() => poller.polls() >= polls + 3, { what: 'polls after the rollback' });
    await poller.stop();
    expect(poller.failures).toEqual([]);
  }, 120_000);
});
