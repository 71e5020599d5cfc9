import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectControl, hostFiles } from '../../../agent/runtime/native/decky-host-channel';
import {
  ChildMessage,
  type HelloMessage,
  type ReadyMessage,
  type StartMessageInput,
} from '../../../agent/runtime/native/decky-host-protocol';
import { serviceModules } from '../../../agent/services/registry';
import { findPortClash, serviceNames, type ServiceName } from '../../../shared/catalog/services';
import type { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { connectRaw, run } from '../services/service-harness';

/** The built entry (tests/helpers/global-setup.ts runs scripts/build.mjs first). */
const entry = join(import.meta.dirname, '../../../out/agent/decky-host.js');

type Host = {
  child: ChildProcess;
  messages: ChildMessage[];
  /** Writes one control line on the current connection. */
  send: (msg: unknown) => void;
  /** Drops the connection (the agent going away) and opens a new one (the next agent). */
  reconnect: () => Promise<void>;
  disconnect: () => void;
  events: () => AttackerEvent[];
  ready: (name?: string) => Promise<ReadyMessage>;
  exit: Promise<number | null>;
};

/** The host as the runtime starts it: its own id and hosts dir, spoken to over its control socket. */
async function spawnHost(hostsDir: string): Promise<Host> {
  const id = randomBytes(8).toString('hex');
  const child = spawn(process.execPath, [entry], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, DECNET_LOG_LEVEL: 'warn', DECNET_HOST_ID: id, DECNET_HOSTS_DIR: hostsDir },
  });
  const messages: ChildMessage[] = [];
  child.stderr?.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let socket: net.Socket | null = null;
  const open = async () => {
    const s = await eventually(() => connectControl(hostFiles(hostsDir, id).socket, 1000), {
      what: 'the control socket',
      timeoutMs: 15_000,
    });
    let buf = '';
    s.setEncoding('utf8');
    // Every message must satisfy the published schema, so the runtime side can rely on it.
    s.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) messages.push(ChildMessage.parse(JSON.parse(line)));
      }
    });
    s.on('error', () => undefined);
    socket = s;
  };
  await open();
  return {
    child,
    messages,
    exit,
    send: (msg) => void socket?.write(JSON.stringify(msg) + '\n'),
    disconnect: () => socket?.destroy(),
    reconnect: async () => {
      socket?.destroy();
      await open();
    },
    events: () => messages.flatMap((m) => (m.type === 'event' ? [m.event] : [])),
    ready: (name = 'decky-it') =>
      eventually(() => messages.find((m): m is ReadyMessage => m.type === 'ready' && m.name === name), {
        what: `ready message of ${name}`,
        timeoutMs: 20_000,
      }),
  };
}

const four: ServiceName[] = ['ssh', 'http', 'ftp', 'telnet'];
/** A catalogue service nobody has implemented yet (other engineers keep adding modules), if any. */
const unimplemented = serviceNames.find((n) => !serviceModules[n] && !findPortClash([...four, n]));

function startMessage(
  ip: string,
  dataDir: string,
  services: StartMessageInput['decky']['services'],
  name = 'decky-it',
): StartMessageInput {
  return {
    type: 'start',
    dataDir,
    decky: { name, ip, hostname: 'files-02', distro: 'debian', services, serviceConfig: {} },
  };
}

describe('decky-host process', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let host: Host | null = null;
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-host-test-');
  });
  afterEach(async () => {
    if (host && host.child.exitCode === null) {
      host.child.kill('SIGKILL');
      await host.exit;
    }
    host = null;
    await tmp.remove();
  });

  it('runs ssh, http, ftp and telnet on the decky IP and forwards events over its control socket', async () => {
    const ip = '127.0.14.1';
    host = await spawnHost(join(tmp.dir, 'hosts'));
    host.send(startMessage(ip, tmp.dir, unimplemented ? [...four, unimplemented] : four));
    const ready = await host.ready();
    expect(ready.services).toEqual({
      ssh: 'running',
      http: 'running',
      ftp: 'running',
      telnet: 'running',
      ...(unimplemented ? { [unimplemented]: 'failed' } : {}),
    });
    expect(ready.errors).toEqual(unimplemented ? { [unimplemented]: 'not implemented' } : {});
    expect(ready.bound).toMatchObject({ ssh: ['22/tcp'], http: ['80/tcp'], ftp: ['21/tcp'], telnet: ['23/tcp'] });

    await run('curl', ['-s', '-o', '/dev/null', '-d', 'username=eve&password=pw', `http://${ip}/login`]);
    const ftp = await connectRaw(ip, 21);
    await eventually(() => ftp.text().startsWith('220 (vsFTPd 3.0.3)'));
    ftp.send('USER mallory\r\nPASS hunter2\r\n');
    await eventually(() => ftp.text().includes('530 Login incorrect.'));
    ftp.socket.destroy();
    const ssh = await connectRaw(ip, 22);
    await eventually(() => ssh.text().startsWith('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'));
    ssh.socket.destroy();
    const telnet = await connectRaw(ip, 23);
    await eventually(() => telnet.received().length >= 12);
    telnet.socket.destroy();

    const events = await eventually(
      () => {
        const e = host!.events();
        const has = (service: string, kind: string) => e.some((x) => x.service === service && x.kind === kind);
        return has('http', 'request') && has('ftp', 'auth') && has('ssh', 'connect') && has('telnet', 'connect')
          ? e
          : undefined;
      },
      { what: 'events from every service' },
    );
    const ftpAuth = events.find((e) => e.service === 'ftp' && e.kind === 'auth')!;
    expect(ftpAuth).toMatchObject({
      decky: 'decky-it',
      src: '127.0.0.1',
      data: { username: 'mallory', password: 'hunter2' },
    });
    expect(ftpAuth.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(ftpAuth.ts))).toBe(false);
    expect(events.find((e) => e.service === 'http' && e.kind === 'request')?.data.credentials).toEqual({
      username: 'eve',
      password: 'pw',
    });

    host.send({ type: 'stop' });
    expect(await host.exit).toBe(0);
    expect(host.messages.filter((m) => m.type === 'stopped')).toEqual([
      { type: 'stopped', name: 'decky-it' },
      { type: 'stopped' },
    ]);
    // Ports are released: a fresh listener can take them.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(22, ip, resolve));
    await new Promise((resolve) => probe.close(resolve));
  });

  it('reports a port already in use as that service failing, the others running', async () => {
    const ip = '127.0.14.2';
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(21, ip, resolve));
    try {
      host = await spawnHost(join(tmp.dir, 'hosts'));
      host.send(startMessage(ip, tmp.dir, ['ftp', 'http']));
      const ready = await host.ready();
      expect(ready.services).toEqual({ ftp: 'failed', http: 'running' });
      expect(ready.errors).toEqual({ ftp: `port 21 on ${ip} is in use` });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('honours the port map', async () => {
    const ip = '127.0.14.3';
    host = await spawnHost(join(tmp.dir, 'hosts'));
    host.send({ ...startMessage(ip, tmp.dir, ['http']), portMap: { '80': 18080 } });
    const ready = await host.ready();
    expect(ready.bound).toEqual({ http: ['18080/tcp'] });
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${ip}:18080/`]);
    expect(r.stdout).toBe('200');
  });

  it('hosts several deckies, stops one by name and replaces one on a second start', async () => {
    host = await spawnHost(join(tmp.dir, 'hosts'));
    host.send(startMessage('127.0.14.5', join(tmp.dir, 'a'), ['http'], 'decky-a'));
    host.send(startMessage('127.0.14.6', join(tmp.dir, 'b'), ['http'], 'decky-b'));
    expect((await host.ready('decky-a')).services).toEqual({ http: 'running' });
    expect((await host.ready('decky-b')).services).toEqual({ http: 'running' });
    const code = async (url: string) =>
      (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', url])).stdout;
    expect(await code('http://127.0.14.5/')).toBe('200');

    host.send({ type: 'stop', name: 'decky-a' });
    await eventually(() => host!.messages.some((m) => m.type === 'stopped' && m.name === 'decky-a'), {
      what: 'decky-a stopped',
    });
    expect(await code('http://127.0.14.5/')).toBe('000');
    expect(await code('http://127.0.14.6/')).toBe('200');

    // Replacing decky-b moves it to another address; the old one is released.
    const before = host.messages.length;
    host.send(startMessage('127.0.14.7', join(tmp.dir, 'b'), ['http'], 'decky-b'));
    await eventually(() => host!.messages.slice(before).some((m) => m.type === 'ready' && m.name === 'decky-b'), {
      what: 'decky-b ready again',
    });
    expect(await code('http://127.0.14.7/')).toBe('200');
    expect(await code('http://127.0.14.6/')).toBe('000');
    expect(host.child.exitCode).toBeNull();

    host.send({ type: 'stop' });
    expect(await host.exit).toBe(0);
    // Events are spooled (fsync) before they are sent, so one may still arrive after the stop answers.
    expect(host.messages.filter((m) => m.type !== 'event').slice(-2)).toEqual([
      { type: 'stopped', name: 'decky-b' },
      { type: 'stopped' },
    ]);
  });

  it('answers a bad control message with fatal and keeps running', async () => {
    host = await spawnHost(join(tmp.dir, 'hosts'));
    host.send({ type: 'start', decky: { name: 'BAD NAME' }, dataDir: tmp.dir });
    const fatal = await eventually(() => host!.messages.find((m) => m.type === 'fatal'), { what: 'a fatal answer' });
    expect(fatal.type === 'fatal' && fatal.message).toMatch(/bad control message/);
    // Its deckies are not the bad line's fault: the host keeps running.
    expect(host.child.exitCode).toBeNull();
  });

  it('keeps serving when the agent goes away, spools the events, and hands them to the next agent', async () => {
    const ip = '127.0.14.4';
    host = await spawnHost(join(tmp.dir, 'hosts'));
    host.send(startMessage(ip, tmp.dir, ['http']));
    await host.ready();
    host.disconnect();
    // Nobody is attached: the event must wait in the host's spool.
    expect(
      (
        await run('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-d',
          'username=eve&password=spooled',
          `http://${ip}/login`,
        ])
      ).stdout,
    ).toBe('200');
    expect(host.child.exitCode).toBeNull();
    const before = host.messages.length;
    await host.reconnect();
    const hello = await eventually(
      () => host!.messages.slice(before).find((m): m is HelloMessage => m.type === 'hello'),
      { what: 'hello' },
    );
    expect(hello.pid).toBe(host.child.pid);
    expect(hello.deckies.map((d) => [d.start.decky.name, d.ready?.services])).toEqual([
      ['decky-it', { http: 'running' }],
    ]);
    const spooled = await eventually(
      () =>
        host!.messages
          .slice(before)
          .flatMap((m) => (m.type === 'event' && JSON.stringify(m.event.data).includes('spooled') ? [m.event] : []))
          .at(0),
      { what: 'the spooled event' },
    );
    // Acked: a third agent does not get it again.
    host.send({ type: 'ack', ids: [spooled.id] });
    await eventually(
      async () => !(await readFile(hostFiles(join(tmp.dir, 'hosts'), hello.id).spool, 'utf8')).includes(spooled.id),
      { what: 'the ack empties the spool' },
    );
    const mark = host.messages.length;
    await host.reconnect();
    await eventually(() => host!.messages.slice(mark).some((m) => m.type === 'hello'), { what: 'second hello' });
    expect(host.messages.slice(mark).some((m) => m.type === 'event' && m.event.id === spooled.id)).toBe(false);
    host.send({ type: 'stop' });
    expect(await host.exit).toBe(0);
    // Stopped for good: no registry entry, socket or spool is left for a later agent.
    expect(existsSync(hostFiles(join(tmp.dir, 'hosts'), hello.id).registry)).toBe(false);
    expect(existsSync(hostFiles(join(tmp.dir, 'hosts'), hello.id).socket)).toBe(false);
  });
});
