import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telnetdOpening, telnetLimits, telnetService } from '../../../../agent/services/shell/telnet';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, startService, type ServiceHarness } from '../service-harness';

const ip = '127.0.13.1';
const IAC = 0xff;

describe('telnet honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(telnetService, { ip, distro: 'debian', hostname: 'cam-07' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('opens with exactly the Linux telnetd option requests and waits for the client', async () => {
    const c = await connectRaw(ip, 23);
    await eventually(() => c.received().length >= telnetdOpening.length, { what: 'opening negotiation' });
    expect(c.received()).toEqual(telnetdOpening);
    // The client's answer (WONT for all four) releases the banner and the prompt.
    c.send(Buffer.from([IAC, 252, 24, IAC, 252, 32, IAC, 252, 35, IAC, 252, 39]));
    await eventually(() => c.text().endsWith('Debian GNU/Linux 12\r\ncam-07 login: '), { what: 'banner and prompt' });
    c.socket.destroy();
  });

  it('captures three login attempts from the real telnet client, then hangs up', async () => {
    const child = spawn('telnet', [ip], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const count = (s: string) => out.split(s).length - 1;
    for (const [i, [user, pass]] of [
      ['root', 'admin'],
      ['admin', '12345'],
      ['support', 'support'],
    ].entries()) {
      await eventually(() => count('cam-07 login: ') > i, { what: `login prompt ${i + 1}` });
      child.stdin.write(`${user}\n`);
      await eventually(() => count('Password: ') > i, { what: `password prompt ${i + 1}` });
      child.stdin.write(`${pass}\n`);
    }
    await eventually(() => count('Login incorrect') === 3, { what: 'three refusals' });
    await exited; // the server hung up after the third failure
    const auths = h.ofKind('auth').filter((a) => a.data.terminal !== undefined);
    expect(auths.map((a) => [a.data.username, a.data.password])).toEqual([
      ['root', 'admin'],
      ['admin', '12345'],
      ['support', 'support'],
    ]);
    expect(auths[0]?.data.attempt).toBe(1);
  });

  it('strips IAC sequences split across segments from the credentials', async () => {
    const c = await connectRaw(ip, 23);
    await eventually(() => c.received().length >= telnetdOpening.length);
    c.send(Buffer.from([IAC, 251])); // WILL … (option byte in the next segment)
    await eventually(() => c.text().endsWith('login: '), { what: 'prompt' });
    c.send(
      Buffer.concat([
        Buffer.from([24]),
        Buffer.from('ad'),
        Buffer.from([IAC, 250, 24, 0]),
        Buffer.from('VT100'),
        Buffer.from([IAC, 240]),
        Buffer.from('min\r\0'),
      ]),
    );
    await eventually(() => c.text().endsWith('Password: '));
    c.send(Buffer.concat([Buffer.from('p'), Buffer.from([IAC, IAC]), Buffer.from('w\r\n')]));
    const auth = await eventually(() =>
      h.ofKind('auth').find((a) => a.data.username === 'admin' && a.data.terminal === 'VT100'),
    );
    // IAC IAC is a literal 0xFF byte, which is not valid UTF-8 on its own.
    expect(auth.data.password).toBe('p\ufffdw');
    c.socket.destroy();
  });

  it('closes an over-long line as malformed and keeps serving', async () => {
    const c = await connectRaw(ip, 23);
    await eventually(() => c.received().length >= telnetdOpening.length);
    c.send('x'.repeat(telnetLimits.maxLineBytes + 50));
    await eventually(() => c.closed(), { what: 'closed' });
    await eventually(() => h.ofKind('malformed').some((m) => String(m.data.reason).includes('longer than')));
    const again = await connectRaw(ip, 23);
    await eventually(() => again.received().length >= telnetdOpening.length);
    again.socket.destroy();
  });

  it('closes an unbounded subnegotiation as malformed', async () => {
    const c = await connectRaw(ip, 23);
    await eventually(() => c.received().length >= telnetdOpening.length);
    c.send(Buffer.concat([Buffer.from([IAC, 250, 39]), Buffer.alloc(4096, 0x41)]));
    await eventually(() => c.closed(), { what: 'closed' });
    await eventually(() => h.ofKind('malformed').some((m) => String(m.data.reason).includes('subnegotiation')));
  });
});
