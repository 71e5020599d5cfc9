import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpService } from '../../../agent/services/mail/smtp';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { nmapServiceLine } from './nmap-probes';
import { describeDiffs, probeDiffs } from './probe-diff';
import { havePostfix, startRealPostfix } from './real-postfix';
import { smtpConverse, smtpExchanges } from './smtp-exchanges';

/** Real Debian Postfix (Dovecot SASL) vs the smtp decky: nmap -sV, every nmap probe, dialogues. */
const realIp = '127.21.6.21';
const oursIp = '127.21.6.22';
const fqdn = 'mail.example.org';

if (!havePostfix) console.warn('smtp fidelity skipped: needs root and postfix + dovecot-core (Debian packages)');

describe.skipIf(!havePostfix)('smtp fidelity against a real Debian Postfix', () => {
  let tmp: { dir: string; remove: () => Promise<void> } | undefined;
  let real: { stop: () => Promise<void> } | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-smtp-');
    real = await startRealPostfix(join(tmp.dir, 'real'), realIp, fqdn);
    ours = await startService(smtpService, { ip: oursIp, distro: 'debian', hostname: fqdn });
  }, 90_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like Postfix', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 25);
    console.log(describeDiffs('smtp', diffs));
    expect(diffs).toEqual([]);
  }, 180_000);

  it('is named "Postfix smtpd" by nmap -sV, as the real one is', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 25);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    expect(r).toContain('Postfix smtpd');
    expect(o).toBe(r);
  }, 150_000);

  it('answers greeting, EHLO, HELP, VRFY, relay, AUTH, BDAT, long lines and STARTTLS like Postfix', async () => {
    const cases = Object.entries(smtpExchanges(fqdn));
    const diffs: string[] = [];
    // A few at a time: smtpd processes are forked per connection on a shared machine.
    for (let i = 0; i < cases.length; i += 6) {
      const batch = await Promise.all(
        cases.slice(i, i + 6).map(async ([name, steps]) => {
          const [r, o] = await Promise.all([smtpConverse(realIp, steps), smtpConverse(oursIp, steps)]);
          return { name, r, o };
        }),
      );
      for (const { name, r, o } of batch)
        if (JSON.stringify(r) !== JSON.stringify(o))
          diffs.push(`${name}:\n    real ${JSON.stringify(r)}\n    ours ${JSON.stringify(o)}`);
    }
    console.log(`smtp exchange differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    expect(diffs).toEqual([]);
  }, 300_000);

  // The one difference left: the shared line reader bounds a line at 64 KiB and hangs up (memory per
  // connection); smtpd cuts any line at 2048 bytes and skips the rest however long it is.
  it('differs only on a command line over 64 KiB (asserted as it is)', async () => {
    const steps = [`NOOP ${'A'.repeat(70_000)}\r\n`, 'NOOP\r\n'];
    const [r, o] = await Promise.all([smtpConverse(realIp, steps), smtpConverse(oursIp, steps)]);
    expect(r.slice(1)).toEqual(['250 2.0.0 Ok\r\n', '250 2.0.0 Ok\r\n']);
    expect(o.slice(1)).toEqual([`421 4.4.2 ${fqdn} Error: line too long\r\n[closed]`]);
  }, 60_000);
});
