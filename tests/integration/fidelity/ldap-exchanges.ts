import net from 'node:net';
import tls from 'node:tls';

/** Hand-built LDAP PDUs (short-form BER, as ldapsearch writes them) for the slapd comparison. */
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len =
    n < 128
      ? [n]
      : n < 256
        ? [0x81, n]
        : n < 65536
          ? [0x82, n >> 8, n & 255]
          : [0x83, n >> 16, (n >> 8) & 255, n & 255];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const b = (s: string) => Buffer.from(s, 'latin1');
const h = (hex: string) => Buffer.from(hex, 'hex');
const msg = (id: number, op: Buffer, controls?: Buffer) =>
  tlv(0x30, tlv(2, Buffer.from([id])), op, ...(controls ? [controls] : []));
const simpleBind = (id: number, dn: string, pw: string, v = 3) =>
  msg(id, tlv(0x60, tlv(2, Buffer.from([v])), tlv(4, b(dn)), tlv(0x80, b(pw))));
const saslBind = (id: number, mech: string, creds?: Buffer) =>
  msg(id, tlv(0x60, tlv(2, h('03')), tlv(4, b('')), tlv(0xa3, tlv(4, b(mech)), ...(creds ? [tlv(4, creds)] : []))));
const present = (attr: string) => tlv(0x87, b(attr));
const equality = (attr: string, v: string) => tlv(0xa3, tlv(4, b(attr)), tlv(4, b(v)));
const searchOp = (base: string, scope: number, attrs: string[], filter = present('objectClass')) =>
  tlv(
    0x63,
    tlv(4, b(base)),
    tlv(10, Buffer.from([scope])),
    tlv(10, h('00')),
    tlv(2, h('00')),
    tlv(2, h('00')),
    tlv(1, h('00')),
    filter,
    tlv(0x30, ...attrs.map((a) => tlv(4, b(a)))),
  );
export const search = (id: number, base: string, scope: number, attrs: string[], filter?: Buffer) =>
  msg(id, searchOp(base, scope, attrs, filter));
const ext = (id: number, oid: string, value?: string) =>
  msg(id, tlv(0x77, tlv(0x80, b(oid)), ...(value === undefined ? [] : [tlv(0x81, b(value))])));
const compare = (id: number, dn: string, attr: string, v: string) =>
  msg(id, tlv(0x6e, tlv(4, b(dn)), tlv(0x30, tlv(4, b(attr)), tlv(4, b(v)))));
const entryAttrs = tlv(0x30, tlv(0x30, tlv(4, b('objectClass')), tlv(0x31, tlv(4, b('person')))));
const ntlmNegotiate = h('4e544c4d5353500001000000078208a2000000000000000000000000000000000a00614a0000000f');

/** Exchanges inside a StartTLS session, where slapd's secprops allow PLAIN and LOGIN. */
export function ldapTlsExchanges(suffix: string): Record<string, LdapRequest[]> {
  return {
    'tls: root DSE': [search(2, '', 0, ['+'])],
    'tls: PLAIN': [saslBind(2, 'PLAIN', b('\0admin\0pw'))],
    'tls: PLAIN in two steps': [saslBind(2, 'PLAIN'), saslBind(3, 'PLAIN', b('\0admin\0pw'))],
    'tls: PLAIN without password': [saslBind(2, 'PLAIN', b('garbage'))],
    'tls: LOGIN': [saslBind(2, 'LOGIN'), saslBind(3, 'LOGIN', b('admin')), saslBind(4, 'LOGIN', b('pw'))],
    'tls: LOGIN with the name first': [saslBind(2, 'LOGIN', b('admin')), saslBind(3, 'LOGIN', b('pw'))],
    'tls: ANONYMOUS': [saslBind(2, 'ANONYMOUS', b('trace'))],
    'tls: EXTERNAL': [saslBind(2, 'EXTERNAL')],
    'tls: simple bind': [simpleBind(2, `cn=x,${suffix}`, 'pw')],
    'tls: second StartTLS': [ext(2, '1.3.6.1.4.1.1466.20037')],
  };
}

/** A request, or one built from the answer to the previous request (e.g. to echo a nonce). */
export type LdapRequest = Buffer | ((previousAnswer: string) => Buffer);

const digestResponse = (fields: string) => (prev: string) =>
  saslBind(2, 'DIGEST-MD5', b(fields.replace('{nonce}', /nonce="([^"]*)"/.exec(prev)?.[1] ?? '')));
const digestFull = 'username="admin",nonce="{nonce}",cnonce="y",nc=00000001,qop=auth,digest-uri="ldap/x",response=00';

/** Each exchange: requests sent one after another on one connection, each answer read in turn. */
export function ldapExchanges(suffix: string): Record<string, LdapRequest[]> {
  const inside = `cn=x,${suffix}`;
  return {
    'bind: wrong password for the rootdn': [simpleBind(1, `cn=admin,${suffix}`, 'wrong')],
    'bind: wrong password, no such user': [simpleBind(1, `cn=nobody,${suffix}`, 'wrong')],
    'bind: not a DN': [simpleBind(1, 'notadn', 'wrong')],
    'bind: anonymous': [simpleBind(1, '', '')],
    'bind: DN without password': [simpleBind(1, inside, '')],
    'bind: LDAPv4': [simpleBind(1, '', '', 4)],
    'bind: unknown authentication choice': [msg(1, tlv(0x60, tlv(2, h('03')), tlv(4, b('')), tlv(0xa5, b(''))))],
    'sasl: DIGEST-MD5 challenge, then a stale response': [
      saslBind(1, 'DIGEST-MD5'),
      saslBind(2, 'DIGEST-MD5', b('username="admin",nonce="x",cnonce="y",nc=00000001,qop=auth,response=00')),
    ],
    'sasl: DIGEST-MD5 with the server nonce': [saslBind(1, 'DIGEST-MD5'), digestResponse(digestFull)],
    'sasl: DIGEST-MD5 without username': [
      saslBind(1, 'DIGEST-MD5'),
      digestResponse(digestFull.replace('username="admin",', '')),
    ],
    'sasl: DIGEST-MD5 without nc': [saslBind(1, 'DIGEST-MD5'), digestResponse(digestFull.replace('nc=00000001,', ''))],
    'sasl: DIGEST-MD5 unparsable': [saslBind(1, 'DIGEST-MD5'), digestResponse('garbage')],
    'sasl: DIGEST-MD5, then a search mid-bind': [saslBind(1, 'DIGEST-MD5'), search(2, '', 0, ['1.1'])],
    'sasl: DIGEST-MD5, then CRAM-MD5 (the first goes on)': [saslBind(1, 'DIGEST-MD5'), saslBind(2, 'CRAM-MD5')],
    'sasl: CRAM-MD5 challenge, then a response': [
      saslBind(1, 'CRAM-MD5'),
      saslBind(2, 'CRAM-MD5', b('admin 0123456789abcdef0123456789abcdef')),
    ],
    'sasl: CRAM-MD5 without a name': [saslBind(1, 'CRAM-MD5'), saslBind(2, 'CRAM-MD5', b('garbage'))],
    'sasl: CRAM-MD5 initial response': [saslBind(1, 'CRAM-MD5', b('admin 0123'))],
    'sasl: NTLM, then its negotiate message': [saslBind(1, 'NTLM'), saslBind(2, 'NTLM', ntlmNegotiate)],
    'sasl: NTLM negotiate as initial response': [saslBind(1, 'NTLM', ntlmNegotiate)],
    'sasl: SCRAM-SHA-1, then client-first': [saslBind(1, 'SCRAM-SHA-1'), saslBind(2, 'SCRAM-SHA-1', b('n,,n=a,r=b'))],
    'sasl: SCRAM-SHA-256 initial response': [saslBind(1, 'SCRAM-SHA-256', b('n,,n=user,r=abcdefgh'))],
    'sasl: PLAIN': [saslBind(1, 'PLAIN', b('\0u\0p'))],
    'sasl: LOGIN': [saslBind(1, 'LOGIN')],
    'sasl: ANONYMOUS': [saslBind(1, 'ANONYMOUS')],
    'sasl: EXTERNAL': [saslBind(1, 'EXTERNAL')],
    'sasl: GSSAPI': [saslBind(1, 'GSSAPI')],
    'sasl: unknown mechanism': [saslBind(1, 'BOGUS')],
    'extended: whoami': [ext(1, '1.3.6.1.4.1.4203.1.11.3')],
    'extended: unknown': [ext(1, '1.2.3.4')],
    'extended: StartTLS with a value': [ext(1, '1.3.6.1.4.1.1466.20037', 'x')],
    'extended: StartTLS': [ext(1, '1.3.6.1.4.1.1466.20037')],
    'search: suffix, base': [search(2, suffix, 0, [])],
    'search: suffix, subtree': [search(2, suffix, 2, [])],
    'search: suffix, one level': [search(2, suffix, 1, [])],
    'search: suffix, all user and operational attributes': [search(2, suffix, 0, ['*', '+'])],
    'search: suffix in capitals and spaces': [search(2, suffix.toUpperCase().replace(',', ', '), 0, ['1.1'])],
    'search: equality that matches': [search(2, suffix, 2, ['dc'], equality('DC', suffix.slice(3).split(',')[0]!))],
    'search: equality that does not': [search(2, suffix, 0, [], equality('dc', 'zzz'))],
    'search: below the suffix': [search(2, `ou=people,${suffix}`, 0, [])],
    'search: outside every suffix': [search(2, 'dc=other,dc=com', 0, [])],
    'search: not a DN': [search(2, 'garbage', 0, [])],
    'search: subschema': [search(2, 'cn=Subschema', 0, ['1.1'])],
    'search: subschema, one level': [search(2, 'cn=Subschema', 1, ['1.1'])],
    'search: cn=config': [search(2, 'cn=config', 0, [])],
    'search: root DSE subtree': [search(2, '', 2, [])],
    'search: invalid scope': [search(2, '', 5, [])],
    'search: DN of 8192 bytes': [search(2, `cn=${'x'.repeat(8192 - 4 - suffix.length)},${suffix}`, 0, ['1.1'])],
    'search: DN of 8193 bytes': [search(2, `cn=${'x'.repeat(8193 - 4 - suffix.length)},${suffix}`, 0, ['1.1'])],
    'ber: a 200 kB message': [search(2, `cn=${'x'.repeat(200_000)},${suffix}`, 0, ['1.1'])],
    'search: critical unknown control': [
      msg(2, searchOp('', 0, ['1.1']), tlv(0xa0, tlv(0x30, tlv(4, b('1.2.3.4.5')), tlv(1, h('ff'))))),
    ],
    'add: no attributes': [msg(3, tlv(0x68, tlv(4, b(inside)), tlv(0x30)))],
    'add: anonymous': [msg(3, tlv(0x68, tlv(4, b(inside)), entryAttrs))],
    'add: outside every suffix': [msg(3, tlv(0x68, tlv(4, b('cn=x,dc=other,dc=com')), entryAttrs))],
    'delete: anonymous': [msg(3, tlv(0x4a, b(inside)))],
    'delete: outside every suffix': [msg(3, tlv(0x4a, b('cn=x,dc=other')))],
    'modify: anonymous': [msg(3, tlv(0x66, tlv(4, b(suffix)), tlv(0x30)))],
    'modrdn: anonymous': [msg(3, tlv(0x6c, tlv(4, b(inside)), tlv(4, b('cn=y')), tlv(1, h('ff'))))],
    'compare: true': [compare(3, suffix, 'objectClass', 'organization')],
    'compare: false': [compare(3, suffix, 'dc', 'nope')],
    'compare: attribute the entry lacks': [compare(3, suffix, 'cn', 'nope')],
    'compare: undefined attribute type': [compare(3, suffix, 'bogusattr', 'nope')],
    'compare: below the suffix': [compare(3, inside, 'dc', 'x')],
    'compare: outside every suffix': [compare(3, 'dc=x', 'dc', 'x')],
    'abandon, then bind': [Buffer.concat([msg(3, tlv(0x50, h('01'))), simpleBind(4, '', '')])],
    unbind: [msg(3, tlv(0x42))],
    'ber: message id 0': [simpleBind(0, '', '')],
    'ber: message without operation': [h('3003020101')],
    'ber: unknown operation': [h('30050201014500')],
    'ber: multi-byte operation tag': [h('30050201017f00')],
    'ber: bind without authentication': [msg(1, tlv(0x60))],
    'ber: bind with only a version': [msg(1, tlv(0x60, tlv(2, h('03'))))],
    'ber: search without filter': [msg(2, tlv(0x63, tlv(4, b('')), tlv(10, h('00'))))],
    'ber: not a SEQUENCE': [h('0403616263')],
    'ber: multi-byte tag, incomplete': [h('ffffffff')],
    'ber: multi-byte tag of 8 octets': [h('ffffffffffffffff')],
    'ber: multi-byte tag, no length yet': [h('1f01')],
    'ber: multi-byte tag, complete': [h('1f0100')],
    'ber: length beyond the limit': [h('30847fffffff020101')],
    'ber: indefinite length': [h('308002010142000000')],
    'ber: inner element overruns': [h('30050205014200')],
    'ber: body still to come': [h('3005020101')],
  };
}

/**
 * Per-connection and per-install values, masked by position (same length, so BER lengths still
 * compare): the DIGEST-MD5 nonce, the NTLM challenge, the suffix entry's entryUUID, stamps and
 * entryCSN. CRAM-MD5's `<random.clock@host>` varies in length, so it becomes `<R.C@host>` and the
 * lengths before it (short-form, one octet here) are masked too.
 */
/* eslint-disable no-control-regex -- the masks match BER bytes, which are control characters */
export function maskLdap(s: string): string {
  return s
    .replace(/nonce="[A-Za-z0-9+/=]{44}"/g, `nonce="${'N'.repeat(44)}"`)
    .replace(/(NTLMSSP\0\x02\0\0\0[\s\S]{12})[\s\S]{8}/g, `$1${'C'.repeat(8)}`)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'U'.repeat(36))
    .replace(/\d{14}(\.\d{6})?Z/g, (m) => 'T'.repeat(m.length))
    .replace(
      /^0[\s\S]\x02\x01(.)a[\s\S](\n\x01\x0e\x04\0\x04\x1cSASL\(0\): successful result: \x87)[\s\S]<\d+\.\d+@/,
      '0L\x02\x01$1aL$2L<R.C@',
    );
}
/* eslint-enable no-control-regex */

/** A plain connection, or one upgraded by StartTLS first (the StartTLS answer is not returned). */
async function open(host: string, startTls: boolean): Promise<net.Socket | tls.TLSSocket> {
  const s = net.connect({ host, port: 389 });
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  if (!startTls) return s;
  s.write(ext(1, '1.3.6.1.4.1.1466.20037'));
  // slapd's bare success, 14 bytes; the handshake follows it.
  await new Promise<void>((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < 14) return;
      s.off('data', onData);
      s.pause();
      if (got.toString('hex') === '300c02010178070a010004000400') resolve();
      else reject(new Error(`StartTLS refused: ${got.toString('hex')}`));
    };
    s.on('data', onData);
    s.once('error', reject);
  });
  const t = tls.connect({ socket: s, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => t.once('secureConnect', resolve).once('error', reject));
  return t;
}

/** Sends each request after the previous answer went quiet; the answers and whether it closed. */
export async function converse(
  host: string,
  requests: LdapRequest[],
  opts: { startTls?: boolean; quietMs?: number } = {},
): Promise<string> {
  const s = await open(host, opts.startTls ?? false);
  return new Promise((resolve) => {
    const answers: string[] = [];
    let current = Buffer.alloc(0);
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      answers.push(current.toString('latin1'));
      s.destroy();
      resolve(`${answers.join(' | ')} [${closed ? 'closed' : 'open'}]`);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(quiet, opts.quietMs ?? 400);
    };
    const send = () => {
      const req = requests[sent++]!;
      s.write(typeof req === 'function' ? req(answers.at(-1) ?? '') : req);
      arm();
    };
    function quiet(): void {
      if (sent >= requests.length) return finish(false);
      answers.push(current.toString('latin1'));
      current = Buffer.alloc(0);
      send();
    }
    s.on('data', (d: Buffer) => {
      current = Buffer.concat([current, d]);
      arm();
    });
    s.on('error', () => undefined);
    s.on('close', () => finish(true));
    s.resume();
    send();
  });
}
