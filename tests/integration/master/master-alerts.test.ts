import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, type TestAgent, type TestMaster } from './harness';
import { sshPasswordFlags } from '../../helpers/ssh-client';

// Real master (in process), real agent (process) with a real ssh+http decky, real OpenSSH client,
// and a local webhook receiver: the analyst's alert, end to end, on 127.0.0.0/8 only.
const ip = loopbackBlock();
const secret = 'integration-webhook-secret';
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let agent: TestAgent;
let swarmPort: number;
let agentPort: number;

type Delivery = { headers: IncomingMessage['headers']; body: string };
const deliveries: Delivery[] = [];
let receiver: Server | null = null;
let receiverPort = 0;
async function startReceiver(): Promise<void> {
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => srv.listen(receiverPort, '127.0.0.1', resolve));
  receiverPort = (srv.address() as net.AddressInfo).port;
  receiver = srv;
}
const stopReceiver = () =>
  new Promise<void>((resolve) =>
    receiver ? (receiver.closeAllConnections(), receiver.close(() => resolve())) : resolve(),
  );

const sshFlags = sshPasswordFlags;
function ssh(from: string, to: string, askpass: string): Promise<number | null> {
  const child = spawn('ssh', [...sshFlags, '-o', `BindAddress=${from}`, `root@${to}`, 'id'], {
    env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('exit', resolve));
}
function httpHit(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to, port: 80, localAddress: from }, () => s.end('GET / HTTP/1.0\r\n\r\n'));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
const valid = (d: Delivery) =>
  d.headers['x-decnet-signature'] === `sha256=${createHmac('sha256', secret).update(d.body).digest('hex')}`;
const incidentsOf = async (source: string) =>
  (await m.call('incidents.list', {})).incidents.filter((i) => i.source === source);

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-alerts-it-');
  agentPort = await freePort();
  swarmPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort, swarmPort });
  agent = await startAgent(m, { root: tmp.dir, name: 'worker-alerts', ip: ip(1), agentPort });
  await startReceiver();
  const res = await m.call('deckies.deploy', {
    services: ['ssh', 'http'],
    deckies: [{ name: 'srv-alerts-01', ip: ip(11) }],
  });
  expect((await settled(m, res.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded']);
  await m.call('alerts.configure', {
    channels: [{ id: 'hook', url: `http://127.0.0.1:${receiverPort}/decnet`, secret, format: 'json', enabled: true }],
  });
  await writeFile(join(tmp.dir, 'askpass'), "#!/bin/sh\necho 'toor'\n");
  await chmod(join(tmp.dir, 'askpass'), 0o755);
});

afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await stopReceiver();
  await tmp?.remove();
});

describe('alerts from real attacker traffic', () => {
  it('a first ssh login from a new source opens exactly one incident and one signed webhook delivery; 200 more connections fold in', async () => {
    const attacker = ip(200);
    await ssh(attacker, ip(11), join(tmp.dir, 'askpass'));
    const [incident] = await eventually(
      async () => ((await incidentsOf(attacker)).length ? incidentsOf(attacker) : undefined),
      { timeoutMs: 20_000, what: 'incident' },
    );
    expect(incident).toMatchObject({
      rule: 'first-contact',
      source: attacker,
      deckies: ['srv-alerts-01'],
      state: 'open',
    });
    await eventually(() => deliveries.length >= 1, { timeoutMs: 20_000, what: 'webhook delivery' });
    expect(deliveries).toHaveLength(1);
    expect(valid(deliveries[0]!)).toBe(true);
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({
      type: 'incident.opened',
      incident: { id: incident!.id, source: attacker },
    });

    const before = incident!.count;
    for (let i = 0; i < 200; i++) await httpHit(attacker, ip(11));
    await eventually(async () => ((await incidentsOf(attacker))[0]!.count >= before + 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: '200 folded events',
    });
    const after = await incidentsOf(attacker);
    expect(after).toHaveLength(1);
    expect(after[0]!.services.sort()).toEqual(['http', 'ssh']);
    // The pump has had every chance to send more (it runs on every change): still one delivery.
    await m.call('alerts.get', {});
    expect(deliveries).toHaveLength(1);
  });

  it('a receiver that is down gets the delivery after it is back, across a master restart, exactly once', async () => {
    await stopReceiver();
    const attacker = ip(201);
    await httpHit(attacker, ip(11));
    await eventually(async () => ((await m.call('alerts.get', {})).status.hook?.lastError ? true : undefined), {
      timeoutMs: 20_000,
      what: 'failed attempt',
    });
    expect((await m.call('alerts.get', {})).status.hook).toMatchObject({ pending: 1 });

    await m.stop();
    m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort, swarmPort });
    expect(await incidentsOf(attacker)).toHaveLength(1);
    await startReceiver();
    // The first retry waits 1 s of backoff; later ones up to 2 s more.
    await eventually(() => deliveries.length >= 2, { timeoutMs: 30_000, what: 'delivery after the outage' });
    expect(deliveries).toHaveLength(2);
    expect(valid(deliveries[1]!)).toBe(true);
    expect(JSON.parse(deliveries[1]!.body)).toMatchObject({ incident: { source: attacker } });
    await eventually(async () => ((await m.call('alerts.get', {})).status.hook?.pending === 0 ? true : undefined), {
      what: 'queue empty',
    });
  });
});
