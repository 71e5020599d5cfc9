import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../../package.json';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  paths,
  type Receiver,
  startAgentProcess,
  startReceiver,
  STUB_HOST,
  writeWorker,
} from './harness';

/** The agent's own behaviour (202, deltas, dry runs, teardown) with a stub decky host gated by a file. */
describe('agent deploy / mutate / teardown', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let receiver: Receiver;
  let agent: AgentProcess;
  let api: ReturnType<typeof agentCaller>;
  let gate: string;
  let hostLog: string;
  let stateDir: string;
  const timeline: string[] = [];

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-deploy-');
    const p = paths(tmp.dir);
    stateDir = p.state;
    gate = join(tmp.dir, 'gate');
    hostLog = join(tmp.dir, 'host.log');
    const pki = await createPki(p.ca);
    receiver = await startReceiver(pki, timeline);
    const worker = await writeWorker(pki, p.identity, receiver.url);
    // A one-hour interval: any delta that arrives promptly was pushed, not carried by a scheduled beat.
    agent = await startAgentProcess({
      identityDir: p.identity,
      stateDir: p.state,
      env: {
        DECNET_HEARTBEAT_INTERVAL_S: '3600',
        DECNET_DECKY_HOST: STUB_HOST,
        DECNET_TEST_GATE: gate,
        DECNET_TEST_HOST_LOG: hostLog,
        DECNET_TEST_FAIL_TELNET: '1',
      },
    });
    api = agentCaller(pki, worker.fingerprint, agent.port);
    await eventually(() => receiver.heartbeats.length >= 1, { what: 'boot heartbeat' });
  });

  afterAll(async () => {
    await api?.close();
    await agent?.kill();
    await receiver?.stop();
    await tmp?.remove();
  });

  it('reports the real package version on /health', async () => {
    const res = await api.call('GET', '/health');
    expect(res).toEqual({ status: 200, body: { status: 'ok', version, protocol: 1 } });
    expect(receiver.heartbeats[0]!.agentVersion).toBe(version);
  });

  it('answers 202 before the deploy work finished, then pushes the delta at once', async () => {
    const lifecycleId = randomUUID();
    const res = await api.call(
      'POST',
      '/deploy',
      deployBody([deckyConfig('web-01', '127.88.0.10')], { 'web-01': lifecycleId }),
    );
    timeline.push('deploy-202');
    expect(res).toEqual({ status: 202, body: { status: 'accepted', deckies: ['web-01'] } });
    // The decky host is waiting for the gate: the work has provably not finished.
    await eventually(async () => (await readFile(hostLog, 'utf8').catch(() => '')).includes('web-01'), {
      what: 'host started',
    });
    const during = await api.call('GET', '/status');
    expect(during.body.deployed).toBe(false);
    expect(timeline.filter((t) => t.startsWith('delta:web-01'))).toEqual([]);

    await writeFile(gate, '');
    const beatsBefore = receiver.heartbeats.length;
    await eventually(() => timeline.includes('delta:web-01:deploy:succeeded'), {
      what: 'deploy delta',
      timeoutMs: 10_000,
    });
    expect(timeline.indexOf('deploy-202')).toBeLessThan(timeline.indexOf('delta:web-01:deploy:succeeded'));
    const beat = receiver.heartbeats.slice(beatsBefore).find((h) => h.lifecycle.length > 0)!;
    expect(beat.lifecycle).toEqual([
      expect.objectContaining({ lifecycleId, deckyName: 'web-01', operation: 'deploy', status: 'succeeded' }),
    ]);
    expect(beat.status.deckies.map((d) => d.name)).toEqual(['web-01']);
    expect(beat.status.runtime['web-01']).toEqual({
      running: true,
      restarts: 0,
      services: { ssh: 'running', http: 'running' },
    });
  });

  it('dry-run mutate validates against the worker state with no side effect (200 / 404 / 400)', async () => {
    const stateBefore = await readFile(join(stateDir, 'state.json'), 'utf8');
    const hostBefore = await readFile(hostLog, 'utf8');
    const beatsBefore = receiver.heartbeats.length;

    const ok = await api.call('POST', '/mutate', { deckyId: 'web-01', services: ['ftp', 'http'], dryRun: true });
    expect(ok).toEqual({ status: 200, body: { status: 'dry_run', deckyId: 'web-01', services: ['ftp', 'http'] } });
    const unknownDecky = await api.call('POST', '/mutate', { deckyId: 'nope', services: ['ftp'], dryRun: true });
    expect(unknownDecky.status).toBe(404);
    expect(unknownDecky.body.error.message).toMatch(/decky 'nope' not found in worker state/);
    const unknownService = await api.call('POST', '/mutate', { deckyId: 'web-01', services: ['gopher'], dryRun: true });
    expect(unknownService.status).toBe(400);
    expect(unknownService.body.error.message).toMatch(/unknown service "gopher"/);

    expect(await readFile(join(stateDir, 'state.json'), 'utf8')).toBe(stateBefore);
    expect(await readFile(hostLog, 'utf8')).toBe(hostBefore);
    expect(receiver.heartbeats.slice(beatsBefore).flatMap((h) => h.lifecycle)).toEqual([]);
  });

  it('mutate answers 202, changes the runtime, then records the new services', async () => {
    const lifecycleId = randomUUID();
    const res = await api.call('POST', '/mutate', { deckyId: 'web-01', services: ['ftp', 'http'], lifecycleId });
    expect(res).toEqual({ status: 202, body: { status: 'accepted', deckyId: 'web-01', services: ['ftp', 'http'] } });
    await eventually(
      () =>
        receiver.heartbeats.some((h) =>
          h.lifecycle.some((d) => d.lifecycleId === lifecycleId && d.status === 'succeeded'),
        ),
      { what: 'mutate delta' },
    );
    const status = await api.call('GET', '/status');
    expect(status.body.deckies[0].services).toEqual(['ftp', 'http']);
    expect(status.body.runtime['web-01'].services).toEqual({ ftp: 'running', http: 'running' });
  });

  it('refuses with 400 a decky the loopback driver cannot host', async () => {
    const res = await api.call('POST', '/deploy', deployBody([deckyConfig('bad-01', '10.1.2.3')]));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/10\.1\.2\.3 is not in 127\.0\.0\.0\/8/);
  });

  it('a deploy whose service cannot bind ends in a failed delta with the reason, and is not recorded', async () => {
    const lifecycleId = randomUUID();
    const res = await api.call(
      'POST',
      '/deploy',
      deployBody([deckyConfig('tel-01', '127.88.0.12', ['telnet'])], { 'tel-01': lifecycleId }),
    );
    expect(res.status).toBe(202);
    await eventually(() => timeline.includes('delta:tel-01:deploy:failed'), { what: 'failed delta' });
    const delta = receiver.heartbeats.flatMap((h) => h.lifecycle).find((d) => d.lifecycleId === lifecycleId)!;
    expect(delta.error).toMatch(/tel-01 \(127\.88\.0\.12\) could not start: telnet: EADDRINUSE/);
    const status = await api.call('GET', '/status');
    expect(status.body.deckies.map((d: { name: string }) => d.name)).not.toContain('tel-01');
  });

  it('teardown of one decky leaves no trace in /status nor in the next heartbeat', async () => {
    await api.call('POST', '/deploy', deployBody([deckyConfig('db-01', '127.88.0.11', ['ssh'])]));
    await eventually(() => timeline.includes('delta:db-01:deploy:succeeded'), { what: 'db-01 deployed' });
    const res = await api.call('POST', '/teardown', { deckyId: 'web-01' });
    expect(res).toEqual({ status: 202, body: { status: 'accepted', deckies: ['web-01'] } });
    await eventually(() => timeline.includes('delta:web-01:teardown:succeeded'), { what: 'teardown delta' });
    const status = await api.call('GET', '/status');
    expect(status.body.deckies.map((d: { name: string }) => d.name)).toEqual(['db-01']);
    expect(Object.keys(status.body.runtime)).toEqual(['db-01']);
    const last = receiver.heartbeats.at(-1)!;
    expect(last.status.deckies.map((d) => d.name)).toEqual(['db-01']);
    expect(Object.keys(last.status.runtime)).toEqual(['db-01']);
    const state = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8'));
    expect(state.deckies.map((d: { name: string }) => d.name)).toEqual(['db-01']);
  });
});
