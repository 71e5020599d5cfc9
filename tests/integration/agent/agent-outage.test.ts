import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  paths,
  type Pki,
  type Receiver,
  startAgentProcess,
  startReceiver,
  STUB_HOST,
  writeWorker,
} from './harness';

describe('lifecycle deltas survive a master outage and an agent restart', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let pki: Pki;
  let receiver: Receiver;
  const agents: AgentProcess[] = [];
  let hostLog: string;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-outage-');
    pki = await createPki(paths(tmp.dir).ca);
    receiver = await startReceiver(pki);
    hostLog = join(tmp.dir, 'host.log');
  });

  afterAll(async () => {
    for (const a of agents) await a.kill();
    await receiver?.stop();
    await tmp?.remove();
  });

  it('delivers the delta exactly once after the master comes back, across a kill -9 of the agent', async () => {
    const p = paths(tmp.dir);
    const worker = await writeWorker(pki, p.identity, receiver.url);
    await receiver.stop();
    const env = { DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_DECKY_HOST: STUB_HOST, DECNET_TEST_HOST_LOG: hostLog };
    const first = await startAgentProcess({ identityDir: p.identity, stateDir: p.state, env });
    agents.push(first);
    const api = agentCaller(pki, worker.fingerprint, first.port);
    const lifecycleId = randomUUID();
    const res = await api.call(
      'POST',
      '/deploy',
      deployBody([deckyConfig('web-01', '127.89.0.10')], { 'web-01': lifecycleId }),
    );
    expect(res.status).toBe(202);
    await api.close();

    // The task ended while the master is down: the delta waits in the durable outbox.
    const outbox = join(p.state, 'outbox.jsonl');
    const stored = await eventually(
      async () => {
        const lines = (await readFile(outbox, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
        return lines.length === 1 ? (JSON.parse(lines[0]!) as { deltaId: string }) : undefined;
      },
      { what: 'delta in the outbox' },
    );
    expect(stored).toMatchObject({ lifecycleId, deckyName: 'web-01', operation: 'deploy', status: 'succeeded' });

    // Its decky host process outlives it (kill -9 of the agent alone), as on a real worker.
    await first.kill('SIGKILL', { keepHosts: true });
    const second = await startAgentProcess({ identityDir: p.identity, stateDir: p.state, env });
    agents.push(second);
    await receiver.start();

    await eventually(() => receiver.sightings(stored.deltaId) === 1, { what: 'delta delivered', timeoutMs: 15_000 });
    // Several more beats go by: none carries the acked delta again.
    const seen = receiver.heartbeats.length;
    await eventually(() => receiver.heartbeats.length >= seen + 2, { what: 'later beats', timeoutMs: 10_000 });
    expect(receiver.sightings(stored.deltaId)).toBe(1);
    expect(receiver.heartbeats.flatMap((h) => h.lifecycle).filter((d) => d.lifecycleId === lifecycleId)).toHaveLength(
      1,
    );
    await eventually(async () => (await readFile(outbox, 'utf8')).trim() === '', { what: 'outbox emptied by the ack' });

    // Boot invariant: the restarted agent re-attaches to the running decky, it does not start it again.
    const last = receiver.heartbeats.at(-1)!;
    expect(last.status.deckies.map((d) => d.name)).toEqual(['web-01']);
    expect(last.status.runtime['web-01']).toMatchObject({ running: true, restarts: 0 });
    expect((await readFile(hostLog, 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
