import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRunner } from '../../../agent/updater/agent-runner';
import type { HealthProbe, Probe } from '../../../agent/updater/health-probe';
import { linkedVersion, releaseLayout } from '../../../agent/updater/release-store';
import { createUpdater, type Updater } from '../../../agent/updater/updater';
import { openCertificateAuthority, type CertificateAuthority } from '../../../main/core/ca';
import { ensureReleaseKey, type ReleaseKey } from '../../../main/core/updater/release-key';
import { silentLogger } from '../../../shared/node/logger';
import { terminalJobStates, type UpdateJob } from '../../../shared/protocol/updater-api';
import { rawTarGz, releaseEntries, signedPush } from '../../fixtures/release-tarball';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';

let ca: CertificateAuthority;
let key: ReleaseKey;
let caDir: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  caDir = await makeTmpDir('decnet-updater-ca-');
  ca = await openCertificateAuthority({ dataDir: caDir.dir });
  key = await ensureReleaseKey(join(caDir.dir, 'ca'));
  return () => caDir.remove();
});

/**
 * The job state machine against a fake agent: `healthy` says which version /health reports
 * (null: no answer), `exits` how many times the agent exited since a time.
 */
function fakeAgent() {
  const state = { running: null as string | null, healthy: (v: string | null) => v, exits: 0, restarts: 0 };
  let root = '';
  const runner: AgentRunner = {
    restart: async () => {
      state.restarts++;
      state.running = await linkedVersion(releaseLayout(root).current);
    },
    exitsSince: () => state.exits,
    close: () => Promise.resolve(),
  };
  const probe: HealthProbe = {
    probe: (): Promise<Probe> => {
      const v = state.healthy(state.running);
      return Promise.resolve(v === null ? { ok: false, error: 'ECONNREFUSED' } : { ok: true, version: v });
    },
    close: () => Promise.resolve(),
  };
  return { state, runner, probe, setRoot: (r: string) => (root = r) };
}

describe('update jobs', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let updater: Updater | null = null;
  afterEach(async () => {
    await updater?.close();
    await tmp?.remove();
  });

  async function setup(timing = {}) {
    tmp = await makeTmpDir('decnet-updater-jobs-');
    const agent = fakeAgent();
    agent.setRoot(tmp.dir);
    updater = createUpdater({
      installRoot: tmp.dir,
      caPem: ca.caInfo().pem,
      runner: agent.runner,
      probe: agent.probe,
      log: silentLogger,
      version: 'test',
      timing: { healthTimeoutMs: 2000, watchMs: 300, probeIntervalMs: 20, crashLimit: 3, ...timing },
    });
    return { agent, u: updater };
  }
  const push = async (u: Updater, version: string) =>
    u.push(await signedPush(ca, key, rawTarGz(releaseEntries(version))));
  const finished = (u: Updater, job: UpdateJob) =>
    eventually(() => {
      const j = u.job(job.id);
      return (terminalJobStates as readonly string[]).includes(j.state) ? j : undefined;
    });

  it('first release: running, then watching, then succeeded', async () => {
    const { u } = await setup();
    const job = await push(u, '1.0.0');
    expect(job).toMatchObject({ state: 'running', fromVersion: null, toVersion: '1.0.0', finishedAt: null });
    await eventually(() => u.job(job.id).state === 'watching');
    expect(await finished(u, job)).toMatchObject({ state: 'succeeded', reason: null });
  });

  it('a second push while one runs is a CONFLICT', async () => {
    const { agent, u } = await setup({ healthTimeoutMs: 300 });
    agent.state.healthy = () => null;
    const job = await push(u, '1.0.0');
    await expect(push(u, '1.0.1')).rejects.toThrow(/still running/);
    expect((await finished(u, job)).state).toBe('failed');
  });

  it('two pushes at once: one job, the other a CONFLICT, nothing half-installed', async () => {
    const { u } = await setup();
    const [a, b] = await Promise.allSettled([push(u, '1.0.0'), push(u, '1.0.1')]);
    const ok = [a, b].filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    const refused = [a, b].find((r) => r.status === 'rejected');
    expect(String(refused?.reason)).toMatch(/being unpacked|still running/);
    await finished(u, ok[0]!.value);
    expect((await u.releases()).map((r) => r.version)).toEqual([ok[0]!.value.toVersion]);
  });

  it('no /health answer within the deadline and nothing to go back to: failed, with the reason', async () => {
    const { agent, u } = await setup({ healthTimeoutMs: 200 });
    agent.state.healthy = () => null;
    const job = await finished(u, await push(u, '1.0.0'));
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/did not report 1\.0\.0 on \/health.*ECONNREFUSED.*no previous release/);
  });

  it('a new release that reports the old version is rolled back when the deadline passes', async () => {
    const { agent, u } = await setup({ healthTimeoutMs: 300 });
    await finished(u, await push(u, '1.0.0'));
    agent.state.healthy = (v) => (v === '2.0.0' ? '1.0.0' : v);
    const job = await finished(u, await push(u, '2.0.0'));
    expect(job).toMatchObject({ state: 'rolled_back', fromVersion: '1.0.0', toVersion: '2.0.0' });
    expect(job.reason).toMatch(/it reports 1\.0\.0.*rolled back to 1\.0\.0/);
    expect(await u.current()).toBe('1.0.0');
  });

  it('a crash loop during the watch rolls back after the job looked healthy', async () => {
    const { agent, u } = await setup({ watchMs: 5000 });
    const first = await push(u, '1.0.0');
    await eventually(() => u.job(first.id).state === 'watching');
    const job = await push(u, '2.0.0');
    await eventually(() => u.job(job.id).state === 'watching');
    agent.state.healthy = (v) => (v === '2.0.0' ? null : v);
    const done = await finished(u, job);
    expect(done.state).toBe('rolled_back');
    expect(done.reason).toMatch(/crash loop after the update.*rolled back to 1\.0\.0/);
    expect(agent.state.running).toBe('1.0.0');
    // The newer job ended the first one's watch early, as succeeded.
    expect(u.job(first.id)).toMatchObject({ state: 'succeeded', reason: 'watch ended early by a newer job' });
  });

  it('rollback on request goes to previous; without one it is NOT_FOUND', async () => {
    const { u } = await setup();
    await expect(u.rollback()).rejects.toThrow(/no previous release/);
    await finished(u, await push(u, '1.0.0'));
    await finished(u, await push(u, '2.0.0'));
    const job = await finished(u, await u.rollback());
    expect(job).toMatchObject({ kind: 'rollback', state: 'succeeded', toVersion: '1.0.0' });
    expect(await u.current()).toBe('1.0.0');
    expect(await u.previous()).toBe('2.0.0');
  });
});

describe('an updater restarted mid-update', () => {
  it('rolls the unconfirmed job back at start-up and ends it rolled_back', async () => {
    const tmp = await makeTmpDir('decnet-updater-resume-');
    try {
      const jobFile = join(tmp.dir, 'state', 'updater', 'job.json');
      const make = () => {
        const agent = fakeAgent();
        agent.setRoot(tmp.dir);
        const u = createUpdater({
          installRoot: tmp.dir,
          caPem: ca.caInfo().pem,
          runner: agent.runner,
          probe: agent.probe,
          log: silentLogger,
          version: 'test',
          jobFile,
          timing: { healthTimeoutMs: 60_000, watchMs: 50, probeIntervalMs: 20, crashLimit: 3 },
        });
        return { agent, u };
      };
      const first = make();
      const a = await first.u.push(await signedPush(ca, key, rawTarGz(releaseEntries('1.0.0'))));
      await eventually(() => first.u.job(a.id).state === 'succeeded');
      first.agent.state.healthy = (v) => (v === '2.0.0' ? null : v);
      const b = await first.u.push(await signedPush(ca, key, rawTarGz(releaseEntries('2.0.0'))));
      await eventually(() => first.agent.state.running === '2.0.0');
      await first.u.close();
      expect(await first.u.current()).toBe('2.0.0');

      const second = make();
      await second.u.start({ startAgent: true });
      const job = await eventually(() => {
        const j = second.u.job(b.id);
        return j.state === 'rolled_back' ? j : undefined;
      });
      expect(job.reason).toMatch(/updater stopped before the update to 2\.0\.0 was confirmed; rolled back to 1\.0\.0/);
      expect(await second.u.current()).toBe('1.0.0');
      expect(second.agent.state.running).toBe('1.0.0');
      await second.u.close();
    } finally {
      await tmp.remove();
    }
  });
});
