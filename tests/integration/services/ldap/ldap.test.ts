import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapService } from '../../../../agent/services/ldap/ldap';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';
import { deckyCertFingerprint, sClientFingerprint } from '../tls-helpers';

const adIp = '127.32.6.1';
const slapdIp = '127.32.6.2';

const ldapsearch = (ip: string, ...args: string[]) =>
  run('ldapsearch', ['-x', '-o', 'nettimeout=5', '-H', `ldap://${ip}`, ...args], { timeoutMs: 10_000 });

/** ExtendedRequest StartTLS with message id `id`. */
const startTlsRequest = (id: number) => Buffer.from(`301d0201${id.toString(16).padStart(2, '0')}77188016`, 'hex');
const startTlsOid = Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1');

/** The reply to a second StartTLS sent inside the TLS session the first one started. */
async function secondStartTls(ip: string): Promise<Buffer> {
  const c = await connectRaw(ip, 389);
  c.send(Buffer.concat([startTlsRequest(1), startTlsOid]));
  // A bare success: result code 0, empty matched DN and diagnostic, no responseName (as slapd 2.5).
  await eventually(() => c.received().includes(Buffer.from('0a010004000400', 'hex')));
  c.socket.removeAllListeners('data');
  const t = tls.connect({ socket: c.socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => t.once('secureConnect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  t.on('data', (d: Buffer) => chunks.push(d));
  t.write(Buffer.concat([startTlsRequest(2), startTlsOid]));
  const reply = await eventually(() => (chunks.length ? Buffer.concat(chunks) : undefined));
  t.destroy();
  return reply;
}

describe('ldap honeypot', () => {
  let ad: ServiceHarness;
  let slapd: ServiceHarness;
  beforeAll(async () => {
    ad = await startService(ldapService, {
      ip: adIp,
      distro: 'debian',
      archetype: 'domain-controller',
      nmapOs: 'windows_server',
      hostname: 'dc01.acme.internal',
    });
    slapd = await startService(ldapService, {
      ip: slapdIp,
      distro: 'debian',
      serviceConfig: { ldap: { baseDn: 'dc=example,dc=net' } },
    });
  });
  afterAll(async () => {
    await ad.stop();
    await slapd.stop();
  });

  it('AD persona: anonymous rootDSE read shows naming contexts and host from the persona', async () => {
    const r = await ldapsearch(
      adIp,
      '-s',
      'base',
      '-b',
      '',
      'namingContexts',
      'defaultNamingContext',
      'dnsHostName',
      'supportedLDAPVersion',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('defaultNamingContext: DC=acme,DC=internal');
    expect(r.stdout).toContain('namingContexts: CN=Configuration,DC=acme,DC=internal');
    expect(r.stdout).toContain('dnsHostName: dc01.acme.internal');
    expect(r.stdout).toContain('supportedLDAPVersion: 3');
    await eventually(() => ad.ofKind('request').some((e) => e.data.base === '' && e.data.scope === 0));
  });

  it('AD persona: a simple bind is captured and refused with the 52e diagnostic', async () => {
    const r = await ldapsearch(
      adIp,
      '-D',
      'CN=svc_backup,CN=Users,DC=acme,DC=internal',
      '-w',
      'Summer2024!',
      '-b',
      'DC=acme,DC=internal',
    );
    expect(r.code).toBe(49);
    expect(r.stderr).toContain('Invalid credentials (49)');
    expect(r.stderr).toContain(
      '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563',
    );
    const auth = await eventually(() => ad.ofKind('auth').find((a) => a.data.method === 'simple'));
    expect(auth.data).toMatchObject({
      username: 'CN=svc_backup,CN=Users,DC=acme,DC=internal',
      password: 'Summer2024!',
      success: false,
    });
  });

  it('AD persona: anonymous searches below the root need a bind; ldapwhoami says anonymous', async () => {
    const r = await ldapsearch(adIp, '-b', 'DC=acme,DC=internal', '(sAMAccountName=admin*)');
    expect(r.stdout).toContain('000004DC: LdapErr: DSID-0C090A5C');
    expect(r.stdout).toContain('result: 1 Operations error');
    const w = await run('ldapwhoami', ['-x', '-H', `ldap://${adIp}`]);
    expect(w.stdout.trim()).toBe('anonymous');
    await eventually(() => ad.ofKind('request').some((e) => e.data.filter === '(sAMAccountName=admin*)'));
  });

  it('OpenLDAP persona: operational rootDSE attributes, empty 49 on bad password', async () => {
    const r = await ldapsearch(slapdIp, '-s', 'base', '-b', '', '+');
    expect(r.stdout).toContain('namingContexts: dc=example,dc=net');
    expect(r.stdout).toContain('structuralObjectClass: OpenLDAProotDSE');
    const b = await run('ldapwhoami', [
      '-x',
      '-H',
      `ldap://${slapdIp}`,
      '-D',
      'cn=admin,dc=example,dc=net',
      '-w',
      'admin',
    ]);
    expect(b.stderr).toContain('Invalid credentials (49)');
    expect(b.stderr).not.toContain('80090308');
    await eventually(() =>
      slapd.ofKind('auth').some((a) => a.data.username === 'cn=admin,dc=example,dc=net' && a.data.password === 'admin'),
    );
  });

  it('ldapsearch -ZZ: StartTLS succeeds and the rootDSE is read over TLS (StartTLS listed on slapd)', async () => {
    const r = await run(
      'ldapsearch',
      ['-ZZ', '-x', '-o', 'nettimeout=5', '-H', `ldap://${slapdIp}`, '-b', '', '-s', 'base', '+'],
      { env: { LDAPTLS_REQCERT: 'never' }, timeoutMs: 10_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('namingContexts: dc=example,dc=net');
    expect(r.stdout).toContain('supportedExtension: 1.3.6.1.4.1.1466.20037');
    const search = await eventually(() =>
      slapd.ofKind('request').find((e) => e.data.op === 'search' && e.data.tls === true),
    );
    expect(
      slapd
        .ofKind('command')
        .some((e) => e.data.session === search.data.session && e.data.oid === '1.3.6.1.4.1.1466.20037'),
    ).toBe(true);
    const ad = await run(
      'ldapsearch',
      ['-ZZ', '-x', '-o', 'nettimeout=5', '-H', `ldap://${adIp}`, '-b', '', '-s', 'base', 'dnsHostName'],
      { env: { LDAPTLS_REQCERT: 'never' }, timeoutMs: 10_000 },
    );
    expect(ad.code).toBe(0);
    expect(ad.stdout).toContain('dnsHostName: dc01.acme.internal');
  });

  it('ldapsearch -ZZ that verifies the certificate refuses the self-signed one', async () => {
    const r = await run(
      'ldapsearch',
      ['-ZZ', '-x', '-o', 'nettimeout=5', '-H', `ldap://${slapdIp}`, '-b', '', '-s', 'base'],
      { env: { LDAPTLS_REQCERT: 'demand' }, timeoutMs: 10_000 },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ldap_start_tls: Connect error (-11)');
  });

  it("a second StartTLS inside TLS gets slapd's operationsError 'TLS already started'", async () => {
    const reply = await secondStartTls(slapdIp);
    expect(reply.includes(Buffer.from('0a0101', 'hex'))).toBe(true);
    expect(reply.toString('latin1')).toContain('TLS already started');
    await eventually(() => slapd.ofKind('command').some((e) => e.data.op === 'extended' && e.data.tls === true));
  });

  it('openssl s_client -starttls ldap is shown the decky certificate', async () => {
    expect(await sClientFingerprint(['-starttls', 'ldap', '-connect', `${adIp}:389`])).toBe(
      await deckyCertFingerprint(ad),
    );
  });

  it('records indefinite-length BER as malformed', async () => {
    const c = await connectRaw(slapdIp, 389);
    c.send(Buffer.from('3080020101', 'hex'));
    await eventually(() => c.closed());
    await eventually(() => slapd.ofKind('malformed').length > 0);
  });
});
