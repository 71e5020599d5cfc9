import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { mintCollectorPki, startTlsCollector } from '../../helpers/tls-collector';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, type TestAgent, type TestMaster } from './harness';

// SIEM output to a local syslog-over-TLS collector with its own CA (RFC 5425), from a real master
// whose events come from a real HTTP client hitting a real decky: a collector restart loses
// nothing and duplicates nothing.
const ip = loopbackBlock();
let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
let m: TestMaster;
let agent: TestAgent;
let collector: Awaited<ReturnType<typeof startTlsCollector>>;

function httpHit(from: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip(21), port: 80, localAddress: from }, () => s.end(`GET ${path} HTTP/1.0\r\n\r\n`));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
const storedIds = async () => (await m.call('events.list', { limit: 5000 })).events.map((e) => e.id).sort();
const receivedIds = () => collector.messages.map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-siem-it-');
  const pki = await mintCollectorPki(tmp.dir, 'collector');
  collector = await startTlsCollector(pki);
  const agentPort = await freePort();
  m = await startMaster({
    dataDir: join(tmp.dir, 'master'),
    agentPort,
    env: { DECNET_LOG_TARGET: `tls://127.0.0.1:${collector.port}`, DECNET_LOG_FORMAT: 'ecs', DECNET_LOG_CA: pki.ca },
  });
  agent = await startAgent(m, { root: tmp.dir, name: 'worker-siem', ip: ip(1), agentPort });
  const res = await m.call('deckies.deploy', { services: ['http'], deckies: [{ name: 'srv-siem-01', ip: ip(21) }] });
  expect((await settled(m, res.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded']);
}, 120_000);
afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await collector?.stop();
  await tmp?.remove();
});

describe('SIEM output over TLS', () => {
  it('delivers every stored event as ECS JSON; a collector restart loses nothing and duplicates nothing', async () => {
    await httpHit(ip(50), '/before');
    await eventually(async () => ((await storedIds()).length >= 2 ? true : undefined), { timeoutMs: 20_000 });
    await eventually(async () => (receivedIds().length === (await storedIds()).length ? true : undefined), {
      timeoutMs: 20_000,
      what: 'first events at the collector',
    });
    expect((await m.call('siem.status', {}))!).toMatchObject({ connected: true, backlog: 0, lastError: null });

    await collector.stop();
    await eventually(async () => ((await m.call('siem.status', {}))!.connected ? undefined : true), {
      timeoutMs: 20_000,
      what: 'the master sees the collector gone',
    });
    // Events stored while the collector is down wait in the store.
    const before = (await storedIds()).length;
    await httpHit(ip(51), '/during-1');
    await httpHit(ip(52), '/during-2');
    await eventually(async () => ((await storedIds()).length >= before + 4 ? true : undefined), { timeoutMs: 20_000 });
    expect((await m.call('siem.status', {}))!.backlog).toBeGreaterThanOrEqual(4);

    await collector.start();
    await eventually(async () => (receivedIds().length >= (await storedIds()).length ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the backlog delivered after the restart',
    });
    expect([...receivedIds()].sort()).toEqual(await storedIds());
    expect(new Set(receivedIds()).size).toBe(receivedIds().length);
    const doc = JSON.parse(collector.messages.at(-1)!) as { source: { ip: string }; observer: { name: string } };
    expect(doc.observer.name).toBe('srv-siem-01');
    expect([ip(51), ip(52)]).toContain(doc.source.ip);
    expect((await m.call('siem.test', {})).ok).toBe(true);
  }, 120_000);
});
