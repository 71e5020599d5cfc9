import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftpLimits, ftpService } from '../../../../agent/services/ftp/ftp';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type RawConnection, type ServiceHarness } from '../service-harness';

const ip = '127.0.12.1';
const anonIp = '127.0.12.2';

/** Sends one command and waits until a reply line with a final status (`NNN `) arrives after it. */
async function command(c: RawConnection, line: string): Promise<string> {
  const before = c.text().length;
  c.send(line + '\r\n');
  return eventually(
    () => {
      const got = c.text().slice(before);
      return /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(got) ? got : undefined;
    },
    { what: `reply to ${line}` },
  );
}

describe('ftp honeypot', () => {
  let h: ServiceHarness;
  let anon: ServiceHarness;
  beforeAll(async () => {
    h = await startService(ftpService, { ip, distro: 'centos7' });
    anon = await startService(ftpService, {
      ip: anonIp,
      serviceConfig: { ftp: { anonymous: true, banner: '(vsFTPd 3.0.5)' } },
    });
  });
  afterAll(async () => {
    await h.stop();
    await anon.stop();
  });

  it('captures the credentials lftp sends and refuses the login', async () => {
    const r = await run('lftp', [
      '-u',
      'bob,s3cret',
      '-e',
      'set net:max-retries 1; set net:timeout 5; ls; bye',
      `ftp://${ip}`,
    ]);
    expect(r.stderr + r.stdout).toContain('530 Login incorrect');
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.username === 'bob'));
    expect(auth.data).toMatchObject({ method: 'password', password: 's3cret', success: false });
  });

  it('works with the classic ftp client', async () => {
    const r = await run('ftp', ['-nv', ip], { input: 'user alice pw-alice\nquit\n' });
    expect(r.stdout).toContain('220 (vsFTPd 3.0.2)');
    expect(r.stdout).toContain('530 Login incorrect.');
    await eventually(() => h.ofKind('auth').some((a) => a.data.username === 'alice' && a.data.password === 'pw-alice'));
  });

  it('answers like vsftpd before login', async () => {
    const c = await connectRaw(ip, 21);
    await eventually(() => c.text() === '220 (vsFTPd 3.0.2)\r\n', { what: 'banner' });
    // vsftpd's prelogin knows only USER, PASS, QUIT, FEAT and OPTS (checked against the real one
    // in tests/integration/fidelity/ftp.test.ts).
    expect(await command(c, 'SYST')).toBe('530 Please login with USER and PASS.\r\n');
    expect(await command(c, 'FEAT')).toMatch(/^211-Features:\r\n( [A-Z0-9 ]+\r\n)+211 End\r\n$/);
    expect(await command(c, 'PWD')).toBe('530 Please login with USER and PASS.\r\n');
    expect(await command(c, 'XYZZY plugh')).toBe('530 Please login with USER and PASS.\r\n');
    expect(await command(c, 'PASS early')).toBe('503 Login with USER first.\r\n');
    expect(await command(c, 'USER root')).toBe('331 Please specify the password.\r\n');
    expect(await command(c, 'PASS toor')).toBe('530 Login incorrect.\r\n');
    expect(await command(c, 'QUIT')).toBe('221 Goodbye.\r\n');
    await eventually(() => c.closed());
    const verbs = h.ofKind('command').map((e) => e.data.verb);
    expect(verbs).toEqual(expect.arrayContaining(['SYST', 'FEAT', 'PWD', 'XYZZY', 'USER', 'QUIT']));
  });

  it('hangs up after three failed logins', async () => {
    const c = await connectRaw(ip, 21);
    await eventually(() => c.text().startsWith('220 '));
    for (const pw of ['a', 'b']) {
      await command(c, 'USER admin');
      expect(await command(c, `PASS ${pw}`)).toBe('530 Login incorrect.\r\n');
    }
    await command(c, 'USER admin');
    c.send('PASS c\r\n');
    await eventually(() => c.closed(), { what: 'closed after 3 failures' });
  });

  it('closes on an over-long line and records it as malformed', async () => {
    const c = await connectRaw(ip, 21);
    await eventually(() => c.text().startsWith('220 '));
    c.send('USER ' + 'A'.repeat(ftpLimits.maxLineBytes + 10) + '\r\n');
    await eventually(() => c.closed(), { what: 'closed on long line' });
    expect(c.text()).toContain('500 Input line too long.');
    await eventually(() => h.ofKind('malformed').some((m) => String(m.data.reason).includes('longer than 512')));
  });

  it('caps the number of commands per connection', async () => {
    const c = await connectRaw(ip, 21);
    await eventually(() => c.text().startsWith('220 '));
    c.send('NOOP\r\n'.repeat(ftpLimits.maxCommands + 5));
    await eventually(() => c.closed(), { what: 'closed after the command cap' });
    expect(c.text()).toContain('421 Too many commands');
  });

  it('lets anonymous in when the persona allows it, without any data channel', async () => {
    const c = await connectRaw(anonIp, 21);
    await eventually(() => c.text() === '220 (vsFTPd 3.0.5)\r\n', { what: 'normalised banner' });
    await command(c, 'USER anonymous');
    expect(await command(c, 'PASS guest@example.com')).toBe('230 Login successful.\r\n');
    expect(await command(c, 'PWD')).toBe('257 "/" is the current directory\r\n');
    expect(await command(c, 'LIST')).toBe('425 Use PORT or PASV first.\r\n');
    c.socket.destroy();
    await eventually(() => anon.ofKind('auth').some((a) => a.data.success === true));
  });
});
