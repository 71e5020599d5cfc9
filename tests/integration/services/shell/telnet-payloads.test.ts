import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telnetService } from '../../../../agent/services/shell/telnet';
import { eventually } from '../../../helpers/eventually';
import { startService, type ServiceHarness } from '../service-harness';

/**
 * A real telnet client (the IoT-bot path): an `echo > file` dropper is captured at logout and the
 * whole login is recorded as an asciinema cast, both in the decky's quarantine.
 */
const ip = '127.0.13.9';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('telnet payload capture and recording', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(telnetService, {
      ip,
      distro: 'debian',
      hostname: 'cam-07',
      services: ['telnet', 'ssh'],
      serviceConfig: { ssh: { users: 'admin:admin' } },
    });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('captures the dropper and records the session with its keystrokes', async () => {
    const child = spawn('telnet', [ip], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await eventually(() => out.includes('cam-07 login: '), { what: 'login prompt' });
    child.stdin.write('admin\n');
    await eventually(() => out.includes('Password: '), { what: 'password prompt' });
    child.stdin.write('admin\n');
    await eventually(() => out.includes('admin@cam-07:~$ '), { what: 'shell prompt' });
    child.stdin.write("echo 'bot v2' > /tmp/.b; cat /tmp/.b\n");
    await eventually(() => out.includes('bot v2\r\n'), { what: 'dropper echoed back' });
    child.stdin.write('exit\n');
    await exited;
    const dropper = await eventually(() => h.ofKind('artifact').find((a) => a.data.channel === 'fs'));
    expect(dropper.data).toMatchObject({ path: '/tmp/.b', sha256: sha('bot v2\n'), fileType: 'text', stored: 'new' });
    const rec = await eventually(() => h.ofKind('recording')[0]);
    expect(rec.data.session).toBe(dropper.data.session);
    const cast = await readFile(join(h.dataDir, 'recordings', String(rec.data.sha256)), 'utf8');
    const [header, ...events] = cast
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, title: 'admin@cam-07' });
    const typed = (events as [number, string, string][])
      .filter((e) => e[1] === 'i')
      .map((e) => e[2])
      .join('');
    expect(typed.replace(/\r\n?/g, '\n').replace(/\0/g, '')).toBe("echo 'bot v2' > /tmp/.b; cat /tmp/.b\nexit\n");
    const shown = (events as [number, string, string][])
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(shown).toContain('admin@cam-07:~$ ');
    expect(shown).toContain('bot v2\r\n');
  });
});
