import { afterEach, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { silentLogger } from '../../../../shared/node/logger';
import { openEventStore } from '../../../../main/core/attacker-events/event-store';
import { createSyslogForwarder } from '../../../../main/core/attacker-events/syslog-forwarder';
import { eventually } from '../../../helpers/eventually';
import { mintCollectorPki, startTlsCollector } from '../../../helpers/tls-collector';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const ev = (id: string): AttackerEvent => ({
  id,
  ts: new Date().toISOString(),
  decky: 'web-01',
  service: 'ssh',
  src: '203.0.113.9',
  kind: 'auth',
  data: { username: 'root', password: 'x' },
});
const done: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of done.splice(0).reverse()) await f();
});

describe('SIEM output over TLS (RFC 5425)', () => {
  it('delivers ECS JSON to a collector whose CA is pinned; a certificate from another CA is refused and said so', async () => {
    const tmp = await makeTmpDir();
    done.push(tmp.remove);
    const [good, wrong] = [await mintCollectorPki(tmp.dir, 'good'), await mintCollectorPki(tmp.dir, 'wrong')];
    const store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    done.push(() => store.close());

    const collector = await startTlsCollector(good);
    done.push(() => collector.stop());
    const fwd = createSyslogForwarder({
      target: `tls://127.0.0.1:${collector.port}`,
      format: 'ecs',
      caFile: good.ca,
      store,
      deckyIp: () => undefined,
      log: silentLogger,
    });
    done.push(fwd.stop);
    await store.append([ev('a1'), ev('a2')]);
    fwd.send([]);
    await eventually(() => collector.messages.length === 2, { what: 'two messages at the collector' });
    expect(collector.messages.map((m) => (JSON.parse(m) as { event: { id: string } }).event.id)).toEqual(['a1', 'a2']);
    expect(await fwd.test()).toEqual({ ok: true, error: null });

    // The same CA pin against a collector presenting another CA's certificate.
    const impostor = await startTlsCollector(wrong);
    done.push(() => impostor.stop());
    const refused = createSyslogForwarder({
      target: `tls://127.0.0.1:${impostor.port}`,
      caFile: good.ca,
      store,
      deckyIp: () => undefined,
      log: silentLogger,
    });
    done.push(refused.stop);
    await store.append([ev('b1')]);
    refused.send([]);
    const status = await eventually(() => (refused.status().lastError ? refused.status() : undefined), {
      what: 'a TLS error',
    });
    expect(status).toMatchObject({ connected: false, delivered: 0 });
    expect(status.lastError).toMatch(/^TLS: (self[- ]signed certificate|unable to verify|unable to get local issuer)/);
    expect(impostor.messages).toEqual([]);
    expect((await refused.test()).ok).toBe(false);
  });
});
