import type net from 'node:net';
import type tls from 'node:tls';
import { archetypes } from '../../../shared/catalog/archetypes';
import type { DeckyConfig } from '../../../shared/domain/decky';
import { ProtocolError, runBinarySession, type BinaryConn } from '../kit/binary-session';
import { BerError, berTags, tlv } from '../codecs/ber-codec';
import { berElementSize, berInt, berString, decodeBerTree, type BerTree } from '../codecs/ber-tree';
import {
  dnToDomain,
  domainToDn,
  renderFilter,
  rootDse,
  selectAttributes,
  type Attribute,
  type LdapPersona,
} from './ldap-dse';
import { deckyHostname, personaString } from '../kit/persona';
import {
  slapdCompare,
  slapdMessageSize,
  slapdSearch,
  slapdUpdate,
  suffixEntry,
  validDn,
  type SuffixEntry,
} from './slapd-directory';
import { slapdSaslBind, type SaslState } from './slapd-sasl';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { deckySecureContext } from '../kit/tls-cert';
import { adDiag, entry, message, result, resultCodes, slapdNotice } from './ldap-messages';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * LDAPv3 directory that lets anyone read its root DSE and bind anonymously, refuses every
 * password (capturing DN and password) and shows nothing else. It speaks as Active Directory on
 * windows personas, as Debian's stock slapd otherwise (which also shows its suffix entry and
 * answers SASL, see slapd-directory.ts and slapd-sasl.ts). StartTLS upgrades to TLS with the decky's certificate;
 * 636 (LDAPS) is not served. Idle limit: AD's MaxConnIdleTime (900 s).
 */
export const ldapSessionLimits = { idleMs: 900_000, maxMessages: 500 } as const;

const whoAmIOid = '1.3.6.1.4.1.4203.1.11.3';
const startTlsOid = '1.3.6.1.4.1.1466.20037';

/** AD when the decky poses as Windows (archetype, nmap OS) or the vendor persona says so. */
export function ldapPersonaFor(decky: DeckyConfig, persona: ServiceContext['persona']): LdapPersona {
  const vendor = personaString(persona, 'vendor', '');
  const windowsArchetype = decky.archetype ? archetypes[decky.archetype].nmapOs.startsWith('windows') : false;
  const ad =
    /active directory|microsoft|windows/i.test(vendor) ||
    (!/openldap|slapd/i.test(vendor) && (windowsArchetype || decky.nmapOs.startsWith('windows')));
  const fqdn = deckyHostname(decky).toLowerCase();
  const dot = fqdn.indexOf('.');
  const hostDomain = dot > 0 ? fqdn.slice(dot + 1) : '';
  const baseDn = personaString(persona, 'baseDn', domainToDn(hostDomain || 'corp.local', ad));
  const label = dot > 0 ? fqdn.slice(0, dot) : fqdn;
  return {
    ad,
    baseDn,
    host: label.toUpperCase(),
    dnsHostName: dot > 0 ? fqdn : `${label}.${dnToDomain(baseDn) || 'corp.local'}`,
  };
}

/** LDAP's BER limits (RFC 4511 §5.1: definite lengths only): a message, its depth and element count. */
const ldapBer = { maxMessage: 64 * 1024, maxDepth: 12, maxElements: 2048 } as const;
/** DNs are read far enough to see slapd's 8192-byte limit; captures keep their first 1024 characters. */
const maxDnBytes = 8194;
/** slapd's sockbuf_max_incoming for anonymous sessions: a longer PDU closes the connection. */
const slapdMaxMessage = 262_143;
/** The result reply builders of one connection's persona (length form chosen once). */
type Replier = Readonly<{
  result: (appTag: number, code: number, diag?: string, matched?: string, extra?: Buffer[]) => void;
  entry: (dn: string, attrs: Attribute[], typesOnly: boolean) => void;
}>;

/** Per connection: a SASL bind in progress (slapd continues it with the next BindRequest). */
type ConnState = { sasl: SaslState };

/**
 * StartTLS as slapd's starttls_extop answers it: a request value is a protocolError ("no request
 * data expected", measured), a second StartTLS an operationsError, else success and the TLS
 * handshake right behind the response (RFC 4511 §4.14).
 */
function startTls(op: BerTree, c: BinaryConn, p: LdapPersona, r: Replier, secureContext: tls.SecureContext): void {
  if (op.children.some((n) => n.tag === 0x81))
    return r.result(0x78, resultCodes.protocolError, p.ad ? '' : 'no request data expected');
  if (c.isTls()) return r.result(0x78, resultCodes.operationsError, p.ad ? '' : 'TLS already started');
  // No responseName: slapd 2.5 answers a bare success (measured), which RFC 4511 §4.14.2 allows.
  r.result(0x78, resultCodes.success);
  c.startTls(secureContext);
}

function bind(op: BerTree, c: BinaryConn, p: LdapPersona, r: Replier, state: ConnState): void {
  const version = berInt(op.children[0]);
  const dn = berString(op.children[1], maxDnBytes);
  const user = dn.slice(0, 1024);
  const auth = op.children[2];
  if (!auth) throw new BerError('BindRequest without authentication choice');
  const sasl = state.sasl;
  state.sasl = null;
  if (version !== 3 && !(p.ad && version === 2)) {
    c.capture('auth', { method: 'simple', username: user, version, success: false });
    return r.result(
      0x61,
      resultCodes.protocolError,
      version === 2
        ? 'historical protocol version requested, use LDAPv3 instead'
        : p.ad
          ? 'requested protocol version not allowed'
          : 'requested protocol version not supported',
    );
  }
  if (!p.ad && !validDn(dn)) return r.result(0x61, resultCodes.invalidDnSyntax, 'invalid DN');
  if (auth.tag === 0xa3) {
    const mechanism = berString(auth.children[0], 64);
    const creds = auth.children[1]?.value;
    c.capture('auth', {
      method: 'sasl',
      mechanism,
      username: user || null,
      credentials: creds ? creds.subarray(0, 256).toString('hex') : null,
      success: false,
    });
    if (p.ad) return r.result(0x61, resultCodes.authMethodNotSupported, adDiag.unknownMech);
    const { answer, next } = slapdSaslBind(mechanism, creds, p.dnsHostName, sasl, c.isTls());
    state.sasl = next;
    return r.result(0x61, answer.code, answer.diag, '', answer.serverCreds ? [tlv(0x87, answer.serverCreds)] : []);
  }
  if (auth.tag !== 0x80) {
    if (!p.ad) return r.result(0x61, resultCodes.authMethodNotSupported, 'unknown authentication method');
    throw new ProtocolError(`bind authentication choice 0x${auth.tag.toString(16)}`);
  }
  const password = auth.value.toString('utf8', 0, Math.min(auth.value.length, 256));
  if (password === '') {
    // Anonymous (or AD's "unauthenticated", DN without password) binds succeed; slapd refuses the latter.
    const ok = dn === '' || p.ad;
    c.capture('auth', { method: dn === '' ? 'anonymous' : 'unauthenticated', username: user, success: ok });
    return ok
      ? r.result(0x61, resultCodes.success)
      : r.result(0x61, 53, 'unauthenticated bind (DN with no password) disallowed');
  }
  c.capture('auth', { method: 'simple', username: user, password, success: false });
  r.result(0x61, resultCodes.invalidCredentials, p.ad ? adDiag.invalidCredentials : '');
}

function search(op: BerTree, c: BinaryConn, p: LdapPersona, r: Replier, suffix: SuffixEntry): void {
  const base = berString(op.children[0], maxDnBytes);
  const scope = berInt(op.children[1]);
  const typesOnly = (op.children[5]?.value[0] ?? 0) !== 0;
  const filterNode = op.children[6];
  if (!filterNode || !op.children[7]) throw new BerError('SearchRequest without filter or attributes');
  const filter = renderFilter(filterNode);
  const attributes = op.children[7].children.slice(0, 64).map((a) => berString(a, 128));
  c.capture('request', { op: 'search', base: base.slice(0, 1024), scope, filter, attributes });
  if (!p.ad && (scope < 0 || scope > 2)) return r.result(0x65, resultCodes.protocolError, 'invalid scope');
  if (base === '' && scope === 0) {
    r.entry('', selectAttributes(rootDse(p, c.isTls()), attributes), typesOnly);
    return r.result(0x65, resultCodes.success);
  }
  if (p.ad) return r.result(0x65, resultCodes.operationsError, adDiag.needBind);
  const a = slapdSearch(suffix, base, scope, filterNode);
  for (const e of a.entries) r.entry(e.dn, selectAttributes(e, attributes), typesOnly);
  r.result(0x65, a.code, a.diag, a.matched);
}

function update(op: BerTree, c: BinaryConn, p: LdapPersona, r: Replier, suffix: SuffixEntry): void {
  const dn = op.constructed
    ? berString(op.children[0], maxDnBytes)
    : op.value.toString('utf8', 0, Math.min(op.value.length, maxDnBytes));
  c.capture('command', { op: updateOps[op.tag], dn: dn.slice(0, 1024) });
  const tag = responseTag(op.tag);
  if (p.ad) return r.result(tag, resultCodes.operationsError, adDiag.needBind);
  if (op.tag === 0x6e) {
    const ava = op.children[1];
    const a = slapdCompare(suffix, dn, berString(ava?.children[0]), berString(ava?.children[1]));
    return r.result(tag, a.code, a.diag, a.matched);
  }
  const a = slapdUpdate(suffix, op.tag, dn, op.tag !== 0x68 || (op.children[1]?.children.length ?? 0) > 0);
  r.result(tag, a.code, a.diag);
}

const updateOps: Record<number, string> = {
  0x66: 'modify',
  0x68: 'add',
  0x4a: 'delete',
  0x6c: 'modifyDN',
  0x6e: 'compare',
};
/** The response's [APPLICATION n] for a request (DelRequest is primitive, its response constructed). */
const responseTag = (t: number) => ({ 0x60: 0x61, 0x63: 0x65, 0x4a: 0x6b, 0x77: 0x78 })[t] ?? t + 1;

function operation(op: BerTree, c: BinaryConn, p: LdapPersona, r: Replier, ctx: Session): void {
  switch (op.tag) {
    case 0x60:
      return bind(op, c, p, r, ctx.state);
    case 0x42:
      c.capture('command', { op: 'unbind' });
      return c.end();
    case 0x63:
      return search(op, c, p, r, ctx.suffix);
    case 0x77: {
      const oid = op.children.find((n) => n.tag === 0x80)?.value.toString('latin1', 0, 128) ?? '';
      c.capture('command', { op: 'extended', oid });
      if (oid === whoAmIOid) return r.result(0x78, resultCodes.success, '', '', [tlv(0x8b, Buffer.alloc(0))]);
      if (oid === startTlsOid) return startTls(op, c, p, r, ctx.secureContext);
      return r.result(0x78, resultCodes.protocolError, p.ad ? '' : 'unsupported extended operation');
    }
    case 0x50:
      c.capture('command', { op: 'abandon' });
      return;
    case 0x66:
    case 0x68:
    case 0x4a:
    case 0x6c:
    case 0x6e:
      return update(op, c, p, r, ctx.suffix);
    default:
      if (!p.ad) {
        c.send(slapdNotice('unknown LDAP request'));
        throw new ProtocolError(`unknown LDAP operation 0x${op.tag.toString(16)}`);
      }
      throw new ProtocolError(`unknown LDAP operation 0x${op.tag.toString(16)}`);
  }
}

type Session = Readonly<{ state: ConnState; suffix: SuffixEntry; secureContext: tls.SecureContext }>;

/** slapd refuses a request carrying a critical control it does not implement. */
function unknownCriticalControl(pdu: BerTree, p: LdapPersona): boolean {
  const controls = pdu.children[2];
  if (p.ad || controls?.tag !== 0xa0) return false;
  const supported = rootDse(p).operational.find(([n]) => n === 'supportedControl')?.[1] ?? [];
  return controls.children.some(
    (ctl) =>
      ctl.children[1]?.tag === berTags.boolean &&
      (ctl.children[1].value[0] ?? 0) !== 0 &&
      !supported.includes(berString(ctl.children[0], 128)),
  );
}

function handle(pdu: BerTree, c: BinaryConn, p: LdapPersona, ctx: Session): void {
  if (pdu.tag !== berTags.sequence || pdu.children.length < 2)
    throw new ProtocolError('LDAPMessage is not a SEQUENCE of id and operation');
  const id = berInt(pdu.children[0]);
  const op = pdu.children[1]!;
  const send = (b: Buffer) => c.send(message(p.ad, id, b));
  const r: Replier = {
    result: (tag, code, diag = '', matched = '', extra = []) => send(result(p.ad, tag, code, diag, matched, extra)),
    entry: (dn, attrs, typesOnly) => send(entry(p.ad, dn, attrs, typesOnly)),
  };
  if (op.tag !== 0x42 && op.tag !== 0x50 && unknownCriticalControl(pdu, p))
    return r.result(responseTag(op.tag), 12, 'critical extension is not recognized');
  // While a SASL bind is in progress slapd answers anything but a bind with operationsError.
  if (ctx.state.sasl && ![0x60, 0x42, 0x50].includes(op.tag))
    return r.result(responseTag(op.tag), resultCodes.operationsError, 'SASL bind in progress');
  try {
    operation(op, c, p, r, ctx);
  } catch (err) {
    // An operation slapd cannot decode ends the connection with a Notice of Disconnection.
    if (!p.ad && err instanceof BerError) c.send(slapdNotice('decoding error'));
    throw err;
  }
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const persona = ldapPersonaFor(ctx.decky, ctx.persona);
  const secureContext = await deckySecureContext(ctx);
  const suffix = suffixEntry(persona, ctx.decky);
  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const state: ConnState = { sasl: null };
    const maxMessage = persona.ad ? ldapBer.maxMessage : slapdMaxMessage;
    runBinarySession(ctx, socket, meta, { maxBufferBytes: maxMessage + 16, ...ldapSessionLimits }, (buf, c) => {
      const size = persona.ad
        ? berElementSize(buf, ldapBer.maxMessage, 'LDAP message')
        : slapdMessageSize(buf, slapdMaxMessage);
      if (size === null) return 0;
      handle(decodeBerTree(buf.subarray(0, size), ldapBer), c, persona, { state, suffix, secureContext });
      return size;
    });
  };
  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(389),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const ldapService: ServiceModule = { name: 'ldap', start };
