import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftpService } from '../../../agent/services/ftp/ftp';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { nmapServiceLine } from './nmap-probes';
import { describeDiffs, exchangeDiffs, probeDiffs, untilClose } from './probe-diff';
import type { RealDaemon } from './real-daemon';
import { haveVsftpd, startRealVsftpd } from './real-vsftpd';

/**
 * Real Debian vsftpd 3.0.3 vs the ftp decky (the debian persona's banner is "220 (vsFTPd 3.0.3)",
 * Debian's own): stock config on .21/.22, and with anonymous logins (persona anonymous) on .23/.24.
 */
const realIp = '127.21.4.21';
const oursIp = '127.21.4.22';
const realAnonIp = '127.21.4.23';
const oursAnonIp = '127.21.4.24';

if (!haveVsftpd) console.warn('ftp fidelity skipped: vsftpd missing (Debian package vsftpd)');

const anon = 'USER anonymous\r\nPASS guest@\r\n';

describe.skipIf(!haveVsftpd)('ftp fidelity against a real Debian vsftpd', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  const real: RealDaemon[] = [];
  const ours: ServiceHarness[] = [];

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-ftp-');
    real.push(await startRealVsftpd(join(tmp.dir, 'real'), realIp));
    real.push(await startRealVsftpd(join(tmp.dir, 'real-anon'), realAnonIp, { anonymous: true }));
    ours.push(await startService(ftpService, { ip: oursIp }, { dataDir: join(tmp.dir, 'ours') }));
    ours.push(
      await startService(
        ftpService,
        { ip: oursAnonIp, serviceConfig: { ftp: { anonymous: true } } },
        { dataDir: join(tmp.dir, 'ours-anon') },
      ),
    );
  }, 60_000);
  afterAll(async () => {
    for (const o of ours) await o.stop();
    for (const r of real) await r.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like vsftpd', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 21);
    console.log(describeDiffs('ftp', diffs));
    expect(diffs).toEqual([]);
  }, 120_000);

  it('is named "vsftpd 3.0.3" by nmap -sV, as the real one is', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 21);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    expect(r).toContain('vsftpd 3.0.3');
    expect(o).toBe(r);
  }, 150_000);

  it('answers before login like vsftpd: only USER, PASS, QUIT, FEAT and OPTS are known', async () => {
    const requests = [
      'SYST\r\n',
      'FEAT\r\n',
      'HELP\r\n',
      'NOOP\r\n',
      'OPTS UTF8 ON\r\n',
      'OPTS foo\r\n',
      'PASS x\r\n',
      'USER bob\r\nUSER alice\r\n',
      'user bob\r\n',
      'USER\r\n',
      '\r\n',
      ' \r\n',
      'AUTH TLS\r\n',
      'PASV\r\n',
      'foo bar\r\n',
      'SYST\n',
      'SY\rST\r\n',
      '\xff\xf4\xff\xf2ABOR\r\n',
      'QUIT now\r\n',
    ];
    expect(await exchangeDiffs(realIp, oursIp, 21, requests)).toEqual([]);
  }, 120_000);

  it('refuses three bad logins with the same replies and hangs up, as max_login_fails=3', async () => {
    const tries = 'USER bob\r\nPASS x\r\nUSER root\r\nPASS y\r\nUSER anonymous\r\nPASS z\r\nNOOP\r\n';
    const [r, o] = await Promise.all([untilClose(realIp, 21, tries), untilClose(oursIp, 21, tries)]);
    expect(r).toMatch(/530 Login incorrect\.\r\n$/);
    expect(o).toBe(r);
  }, 60_000);

  it('answers an anonymous session command for command like vsftpd', async () => {
    const cmds = [
      'SYST',
      'PWD',
      'XPWD',
      'CWD /',
      'CWD nope',
      'CDUP',
      'TYPE I',
      'TYPE L 8',
      'TYPE a n',
      'TYPE X',
      'LIST',
      'RETR x',
      'STOR x',
      'MKD x',
      'DELE x',
      'RNFR x',
      'SIZE x',
      'MDTM x',
      'HELP',
      'NOOP',
      'foo',
      'USER bob',
      'PASS z',
      'MODE S',
      'MODE B',
      'STRU F',
      'STRU R',
      'REST 0',
      'REST 007',
      'REST 12abc',
      'ABOR',
      'ALLO 5',
      'SITE HELP',
      'FEAT',
      'TYPE I\r\nSTAT',
      'PORT 127,0,0,2,10,10',
      'PORT 127,0,0,1,0,21',
      'PORT 127,0,0,1,200,7\r\nLIST\r\nLIST',
      'EPSV ALL\r\nPORT 127,0,0,1,200,7\r\nEPSV ALL',
      'AUTH TLS',
      'PBSZ 0',
      'MLSD',
      'REIN',
      'ACCT x',
      'EPRT |1|127.0.0.2|5000|',
      'EPRT |2|::1|5000|',
      'EPRT x',
      'EPRT |1|127.0.0.1|80|',
      'EPRT |1|127.0.0.1|5000\r\nLIST',
      'EPSV ALL\r\nEPRT |1|127.0.0.1|5000|',
    ];
    // STAT reports how many clients were connected when the session began: the test's own load.
    const norm = (s: string) => s.replace(/client count was \d+/, 'client count was N');
    const diffs = await exchangeDiffs(
      realAnonIp,
      oursAnonIp,
      21,
      cmds.map((c) => `${anon}${c}\r\n`),
      norm,
    );
    expect(diffs).toEqual([]);
  }, 180_000);

  it('still differs on passive mode: ours never opens a data port (remaining difference)', async () => {
    const diffs = await exchangeDiffs(
      realAnonIp,
      oursAnonIp,
      21,
      [`${anon}PASV\r\n`, `${anon}EPSV\r\n`, `${anon}STAT /\r\n`],
      (s) => s.replace(/\(\d+,\d+,\d+,\d+,\d+,\d+\)|\(\|\|\|\d+\|\)/, '(port)').replace(/^drwx.*\r\n/gm, 'dir\r\n'),
    );
    const login = '220 (vsFTPd 3.0.3)\\r\\n331 Please specify the password.\\r\\n230 Login successful.\\r\\n';
    expect(diffs).toEqual([
      `"${anon.replace(/\r\n/g, '\\r\\n')}PASV\\r\\n": real "${login}227 Entering Passive Mode (port).\\r\\n" | ours "${login}550 Permission denied.\\r\\n"`,
      `"${anon.replace(/\r\n/g, '\\r\\n')}EPSV\\r\\n": real "${login}229 Entering Extended Passive Mode (port)\\r\\n" | ours "${login}550 Permission denied.\\r\\n"`,
      `"${anon.replace(/\r\n/g, '\\r\\n')}STAT /\\r\\n": real "${login}213-Status follows:\\r\\ndir\\r\\ndir\\r\\n213 End of status\\r\\n" | ours "${login}550 Permission denied.\\r\\n"`,
    ]);
  }, 60_000);
});
