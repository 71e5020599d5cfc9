import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapService } from '../../../agent/services/mail/imap';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { portLine, probeAnswer, tcpProbes } from './nmap-probes';
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
    const diffs: string[] = [];
    for (const p of tcpProbes(7)) {
      const [raw, o] = await Promise.all([probeAnswer(realIp, 143, p.payload), probeAnswer(oursIp, 143, p.payload)]);
      // A fresh imap-login process (one per connection by default) sometimes greets before its
      // auth connection is up and says so first; that line is timing, not protocol.
      const r = Buffer.from(raw.toString('latin1').replace(waitingLine, ''), 'latin1');
      if (!r.equals(o))
        diffs.push(
          `${p.name}: real ${JSON.stringify(r.toString('latin1'))} | ours ${JSON.stringify(o.toString('latin1'))}`,
        );
    }
    console.log(`imap probe differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    expect(diffs).toEqual([]);
  }, 120_000);

  it('is named "Dovecot imapd" by nmap -sV, as the real one is', async () => {
    const scan = async (ip: string) =>
      portLine(
        (await run('nmap', ['-Pn', '-n', '-sV', '--version-intensity', '7', '-p143', ip], { timeoutMs: 120_000 }))
          .stdout,
        143,
      );
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    expect(r).toContain('Dovecot imapd');
    expect(o).toBe(r);
  }, 150_000);
});
