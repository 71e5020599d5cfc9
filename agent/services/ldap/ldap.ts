import type net from 'node:net';
import type tls from 'node:tls';
import { archetypes } from '../../../shared/catalog/archetypes';
import type { DeckyConfig } from '../../../shared/domain/decky';
import { ProtocolError, runBinarySession, type BinaryConn } from '../kit/binary-session';
import { berIntBytes, berTags, tlv, tlvLong } from '../codecs/ber-codec';
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
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { deckySecureContext } from '../kit/tls-cert';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * LDAPv3 directory that lets anyone read its root DSE and bind anonymously, refuses every
 * password (capturing DN and password) and shows nothing else. It speaks as Active Directory on
 * windows personas, as slapd otherwise. StartTLS upgrades to TLS with the decky's certificate;
 * 636 (LDAPS) is not served. Idle limit: AD's MaxConnIdleTime (900 s).
 */
export const ldapSessionLimits = { idleMs: 900_000, maxMessages: 500 } as const;

const resultCodes = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  noSuchObject: 32,
  invalidCredentials: 49,
  unavailable: 52,
} as const;

const adDiag = {
  invalidCredentials: '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563\0',
  needBind:
    '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563\0',
  unknownMech:
    '00002027: LdapErr: DSID-0C090A5B, comment: The server does not support the requested SASL mechanism, data 0, v4563\0',
};

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

/** Constructed elements in 4-byte long form, as both AD and slapd's liblber write them. */
/** LDAP's BER limits (RFC 4511 §5.1: definite lengths only): a message, its depth and element count. */
const ldapBer = { maxMessage: 64 * 1024, maxDepth: 12, maxElements: 2048 } as const;
const enc = (tag: number, body: Buffer | Buffer[]) =>
  (tag & 0x20) !== 0 ? tlvLong(tag, ...[body].flat()) : tlv(tag, ...[body].flat());
const str = (s: string) => tlv(berTags.octetString, Buffer.from(s, 'utf8'));

function message(id: number, op: Buffer): Buffer {
  return enc(berTags.sequence, [tlv(berTags.integer, berIntBytes(id)), op]);
}

function result(appTag: number, code: number, diag = '', matched = '', extra: Buffer[] = []): Buffer {
  return enc(appTag, [tlv(berTags.enumerated, Buffer.from([code])), str(matched), str(diag), ...extra]);
}

function entry(dn: string, attrs: Attribute[], typesOnly: boolean): Buffer {
  const list = attrs.map(([name, vals]) =>
    enc(berTags.sequence, [str(name), enc(berTags.set, typesOnly ? [] : vals.map(str))]),
  );
  return enc(0x64, [str(dn), enc(berTags.sequence, list)]);
}

/**
 * StartTLS as slapd's starttls_extop answers it: a request value is a protocolError ("no request
 * data expected", measured), a second StartTLS an operationsError, else success and the TLS
 * handshake right behind the response (RFC 4511 §4.14).
 */
function startTls(
  op: BerTree,
  c: BinaryConn,
  p: LdapPersona,
  reply: (b: Buffer) => void,
  secureContext: tls.SecureContext,
): void {
  if (op.children.some((n) => n.tag === 0x81))
    return reply(result(0x78, resultCodes.protocolError, p.ad ? '' : 'no request data expected'));
  if (c.isTls()) return reply(result(0x78, resultCodes.operationsError, p.ad ? '' : 'TLS already started'));
  // No responseName: slapd 2.5 answers a bare success (measured), which RFC 4511 §4.14.2 allows.
  reply(result(0x78, resultCodes.success));
  c.startTls(secureContext);
}

function handle(pdu: BerTree, c: BinaryConn, p: LdapPersona, secureContext: tls.SecureContext): void {
  if (pdu.tag !== berTags.sequence || pdu.children.length < 2)
    throw new ProtocolError('LDAPMessage is not a SEQUENCE of id and operation');
  const id = berInt(pdu.children[0]);
  const op = pdu.children[1]!;
  const reply = (b: Buffer) => c.send(message(id, b));
  switch (op.tag) {
    case 0x60: {
      const version = berInt(op.children[0]);
      const dn = berString(op.children[1]);
      const auth = op.children[2];
      if (!auth) throw new ProtocolError('BindRequest without authentication choice');
      if (version !== 3 && !(p.ad && version === 2)) {
        c.capture('auth', { method: 'simple', username: dn, version, success: false });
        return reply(
          result(
            0x61,
            resultCodes.protocolError,
            version === 2
              ? 'historical protocol version requested, use LDAPv3 instead'
              : 'requested protocol version not allowed',
          ),
        );
      }
      if (auth.tag === 0xa3) {
        const mechanism = berString(auth.children[0], 64);
        const creds = auth.children[1]?.value;
        c.capture('auth', {
          method: 'sasl',
          mechanism,
          username: dn || null,
          credentials: creds ? creds.subarray(0, 256).toString('hex') : null,
          success: false,
        });
        return reply(
          result(
            0x61,
            resultCodes.authMethodNotSupported,
            p.ad ? adDiag.unknownMech : 'SASL(-4): no mechanism available: ',
          ),
        );
      }
      if (auth.tag !== 0x80) throw new ProtocolError(`bind authentication choice 0x${auth.tag.toString(16)}`);
      const password = auth.value.toString('utf8', 0, Math.min(auth.value.length, 256));
      if (password === '') {
        // Anonymous (or AD's "unauthenticated", DN without password) binds succeed; slapd refuses the latter.
        const ok = dn === '' || p.ad;
        c.capture('auth', { method: dn === '' ? 'anonymous' : 'unauthenticated', username: dn, success: ok });
        return reply(
          ok
            ? result(0x61, resultCodes.success)
            : result(0x61, 53, 'unauthenticated bind (DN with no password) disallowed'),
        );
      }
      c.capture('auth', { method: 'simple', username: dn, password, success: false });
      return reply(result(0x61, resultCodes.invalidCredentials, p.ad ? adDiag.invalidCredentials : ''));
    }
    case 0x42:
      c.capture('command', { op: 'unbind' });
      return c.end();
    case 0x63: {
      const base = berString(op.children[0]);
      const scope = berInt(op.children[1]);
      const typesOnly = (op.children[5]?.value[0] ?? 0) !== 0;
      const filter = op.children[6] ? renderFilter(op.children[6]) : '';
      const attributes = (op.children[7]?.children ?? []).slice(0, 64).map((a) => berString(a, 128));
      c.capture('request', { op: 'search', base, scope, filter, attributes });
      if (base === '' && scope === 0) {
        reply(entry('', selectAttributes(rootDse(p), attributes), typesOnly));
        return reply(result(0x65, resultCodes.success));
      }
      if (p.ad) return reply(result(0x65, resultCodes.operationsError, adDiag.needBind));
      const inTree = base.toLowerCase().endsWith(p.baseDn.toLowerCase()) || base.toLowerCase() === 'cn=subschema';
      return reply(result(0x65, inTree ? resultCodes.success : resultCodes.noSuchObject, '', inTree ? '' : ''));
    }
    case 0x77: {
      const oid = op.children.find((n) => n.tag === 0x80)?.value.toString('latin1', 0, 128) ?? '';
      c.capture('command', { op: 'extended', oid });
      if (oid === whoAmIOid) return reply(result(0x78, resultCodes.success, '', '', [tlv(0x8b, Buffer.alloc(0))]));
      if (oid === startTlsOid) return startTls(op, c, p, reply, secureContext);
      return reply(result(0x78, resultCodes.protocolError, p.ad ? '' : 'unsupported extended operation', '', []));
    }
    case 0x50:
      c.capture('command', { op: 'abandon' });
      return;
    case 0x66:
    case 0x68:
    case 0x4a:
    case 0x6c:
    case 0x6e: {
      const names: Record<number, string> = {
        0x66: 'modify',
        0x68: 'add',
        0x4a: 'delete',
        0x6c: 'modifyDN',
        0x6e: 'compare',
      };
      const dn = op.constructed
        ? berString(op.children[0])
        : op.value.toString('utf8', 0, Math.min(op.value.length, 512));
      c.capture('command', { op: names[op.tag], dn });
      const code = p.ad
        ? resultCodes.operationsError
        : op.tag === 0x6e
          ? resultCodes.noSuchObject
          : resultCodes.strongerAuthRequired;
      return reply(
        result(
          op.tag + 1,
          code,
          p.ad ? adDiag.needBind : op.tag === 0x6e ? '' : 'modifications require authentication',
        ),
      );
    }
    default:
      throw new ProtocolError(`unknown LDAP operation 0x${op.tag.toString(16)}`);
  }
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const persona = ldapPersonaFor(ctx.decky, ctx.persona);
  const secureContext = await deckySecureContext(ctx);
  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    runBinarySession(ctx, socket, meta, { maxBufferBytes: ldapBer.maxMessage + 16, ...ldapSessionLimits }, (buf, c) => {
      const size = berElementSize(buf, ldapBer.maxMessage, 'LDAP message');
      if (size === null) return 0;
      handle(decodeBerTree(buf.subarray(0, size), ldapBer), c, persona, secureContext);
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
