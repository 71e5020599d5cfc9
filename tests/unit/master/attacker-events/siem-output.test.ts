import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { silentLogger } from '../../../../shared/node/logger';
import { openEventStore } from '../../../../main/core/attacker-events/event-store';
import { createSiemOutput, SIEM_SETTING } from '../../../../main/core/attacker-events/siem-output';
import { eventually } from '../../../helpers/eventually';
import { mintCollectorPki, startTlsCollector } from '../../../helpers/tls-collector';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const ev = (id: string): AttackerEvent => ({
  id,
  ts: new Date().toISOString(),
  decky: 'web-01',
  service: 'http',
  src: '203.0.113.9',
  kind: 'request',
  data: { method: 'GET', path: '/' },
});
const done: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of done.splice(0).reverse()) await f();
});

describe('SIEM output set from Settings', () => {
  it('starts from the environment, switches to a TLS collector with a pasted CA, saves it, and turns off', async () => {
    const tmp = await makeTmpDir();
    done.push(tmp.remove);
    const pki = await mintCollectorPki(tmp.dir, 'siem');
    const store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    done.push(() => store.close());
    const collector = await startTlsCollector(pki);
    done.push(() => collector.stop());
    const kept = new Map<string, unknown>();
    const settings = { get: (k: string) => kept.get(k), set: (k: string, v: unknown) => void kept.set(k, v) };
    const make = () =>
      createSiemOutput({
        env: { target: null, format: 'rfc5424', caFile: null },
        settings,
        store,
        deckyIp: () => undefined,
        log: silentLogger,
      });
    const out = make();
    expect(out.status()).toBeNull();
    expect((await out.test()).ok).toBe(false);
    await expect(out.configure({ target: 'tls://127.0.0.1:1', format: 'ecs', ca: 'not a pem' })).rejects.toThrow(
      /ca: must be PEM text/,
    );

    const ca = await readFile(pki.ca, 'utf8');
    const status = await out.configure({ target: `tls://127.0.0.1:${collector.port}`, format: 'ecs', ca });
    expect(status).toMatchObject({ format: 'ecs', delivered: 0 });
    await store.append([ev('x1')]);
    out.send([]);
    await eventually(() => collector.messages.length === 1, { what: 'the event at the collector' });
    expect(kept.get(SIEM_SETTING)).toMatchObject({ target: `tls://127.0.0.1:${collector.port}`, format: 'ecs' });
    await out.stop();

    // A restart takes the saved setting over the environment, and carries on after x1.
    const again = make();
    done.push(() => again.stop());
    await store.append([ev('x2')]);
    again.send([]);
    await eventually(() => collector.messages.length === 2, { what: 'the second event after a restart' });
    expect(collector.messages.map((m) => (JSON.parse(m) as { event: { id: string } }).event.id)).toEqual(['x1', 'x2']);
    expect(await again.configure({ target: null, format: 'rfc5424' })).toBeNull();
    expect(again.status()).toBeNull();
  });
});
