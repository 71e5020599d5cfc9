import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReleaseKey, spkiDerOf, type ReleaseKey } from '../../../main/core/updater/release-key';
import { createUpdaterClient, type UpdaterClient } from '../../../main/core/updater/updater-client';
import type { AppError } from '../../../shared/errors';
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

/** Everything under opt/decnet: paths, sizes and link targets, to prove a refusal changed nothing. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const s = await lstat(p);
    if (s.isSymbolicLink()) out.push(`${p} -> ${await readlink(p)}`);
    else if (s.isDirectory()) out.push(`${p}/`, ...(await snapshot(p)));
    else out.push(`${p} ${s.size} ${s.mtimeMs}`);
  }
  return out;
}

/** The agent `run` process the launcher supervises (its child), by pid. */
async function agentPid(launcherPid: number): Promise<number> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(launcherPid)]);
  const line = stdout.split('\n').find((l) => / run$/.test(l.trim()));
  if (!line) throw new Error(`no agent child of ${launcherPid}: ${stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

/**
 * update-self with real processes: release A installed by its install.sh, A's launcher running
 * A's updater and A's agent; the updater pushed to B (the agent untouched, same pid), a broken C
 * (its updater exits at start) and a hanging D (never answers) falling back to B on its own, the
 * agent then updated to B through the launcher, and a decky answering throughout.
 */
describe('updater self-update: A → B, a broken C and a hanging D fall back to B, the agent is never restarted', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let pki: Pki;
  let receiver: Receiver;
  let key: ReleaseKey;
  let a: BuiltRelease;
  let b: BuiltRelease;
  let launcher: UpdaterProcess | null = null;
  let client: UpdaterClient | null = null;
  const stateDir = () => join(tmp.dir, 'root', 'var', 'lib', 'decnet');

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-update-self-');
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
    await launcher?.stop();
    if (tmp) await killHostsByRegistry(stateDir()).catch(() => 0);
    await receiver?.stop();
    await tmp?.remove();
  });

  // The updater is away while it restarts: job() fails then, and is asked again.
  const until = async (c: UpdaterClient, job: UpdateJob): Promise<UpdateJob> =>
    eventually(
      async () => {
        const j = await c.job(job.id);
        return (terminalJobStates as readonly string[]).includes(j.state) ? j : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `job ${job.id} to ${job.toVersion} finished` },
    );

  it('updates itself, falls back from a broken release, refuses bad tarballs, the agent keeps running', async () => {
    const root = join(tmp.dir, 'root');
    const opt = join(root, 'opt', 'decnet');
    await mkdir(join(tmp.dir, 'unpack'));
    await run('tar', ['-xzf', a.tarball, '-C', join(tmp.dir, 'unpack')]);
    await run(join(tmp.dir, 'unpack', 'decnet-agent-0.0.1-a', 'install.sh'), [], {
      env: { ...process.env, DECNET_INSTALL_ROOT: root },
    });
    const identityDir = join(root, 'etc', 'decnet', 'agent');
    const worker = await writeWorker(pki, identityDir, receiver.url);
    const [agentPort, updaterPort] = [await freePort(), await freePort()];
    launcher = await startUpdaterProcess({
      root,
      port: updaterPort,
      command: 'updater-launcher',
      env: {
        DECNET_AGENT_DIR: identityDir,
        DECNET_STATE_DIR: stateDir(),
        DECNET_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
        DECNET_AGENT_NETWORK: 'loopback',
        DECNET_HEARTBEAT_INTERVAL_S: '1',
        // The 60 s, shortened so the hanging release D costs seconds.
        DECNET_UPDATER_SELF_TIMEOUT_S: '8',
        DECNET_UPDATER_WATCH_S: '2',
        DECNET_UPDATER_PROBE_MS: '200',
      },
    });
    client = createUpdaterClient({
      identity: pki.master,
      host: { name: 'self-worker', address: '127.0.0.1', port: updaterPort, fingerprint: worker.fingerprint },
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
      what: `agent A up (${launcher.output()})`,
      timeoutMs: 20_000,
    });
    const pid = await agentPid(launcher.child.pid!);

    const ip = loopbackBlock()(12);
    const api = agentCaller(pki, worker.fingerprint, agentPort);
    expect((await api.call('POST', '/deploy', deployBody([deckyConfig('self-01', ip, ['ssh'])]))).status).toBe(202);
    await api.close();
    await eventually(() => sshBanner(ip).then(() => true), { what: 'the decky is up', timeoutMs: 20_000 });
    const poller = startPoller(ip);
    await eventually(() => poller.polls() >= 3, { what: 'the decky answers', timeoutMs: 20_000 });

    // Refused before anything is written: the same checks as a push.
    const before = await snapshot(opt);
    const push = await signedPush(pki.ca, key, b.bytes);
    const other = await signedPush(pki.ca, key, rawTarGz(releaseEntries('0.0.9')));
    const escaping = rawTarGz([...releaseEntries('0.0.9'), { path: 'decnet-agent-0.0.9/../../../etc/x', data: 'x' }]);
    const pEsc = await signedPush(pki.ca, key, escaping);
    const c = client;
    const refusals: Array<[() => Promise<unknown>, RegExp]> = [
      [() => c.updateSelf(b.bytes, 'f'.repeat(64), push.signatureBase64, push), /SHA-256 mismatch/],
      [() => c.updateSelf(b.bytes, push.sha256, '', push), /not signed/],
      [() => c.updateSelf(b.bytes, push.sha256, other.signatureBase64, push), /signature does not match/],
      [() => c.updateSelf(escaping, pEsc.sha256, pEsc.signatureBase64, pEsc), /escapes the release dir/],
    ];
    for (const [p, message] of refusals) {
      const err = await p().then(
        () => null,
        (e: unknown) => e as AppError,
      );
      expect(err?.code).toBe('INVALID_INPUT');
      expect(err?.message).toMatch(message);
    }
    expect(await snapshot(opt)).toEqual(before);
    expect((await c.health()).version).toBe('0.0.1-a');

    const proof = {
      releaseKeyPem: key.publicKeyPem,
      endorsementBase64: (await pki.ca.endorseReleaseKey(spkiDerOf(key.publicKeyPem))).toString('base64'),
    };
    const toB = await c.updateSelf(b.tarball, b.sha256, b.signatureBase64, proof);
    expect(toB).toMatchObject({ kind: 'update-self', state: 'running', fromVersion: '0.0.1-a', toVersion: '0.0.2-b' });
    const doneB = await until(c, toB);
    expect(doneB, doneB.reason ?? '').toMatchObject({ state: 'succeeded', toVersion: '0.0.2-b' });
    expect(await c.health()).toMatchObject({ version: '0.0.2-b', current: '0.0.1-a' });
    expect((await agentHealth()).version).toBe('0.0.1-a');
    expect(await agentPid(launcher.child.pid!)).toBe(pid);
    expect(await readlink(join(opt, 'updater'))).toBe('releases/0.0.2-b');
    expect(await readlink(join(opt, 'updater-previous'))).toBe('releases/0.0.1-a');
    // install.sh writes an absolute link; the agent's release is A still.
    expect(basename(await readlink(join(opt, 'current')))).toBe('0.0.1-a');

    // C is signed and well formed, but its updater exits at once: the launcher starts B again.
    const broken = rawTarGz(releaseEntries('0.0.3-c', 'process.exit(3);\n'));
    const pushC = await signedPush(pki.ca, key, broken);
    const toC = await c.updateSelf(broken, pushC.sha256, pushC.signatureBase64, pushC);
    expect(toC).toMatchObject({ kind: 'update-self', fromVersion: '0.0.2-b', toVersion: '0.0.3-c' });
    const doneC = await until(c, toC);
    expect(doneC.state, doneC.reason ?? '').toBe('rolled_back');
    expect(doneC.reason).toMatch(/new updater 0\.0\.3-c exited \(3\).*rolled back to 0\.0\.2-b/);
    expect(await c.health()).toMatchObject({ version: '0.0.2-b', job: { id: toC.id, state: 'rolled_back' } });
    expect(await readlink(join(opt, 'updater'))).toBe('releases/0.0.2-b');
    expect((await agentHealth()).version).toBe('0.0.1-a');
    expect(await agentPid(launcher.child.pid!)).toBe(pid);

    // D's updater runs but never listens: the deadline passes, the launcher kills it and starts B.
    const hanging = rawTarGz(releaseEntries('0.0.4-d', 'setInterval(() => undefined, 1000);\n'));
    const pushD = await signedPush(pki.ca, key, hanging);
    const doneD = await until(c, await c.updateSelf(hanging, pushD.sha256, pushD.signatureBase64, pushD));
    expect(doneD.state, doneD.reason ?? '').toBe('rolled_back');
    expect(doneD.reason).toMatch(/did not report 0\.0\.4-d on \/health within 8 s.*rolled back to 0\.0\.2-b/);
    expect((await c.health()).version).toBe('0.0.2-b');
    expect(await agentPid(launcher.child.pid!)).toBe(pid);

    // The agent is still updated by the (new) updater, through the launcher that runs it.
    const toAgentB = await c.pushUpdate(b.tarball, b.sha256, b.signatureBase64, proof);
    const doneAgentB = await until(c, toAgentB);
    expect(doneAgentB, doneAgentB.reason ?? '').toMatchObject({ state: 'succeeded', toVersion: '0.0.2-b' });
    expect((await agentHealth()).version).toBe('0.0.2-b');
    expect(await agentPid(launcher.child.pid!)).not.toBe(pid);

    const polls = poller.polls();
    await eventually(() => poller.polls() >= polls + 3, { what: 'polls after the fallback' });
    await poller.stop();
    expect(poller.failures).toEqual([]);
  }, 180_000);
});
