import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlertEngine, type AlertEngine } from '../../../main/core/alerts/alert-engine';
import { backoffMs, type WebhookPost } from '../../../main/core/alerts/webhook';
import type { AttackerEvent } from '../../../shared/domain/events';
import { silentLogger } from '../../../shared/node/logger';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { fakeClock } from './helpers';

const channel = {
  id: 'hook',
  url: 'http://127.0.0.1:9/hook',
  secret: 'a-shared-secret-of-16+',
  format: 'json',
  enabled: true,
} as const;
let seq = 0;
const ev = (src: string, kind = 'connect', at = '2026-01-01T00:00:00.000Z', decky = 'ws-01'): AttackerEvent => ({
  id: `e${++seq}`,
  ts: at,
  decky,
  service: 'ssh',
  src,
  kind,
  data: {},
});

type Sent = { url: string; body: string; headers: Record<string, string> };
function recorder(answer: () => number | Error = () => 204) {
  const sent: Sent[] = [];
  const post: WebhookPost = (url, body, headers) => {
    const a = answer();
    if (a instanceof Error) return Promise.reject(a);
    sent.push({ url, body, headers });
    return Promise.resolve(a);
  };
  return { sent, post };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function engine(
  post: WebhookPost,
  clock = fakeClock(),
  dir?: string,
): Promise<{ alerts: AlertEngine; path: string; clock: typeof clock }> {
  let path: string;
  if (dir) path = join(dir, 'alerts.json');
  else {
    const tmp = await makeTmpDir('decnet-alerts-');
    cleanups.push(tmp.remove);
    path = join(tmp.dir, 'alerts.json');
  }
  const alerts = await createAlertEngine({ path, clock, log: silentLogger, post });
  return { alerts, path, clock };
}

describe('alert engine', () => {
  it('opens one incident for a new source and folds its repeats within the window, delivering once with a valid HMAC', async () => {
    const r = recorder();
    const { alerts } = await engine(r.post);
    await alerts.configure({ channels: [channel] });
    await alerts.ingest([ev('198.51.100.7')]);
    // 200 more, as four uploads of 50 (each upload costs one durable write).
    for (let b = 0; b < 4; b++)
      await alerts.ingest(
        Array.from({ length: 50 }, (_, k) =>
          ev('198.51.100.7', 'auth', `2026-01-01T00:0${b}:00.000Z`, k % 2 ? 'ws-01' : 'srv-02'),
        ),
      );
    await alerts.pump();
    const list = alerts.incidents({});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      rule: 'first-contact',
      source: '198.51.100.7',
      count: 201,
      state: 'open',
      deckies: ['ws-01', 'srv-02'],
    });
    expect(r.sent).toHaveLength(1);
    const { body, headers } = r.sent[0]!;
    expect(headers['x-decnet-signature']).toBe(
      `sha256=${createHmac('sha256', channel.secret).update(body).digest('hex')}`,
    );
    expect(JSON.parse(body)).toMatchObject({ type: 'incident.opened', incident: { source: '198.51.100.7', count: 1 } });
  });

  it('opens a new incident once the window has passed, but a known source never re-triggers first contact', async () => {
    const r = recorder();
    const { alerts } = await engine(r.post);
    await alerts.configure({ rules: [{ id: 'credentials', enabled: true, windowMinutes: 10 }] });
    await alerts.ingest([ev('203.0.113.5', 'auth', '2026-01-01T00:00:00.000Z')]);
    await alerts.ingest([ev('203.0.113.5', 'auth', '2026-01-01T00:09:00.000Z')]);
    await alerts.ingest([ev('203.0.113.5', 'auth', '2026-01-01T00:30:00.000Z')]);
    const byRule = (rule: string) => alerts.incidents({}).filter((i) => i.rule === rule);
    expect(byRule('credentials').map((i) => i.count)).toEqual([1, 2]);
    expect(byRule('first-contact')).toHaveLength(1);
  });

  it('a closed incident is not folded into; a disabled rule opens nothing', async () => {
    const { alerts } = await engine(recorder().post);
    await alerts.configure({ rules: [{ id: 'first-contact', enabled: false, windowMinutes: 60 }] });
    await alerts.ingest([ev('192.0.2.1')]);
    expect(alerts.incidents({})).toHaveLength(0);
    await alerts.configure({
      rules: [
        { id: 'first-contact', enabled: true, windowMinutes: 60 },
        { id: 'command', enabled: true, windowMinutes: 60 },
      ],
    });
    await alerts.ingest([ev('192.0.2.2', 'command')]);
    const cmd = alerts.incidents({}).find((i) => i.rule === 'command')!;
    await alerts.setIncidentState(cmd.id, 'closed');
    await alerts.ingest([ev('192.0.2.2', 'command')]);
    expect(alerts.incidents({ state: 'open' }).filter((i) => i.rule === 'command')).toHaveLength(1);
    await expect(alerts.setIncidentState('00000000-0000-4000-8000-000000000000', 'closed')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('keeps a failed delivery queued with backoff, on disk across a restart, and delivers it exactly once when the receiver is back', async () => {
    let down = true;
    const r = recorder(() => (down ? new Error('connect ECONNREFUSED 127.0.0.1:9') : 200));
    const tmp = await makeTmpDir('decnet-alerts-');
    cleanups.push(tmp.remove);
    const first = await engine(r.post, fakeClock(), tmp.dir);
    await first.alerts.configure({ channels: [channel] });
    await first.alerts.ingest([ev('198.51.100.9')]);
    await first.alerts.pump();
    expect(first.alerts.config().status.hook).toMatchObject({
      pending: 1,
      delivered: 0,
      lastError: 'connect ECONNREFUSED 127.0.0.1:9',
    });
    await first.alerts.stop();
    const saved = JSON.parse(await readFile(first.path, 'utf8')) as { queue: { attempts: number }[] };
    expect(saved.queue).toEqual([expect.objectContaining({ attempts: 1 })]);

    // A restarted master picks the queue up; the retry waits for its backoff.
    down = false;
    const second = await engine(r.post, fakeClock(), tmp.dir);
    await second.alerts.pump();
    expect(r.sent).toHaveLength(0);
    second.clock.advance(backoffMs(1));
    await second.alerts.pump();
    await second.alerts.pump();
    expect(r.sent).toHaveLength(1);
    expect(second.alerts.config().status.hook).toMatchObject({ pending: 0, delivered: 1 });
  });

  it('refuses a damaged alerts.json with a message naming it, and duplicate rule or channel ids', async () => {
    const tmp = await makeTmpDir('decnet-alerts-');
    cleanups.push(tmp.remove);
    await writeFile(join(tmp.dir, 'alerts.json'), '{"rules": 3}');
    await expect(engine(recorder().post, fakeClock(), tmp.dir)).rejects.toThrow(
      /alerts\.json is not a valid alert store/,
    );
    const { alerts } = await engine(recorder().post);
    await expect(alerts.configure({ channels: [channel, channel] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('host-offline and certificate-mismatch signals fold per host', async () => {
    const { alerts } = await engine(recorder().post);
    await alerts.hostOffline('0b7c3f7e-9d0e-4b8e-9a55-0f4b6b0e1a11', 'worker-1');
    await alerts.hostOffline('0b7c3f7e-9d0e-4b8e-9a55-0f4b6b0e1a11', 'worker-1');
    await alerts.certMismatch(null, 'worker w2 presented a certificate with another fingerprint');
    expect(alerts.incidents({}).map((i) => [i.rule, i.count])).toEqual([
      ['cert-mismatch', 1],
      ['host-offline', 2],
    ]);
  });

  it('a test send reports the receiver’s refusal', async () => {
    const { alerts } = await engine(recorder(() => 500).post);
    await alerts.configure({ channels: [{ ...channel, format: 'slack' }] });
    await expect(alerts.test('hook')).resolves.toEqual({ ok: false, error: 'receiver answered HTTP 500' });
    await expect(alerts.test('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
