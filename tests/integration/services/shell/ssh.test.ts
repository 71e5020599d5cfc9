import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshService } from '../../../../agent/services/shell/ssh';
import { eventually } from '../../../helpers/eventually';
import { makeTmpDir } from '../../../helpers/tmp-dir';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';
import { sshPasswordFlags } from '../../../helpers/ssh-client';

const ip = '127.0.10.1';
const version = 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.10';
const kernel = '5.15.0-119-generic';
const sshFlags = [...sshPasswordFlags];

describe('ssh honeypot with the OpenSSH client', () => {
  let h: ServiceHarness;
  let tmp: { dir: string; remove: () => Promise<void> };
  const askpass = (password: string) => join(tmp.dir, `askpass-${password}`);
  const sshEnv = (password: string) => ({
    SSH_ASKPASS: askpass(password),
    SSH_ASKPASS_REQUIRE: 'force',
    DISPLAY: ':0',
  });

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-ssh-test-');
    for (const pw of ['wrongpass', 'toor']) {
      await writeFile(askpass(pw), `#!/bin/sh\necho '${pw}'\n`);
      await chmod(askpass(pw), 0o755);
    }
    h = await startService(
      sshService,
      {
        ip,
        distro: 'ubuntu22',
        hostname: 'web-01',
        serviceConfig: { ssh: { version, kernel, users: 'root:toor,deploy:deploy' } },
      },
      { dataDir: join(tmp.dir, 'data') },
    );
  });
  afterAll(async () => {
    await h.stop();
    await tmp.remove();
  });

  it('announces the persona identification string', async () => {
    const c = await connectRaw(ip, 22);
    await eventually(() => c.text().includes('\r\n'), { what: 'ssh ident line' });
    expect(c.text().split('\r\n')[0]).toBe(`SSH-2.0-${version}`);
    c.socket.destroy();
  });

  it('captures a failed password login and rejects it', async () => {
    const r = await run('ssh', [...sshFlags, `admin@${ip}`, 'id'], { env: sshEnv('wrongpass') });
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Permission denied (password,keyboard-interactive)');
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.password === 'wrongpass'));
    expect(auth.data).toMatchObject({ method: 'password', username: 'admin', success: false });
    expect(String(auth.data.clientIdent)).toMatch(/^SSH-2\.0-OpenSSH_/);
    expect(h.ofKind('connect').length).toBeGreaterThan(0);
  });

  it('captures keyboard-interactive answers too', async () => {
    const flags = sshFlags.map((f) =>
      f === 'PreferredAuthentications=password' ? 'PreferredAuthentications=keyboard-interactive' : f,
    );
    const r = await run('ssh', [...flags, `oracle@${ip}`, 'id'], { env: sshEnv('wrongpass') });
    expect(r.code).toBe(255);
    const auth = await eventually(() =>
      h.ofKind('auth').find((a) => a.data.method === 'keyboard-interactive' && a.data.username === 'oracle'),
    );
    expect(auth.data).toMatchObject({ password: 'wrongpass', success: false });
  });

  it('lets a persona user into the fake shell and records exec commands', async () => {
    const r = await run('ssh', [...sshFlags, `root@${ip}`, 'uname -a; id; whoami; pwd'], { env: sshEnv('toor') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Linux web-01 ${kernel}`);
    expect(r.stdout).toContain('uid=0(root) gid=0(root) groups=0(root)');
    expect(r.stdout).toContain('/root');
    const cmd = await eventually(() => h.ofKind('command').find((c) => c.data.mode === 'exec'));
    expect(cmd.data).toMatchObject({ command: 'uname -a; id; whoami; pwd', user: 'root' });
    expect(h.ofKind('auth').some((a) => a.data.password === 'toor' && a.data.success === true)).toBe(true);
  });

  it('runs an interactive pty shell on the emulated filesystem', async () => {
    const child = spawn('ssh', ['-tt', ...sshFlags, `root@${ip}`], {
      env: { ...process.env, ...sshEnv('toor') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await eventually(() => out.includes('root@web-01:~# '), { what: 'shell prompt' });
    child.stdin.write('ls /\n');
    await eventually(() => out.includes('lost+found'), { what: 'ls / output' });
    child.stdin.write('nosuchtool http://203.0.113.9/x.sh | sh\n');
    await eventually(() => out.includes('-bash: nosuchtool: command not found'), { what: 'unknown command reply' });
    child.stdin.write('exit\n');
    expect(await exited).toBe(0);
    const typed = h
      .ofKind('command')
      .filter((c) => c.data.mode === 'shell')
      .map((c) => c.data.command);
    expect(typed).toEqual(expect.arrayContaining(['ls /', 'nosuchtool http://203.0.113.9/x.sh | sh', 'exit']));
  });

  it('records a non-SSH client as malformed and keeps serving', async () => {
    const c = await connectRaw(ip, 22);
    c.send('GET / HTTP/1.0\r\n\r\n');
    await eventually(() => c.closed(), { what: 'server closes the connection' });
    await eventually(() => h.ofKind('malformed').length > 0, { what: 'malformed capture' });
    const again = await connectRaw(ip, 22);
    await eventually(() => again.text().startsWith('SSH-2.0-'));
    again.socket.destroy();
  });

  it('offers RSA, ECDSA and Ed25519 host keys that survive a restart', async () => {
    const scan = async () => {
      const out = (await run('ssh-keyscan', ['-t', 'rsa,ecdsa,ed25519', ip])).stdout;
      return out
        .split('\n')
        .filter((l) => l.startsWith(ip))
        .map((l) => l.split(' ').slice(1).join(' '))
        .sort();
    };
    const before = await scan();
    expect(before.map((k) => k.split(' ')[0])).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
    await h.running.close();
    h = await startService(
      sshService,
      { ip, distro: 'ubuntu22', hostname: 'web-01', serviceConfig: { ssh: { version, kernel, users: 'root:toor' } } },
      { dataDir: h.dataDir },
    );
    expect(await scan()).toEqual(before);
  });
});
