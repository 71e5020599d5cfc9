import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readRegistry } from '../../../agent/runtime/native/decky-host-channel';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startPoller } from './restart-poller';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  killHostsByRegistry,
  paths,
  type Pki,
  type Receiver,
  startAgentProcess,
  startReceiver,
  writeWorker,
} from './harness';

const IP = '127.93.0.10';

const curl = (args: string[]) =>
  new Promise<string>((resolve) => execFile('curl', args, { timeout: 20_000 }, (_err, stdout) => resolve(stdout)));

/** Deckies outlive their agent: a kill -9 and a restart of it are invisible to an attacker. */
describe('agent restart: deckies keep answering and events are not lost', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let pki: Pki;
  let receiver: Receiver;
  const agents: AgentProcess[] = [];
  let stateDir = '';

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-restart-');
    pki = await createPki(paths(tmp.dir).ca);
    receiver = await startReceiver(pki);
    stateDir = paths(tmp.dir).state;
  });
  afterAll(async () => {
    for (const a of agents) await a.kill('SIGKILL');
    // The deckies outlive every agent by design: reap them so no port stays busy for later tests.
    if (stateDir) await killHostsByRegistry(stateDir);
    await receiver?.stop();
    await tmp?.remove();
  });

  it('kill -9 of the agent, an attack while it is down, a new agent: no failed poll, running, the event arrives once', async () => {
    const p = paths(tmp.dir);
    const worker = await writeWorker(pki, p.identity, receiver.url);
    const env = { DECNET_HEARTBEAT_INTERVAL_S: '1' };
    const first = await startAgentProcess({ identityDir: p.identity, stateDir, env });
    agents.push(first);
    const api = agentCaller(pki, worker.fingerprint, first.port);
    expect((await api.call('POST', '/deploy', deployBody([deckyConfig('rs-01', IP, ['ssh', 'http'])]))).status).toBe(
      202,
    );
    await api.close();
    await eventually(
      () =>
        receiver.heartbeats.some((h) => h.lifecycle.some((d) => d.deckyName === 'rs-01' && d.status === 'succeeded')),
      {
        what: 'deploy delta',
        timeoutMs: 30_000,
      },
    );
    const [entry] = (await readRegistry(`${stateDir}/hosts`)).entries;
    expect(entry?.deckies).toEqual(['rs-01']);

    const poller = startPoller(IP);
    await eventually(() => poller.polls() >= 3, { what: 'first polls' });

    await first.kill('SIGKILL', { keepHosts: true });
    expect(isAlive(entry!.pid)).toBe(true);
    // The attacker while no agent runs: the host process spools the event.
    expect(
      await curl([
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-d',
        'username=root&password=while-agent-down',
        `http://${IP}/login`,
      ]),
    ).toBe('200');
    const pollsWhileDown = poller.polls();
    await eventually(() => poller.polls() >= pollsWhileDown + 3, { what: 'polls while the agent is down' });

    const beatsBefore = receiver.heartbeats.length;
    const second = await startAgentProcess({ identityDir: p.identity, stateDir, env });
    agents.push(second);
    const beat = await eventually(
      () => receiver.heartbeats.slice(beatsBefore).find((h) => h.status.runtime['rs-01']?.running),
      { what: 'a heartbeat of the new agent reporting rs-01 running', timeoutMs: 20_000 },
    );
    expect(beat.status.runtime['rs-01']).toEqual({
      running: true,
      restarts: 0,
      services: { ssh: 'running', http: 'running' },
    });
    const api2 = agentCaller(pki, worker.fingerprint, second.port);
    expect((await api2.call('GET', '/status')).body.runtime['rs-01']).toMatchObject({ running: true, restarts: 0 });
    await api2.close();

    const downEvents = () =>
      receiver.events.filter((e) => e.decky === 'rs-01' && JSON.stringify(e.data).includes('while-agent-down'));
    await eventually(() => downEvents().length >= 1, {
      what: 'the event captured while the agent was down',
      timeoutMs: 20_000,
    });
    // Same process: re-attached, not restarted.
    expect((await readRegistry(`${stateDir}/hosts`)).entries.map((e) => e.pid)).toEqual([entry!.pid]);

    // A few more beats and spool rounds: the event is not shipped again.
    const n = receiver.heartbeats.length;
    await eventually(() => receiver.heartbeats.length >= n + 2, { what: 'later beats', timeoutMs: 10_000 });
    await poller.stop();
    expect(downEvents()).toHaveLength(1);
    // Events the killed agent had received but not yet acked to the host are sent again under the
    // same id (at-least-once across a kill -9; the master's event log keeps one per id).
    const ids = receiver.events.map((e) => e.id);
    expect(new Set(ids).size).toBeGreaterThan(ids.length - 20);
    expect(poller.failures).toEqual([]);
    expect(poller.polls()).toBeGreaterThan(pollsWhileDown);
  });
});
