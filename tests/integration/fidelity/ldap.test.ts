import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapService } from '../../../agent/services/ldap/ldap';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { converse, ldapExchanges, ldapTlsExchanges, maskLdap, search } from './ldap-exchanges';
import { nmapServiceLine } from './nmap-probes';
import { describeDiffs, probeDiffs } from './probe-diff';
import { haveSlapd, startRealSlapd } from './real-slapd';

/** Real Debian slapd 2.5 vs the ldap decky (OpenLDAP persona): nmap, ldapsearch and raw PDUs. */
const realIp = '127.21.6.11';
const oursIp = '127.21.6.12';
const fqdn = 'ldap.example.org';
const suffix = 'dc=example,dc=org';

if (!haveSlapd) console.warn('ldap fidelity skipped: slapd missing (Debian package slapd)');

const ldapsearch = (ip: string, args: string[]) =>
  run('ldapsearch', ['-x', '-o', 'nettimeout=5', '-H', `ldap://${ip}`, ...args], {
    env: { LDAPTLS_REQCERT: 'never' },
    timeoutMs: 15_000,
  });

describe.skipIf(!haveSlapd)('ldap fidelity against a real Debian slapd', () => {
  let tmp: { dir: string; remove: () => Promise<void> } | undefined;
  let real: { stop: () => Promise<void> } | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-ldap-');
    real = await startRealSlapd(join(tmp.dir, 'real'), realIp, fqdn);
    ours = await startService(ldapService, { ip: oursIp, distro: 'debian', hostname: fqdn });
  }, 60_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like slapd', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 389);
    console.log(describeDiffs('ldap', diffs));
    expect(diffs).toEqual([]);
  }, 120_000);

  it('is named like the real one by nmap -sV', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 389);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    // nmap 7.93 keys "2.2.X - 2.3.X" on the short-form BER of the LDAPv2 bind refusal.
    expect(r).toContain('OpenLDAP');
    expect(o).toBe(r);
  }, 150_000);

  it('shows the same root DSE to ldapsearch, in the clear and after StartTLS (-ZZ)', async () => {
    for (const args of [
      ['-s', 'base', '-b', '', '+'],
      ['-s', 'base', '-b', '', '*'],
      ['-ZZ', '-s', 'base', '-b', '', '+'],
    ]) {
      const [r, o] = await Promise.all([ldapsearch(realIp, args), ldapsearch(oursIp, args)]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect({ args, code: o.code, stdout: o.stdout }).toEqual({ args, code: r.code, stdout: r.stdout });
    }
    expect((await ldapsearch(realIp, ['-s', 'base', '-b', '', '+'])).stdout).toContain('supportedSASLMechanisms');
  }, 60_000);

  it('refuses a wrong password with the same result code and text', async () => {
    const args = ['-D', `cn=admin,${suffix}`, '-w', 'wrong', '-s', 'base', '-b', '', '1.1'];
    const [r, o] = await Promise.all([ldapsearch(realIp, args), ldapsearch(oursIp, args)]);
    expect(r.code).toBe(49);
    expect(r.stderr).toContain('Invalid credentials (49)');
    expect({ code: o.code, stderr: o.stderr }).toEqual({ code: r.code, stderr: r.stderr });
  }, 30_000);

  it('answers binds, SASL (also inside TLS), searches, compares, updates and malformed BER byte for byte', async () => {
    const cases = [
      ...Object.entries(ldapExchanges(suffix)).map(([name, requests]) => [name, requests, false] as const),
      ...Object.entries(ldapTlsExchanges(suffix)).map(([name, requests]) => [name, requests, true] as const),
    ];
    const answers: { name: string; real: string; ours: string }[] = [];
    // In batches: our listener caps concurrent connections per source (32), slapd does not.
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8).map(async ([name, requests, startTls]) => {
        const [r, o] = await Promise.all([
          converse(realIp, requests, { startTls }),
          converse(oursIp, requests, { startTls }),
        ]);
        return { name, real: maskLdap(r), ours: maskLdap(o) };
      });
      answers.push(...(await Promise.all(batch)));
    }
    const diffs = answers
      .filter((a) => a.real !== a.ours)
      .map((a) => `${a.name}:\n    real ${JSON.stringify(a.real)}\n    ours ${JSON.stringify(a.ours)}`);
    console.log(`ldap exchange differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    expect(diffs).toEqual([]);
    // The masks hide only what they say: a challenge was there to mask.
    const cram = answers.find((a) => a.name.startsWith('sasl: CRAM-MD5 challenge'))!;
    expect(cram.real).toContain(`<R.C@${fqdn}>`);
    expect(answers.find((a) => a.name === 'sasl: NTLM negotiate as initial response')!.real).toContain('CCCCCCCC');
  }, 120_000);

  // Left open: ours serves the subschema entry's user attributes only, not slapd's schema
  // (attributeTypes, objectClasses, ldapSyntaxes, matchingRules ... of core/cosine/nis/inetorgperson).
  it('differs only in the schema under cn=Subschema (asserted as it is)', async () => {
    const requests = [search(2, 'cn=Subschema', 0, ['+'])];
    const [r, o] = await Promise.all([converse(realIp, requests), converse(oursIp, requests)]);
    expect(r).toContain('attributeTypes');
    expect(r).toContain('objectClasses');
    expect(o).toBe(
      '0\x15\x02\x01\x02d\x10\x04\x0ccn=Subschema0\x000\x0c\x02\x01\x02e\x07\n\x01\x00\x04\x00\x04\x00 [open]',
    );
  }, 30_000);
});
