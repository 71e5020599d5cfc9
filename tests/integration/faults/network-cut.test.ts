import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { startTcpProxy, type ProxyMode } from '../../helpers/tcp-proxy';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, type TestMaster } from '../master/harness';

// The link from a worker to its master cut for longer than the heartbeat interval: the agent's
// master URL is a loopback proxy in front of the swarm listener, which resets every connection
// (drop) or stops moving bytes without closing anything (stall). The master still reaches the agent
// directly, so a deploy sent during the cut runs; its delta and the attacker events of the cut
// must reach the master once the link is back, each exactly once.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** One HTTP request from `from`; resolves with what the decky answered. */
function httpHit(from: string, to: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const s = net.connect({ host: to, port: 80, localAddress: from }, () => s.end('GET /cut HTTP/1.0\r\n\r\n'));
    s.on('data', (b: Buffer) => (answer += b.toString()));
    s.on('close', () => resolve(answer));
    s.on('error', reject);
  });
}

const liveness = async (m: TestMaster, uuid: string) =>
  (await m.call('hosts.list', {})).find((h) => h.uuid === uuid)?.liveness;
const eventsFrom = async (m: TestMaster, src: string) => (await m.call('events.list', { src })).events;

async function world() {
  const tmp = await makeTmpDir('decnet-fault-cut-');
  cleanups.push(tmp.remove);
  const agentPort = await freePort();
  const ip = loopbackBlock();
  const m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  cleanups.push(() => m.stop());
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: m.started.swarm.port });
  cleanups.push(() => proxy.close());
  const a = await startAgent(m, { root: tmp.dir, name: 'cut-a', ip: ip(1), agentPort, masterUrl: proxy.url('https') });
  cleanups.push(() => a.kill('SIGKILL'));
  const first = await m.call('deckies.deploy', {
    hostUuid: a.hostUuid,
    services: ['http'],
    deckies: [{ name: 'cut-web-01', ip: ip(21) }],
  });
  expect((await settled(m, first.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded']);
  return { m, a, ip, proxy };
}

describe('network cut between agent and master', () => {
  it.each<ProxyMode>(['drop', 'stall'])(
    '%s longer than the heartbeat: deckies keep serving, the delta and events of the cut arrive once after',
    async (mode) => {
      const { m, a, ip, proxy } = await world();
      expect(await liveness(m, a.hostUuid)).toBe('online');
      proxy.setMode(mode);
      // Two missed beats (1 s interval) make the host suspect: the cut outlasts the interval.
      await eventually(async () => (await liveness(m, a.hostUuid)) !== 'online', {
        timeoutMs: 15_000,
        what: 'host no longer online during the cut',
      });

      // The deployed decky keeps answering attackers; its events wait in the agent's spool.
      const attacker = ip(60);
      expect(await httpHit(attacker, ip(21))).toMatch(/^HTTP\/1\.[01] \d{3}/);
      // The master still dials the agent, so a deploy runs now; only its delta cannot come back.
      const second = await m.call('deckies.deploy', {
        hostUuid: a.hostUuid,
        services: ['http'],
        deckies: [{ name: 'cut-web-02', ip: ip(22) }],
      });
      await eventually(async () => /^HTTP/.test(await httpHit(ip(61), ip(22)).catch(() => '')), {
        timeoutMs: 30_000,
        what: 'the decky deployed during the cut serves',
      });
      const [during] = (await m.call('lifecycle.get', { ids: second.lifecycleIds })).rows;
      expect(['pending', 'running']).toContain(during?.status); // open: the agent's delta cannot come back
      expect(await eventsFrom(m, attacker)).toEqual([]);
      expect(await liveness(m, a.hostUuid)).not.toBe('online');
      // The stall goes on until the master gives the host up (3 missed beats + 10 s grace), so the
      // heartbeat caught in it is near its 15 s client timeout when the bytes move again.
      if (mode === 'stall')
        await eventually(async () => (await liveness(m, a.hostUuid)) === 'offline', {
          timeoutMs: 30_000,
          what: 'host offline during a long stall',
        });

      proxy.setMode('pass');
      await eventually(async () => (await liveness(m, a.hostUuid)) === 'online', {
        timeoutMs: 30_000,
        what: 'host online after the link returns',
      });
      expect((await settled(m, second.lifecycleIds, 30_000)).map((r) => r.status)).toEqual(['succeeded']);
      // Each HTTP hit is two events (connect, request); both arrive, neither twice.
      const got = await eventually(
        async () => {
          const evs = await eventsFrom(m, attacker);
          return evs.length >= 2 ? evs : undefined;
        },
        { timeoutMs: 30_000, what: 'events of the cut stored' },
      );
      // Let a late re-send show itself: two more heartbeats, then the count must still be two.
      const beatAt = async () => (await m.call('hosts.list', {})).find((h) => h.uuid === a.hostUuid)?.lastHeartbeatAt;
      for (let i = 0; i < 2; i++) {
        const seen = await beatAt();
        await eventually(async () => (await beatAt()) !== seen, { what: 'another heartbeat' });
      }
      const after = await eventsFrom(m, attacker);
      expect(after).toHaveLength(2);
      expect(new Set(after.map((e) => e.id)).size).toBe(2);
      expect(got.every((e) => e.decky === 'cut-web-01' && e.host === a.hostUuid)).toBe(true);
      const rows = (await m.call('lifecycle.recent', {})).rows.filter((r) => r.deckyName === 'cut-web-02');
      expect(rows.map((r) => [r.operation, r.status])).toEqual([['deploy', 'succeeded']]);
      const deckies = await m.call('deckies.list', {});
      expect(
        deckies
          .filter((d) => d.config.name.startsWith('cut-web-'))
          .map((d) => [d.config.name, d.state])
          .sort(),
      ).toEqual([
        ['cut-web-01', 'running'],
        ['cut-web-02', 'running'],
      ]);
      expect(a.child.exitCode).toBeNull();
    },
    120_000,
  );
});
