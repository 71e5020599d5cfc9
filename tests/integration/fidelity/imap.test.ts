import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapService } from '../../../agent/services/mail/imap';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { nmapServiceLine } from './nmap-probes';
import { describeDiffs, probeDiffs } from './probe-diff';
import { haveDovecot, startRealDovecot } from './real-dovecot';

/** Real Debian Dovecot vs the imap decky: nmap -sV and the answer to every probe nmap may send. */
const realIp = '127.21.3.11';
const oursIp = '127.21.3.12';
const waitingLine = /^\* OK Waiting for authentication process to respond\.\.\r\n/;

if (!haveDovecot) console.warn('imap fidelity skipped: dovecot missing (Debian package dovecot-imapd)');

describe.skipIf(!haveDovecot)('imap fidelity against a real Debian Dovecot', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let real: { stop: () => Promise<void> } | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-imap-');
    real = await startRealDovecot(join(tmp.dir, 'real'), realIp);
    ours = await startService(imapService, { ip: oursIp, distro: 'debian' }, { dataDir: join(tmp.dir, 'ours') });
  }, 60_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like Dovecot', async () => {
    // A fresh imap-login process (one per connection by default) sometimes greets before its auth
    // connection is up and says so first; that line is timing, not protocol (ours never sends it).
    const diffs = await probeDiffs(realIp, oursIp, 143, { normalize: (s) => s.replace(waitingLine, '') });
    console.log(describeDiffs('imap', diffs));
    expect(diffs).toEqual([]);
  }, 120_000);

  it('is named "Dovecot imapd" by nmap -sV, as the real one is', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 143);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    expect(r).toContain('Dovecot imapd');
    expect(o).toBe(r);
  }, 150_000);
});
