import type { DeckyConfig } from '../../../shared/domain/decky';
import { BerError } from '../codecs/ber-codec';
import type { BerTree } from '../codecs/ber-tree';
import { deckyBytes, deckyInt } from '../kit/decky-seed';
import { dnToDomain, type Attribute, type LdapPersona } from './ldap-dse';

/**
 * What Debian's stock slapd holds after install (slapd.postinst): only the suffix entry
 * (top/dcObject/organization, o = the domain), readable by anyone (`to * by * read`). Searches,
 * compares and DN checks answer as slapd 2.5 does for that tree (measured against the package).
 */
export type SuffixEntry = Readonly<{ dn: string; user: Attribute[]; operational: Attribute[] }>;

/** Attribute types of core/cosine/nis/inetorgperson a DN or compare commonly names. */
const knownTypes = new Set(
  'cn commonname dc domaincomponent ou organizationalunitname o organizationname uid userid c l st street sn mail objectclass description telephonenumber givenname displayname title userpassword uidnumber gidnumber memberuid member homedirectory loginshell employeenumber serialnumber name'.split(
    ' ',
  ),
);

/** `DC=Example, DC=ORG` → `dc=example,dc=org` (types and values folded, spaces around , = dropped). */
export function normalizeDn(dn: string): string {
  return dn
    .split(',')
    .map((rdn) =>
      rdn
        .split('=')
        .map((s) => s.trim())
        .join('=')
        .toLowerCase(),
    )
    .join(',');
}

/**
 * slapd's dnNormalize refuses RDNs without `type=`, types its schema does not define, and DNs
 * over SLAP_LDAPDN_MAXLEN (8192 bytes, measured).
 */
export function validDn(dn: string): boolean {
  if (Buffer.byteLength(dn) > 8192) return false;
  if (dn.trim() === '') return true;
  return dn.split(',').every((rdn) => {
    const m = /^\s*([A-Za-z][\w-]*|\d+(?:\.\d+)+)\s*=/.exec(rdn);
    return m !== null && (/^\d/.test(m[1]!) || knownTypes.has(m[1]!.toLowerCase()));
  });
}

export const isKnownType = (t: string) => knownTypes.has(t.toLowerCase());

function generalized(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The suffix entry slapadd wrote at install time: stamps and UUID once per decky. */
export function suffixEntry(p: LdapPersona, decky: DeckyConfig): SuffixEntry {
  const domain = dnToDomain(p.baseDn) || 'corp.local';
  const dc = /^\s*dc=([^,]*)/i.exec(p.baseDn)?.[1]?.trim() ?? domain.split('.')[0]!;
  // Installed somewhere in 2024.
  const created = new Date(deckyInt(decky, 'ldap-suffix-created', 1_704_067_200, 1_735_603_200) * 1000);
  const micros = String(deckyInt(decky, 'ldap-suffix-created-us', 0, 999_999)).padStart(6, '0');
  const u = deckyBytes(decky, 'ldap-suffix-uuid', 16).toString('hex');
  // slapd's UUIDs are time-based (version 1), variant 10.
  const uuid = `${u.slice(0, 8)}-${u.slice(8, 12)}-1${u.slice(13, 16)}-${((parseInt(u[16]!, 16) & 3) | 8).toString(16)}${u.slice(17, 20)}-${u.slice(20, 32)}`;
  const stamp = `${generalized(created)}Z`;
  const admin = `cn=admin,${p.baseDn}`;
  return {
    dn: p.baseDn,
    user: [
      ['objectClass', ['top', 'dcObject', 'organization']],
      ['o', [domain]],
      ['dc', [dc]],
    ],
    operational: [
      ['structuralObjectClass', ['organization']],
      ['entryUUID', [uuid]],
      ['creatorsName', [admin]],
      ['createTimestamp', [stamp]],
      ['entryCSN', [`${generalized(created)}.${micros}Z#000000#000#000000`]],
      ['modifiersName', [admin]],
      ['modifyTimestamp', [stamp]],
      ['entryDN', [p.baseDn]],
      ['subschemaSubentry', ['cn=Subschema']],
      ['hasSubordinates', ['FALSE']],
    ],
  };
}

/** The subschema subentry's user attributes (its operational schema lists are not served). */
export const subschemaEntry: SuffixEntry = {
  dn: 'cn=Subschema',
  user: [
    ['objectClass', ['top', 'subentry', 'subschema', 'extensibleObject']],
    ['cn', ['Subschema']],
  ],
  operational: [],
};

const valuesOf = (e: SuffixEntry, type: string) =>
  [...e.user, ...e.operational].find(([n]) => n.toLowerCase() === type.toLowerCase())?.[1];

/** RFC 4511 filter evaluation against one entry (case-insensitive, as every attribute here is). */
export function matchFilter(node: BerTree, e: SuffixEntry, depth = 0): boolean {
  if (depth > 16) return false;
  const s = (n: BerTree | undefined) => (n ? n.value.toString('utf8').toLowerCase() : '');
  const vals = (n: BerTree | undefined) => (valuesOf(e, s(n)) ?? []).map((v) => v.toLowerCase());
  switch (node.tag) {
    case 0xa0:
      return node.children.every((c) => matchFilter(c, e, depth + 1));
    case 0xa1:
      return node.children.some((c) => matchFilter(c, e, depth + 1));
    case 0xa2:
      return node.children[0] ? !matchFilter(node.children[0], e, depth + 1) : false;
    case 0x87:
      return valuesOf(e, node.value.toString('utf8')) !== undefined;
    case 0xa3:
    case 0xa8:
      return vals(node.children[0]).includes(s(node.children[1]));
    case 0xa4: {
      const parts = node.children[1]?.children ?? [];
      return vals(node.children[0]).some((v) => {
        let at = 0;
        for (const part of parts) {
          const text = s(part);
          if (part.tag === 0x80 && !v.startsWith(text)) return false;
          if (part.tag === 0x82) return v.length - text.length >= at && v.endsWith(text);
          const i = v.indexOf(text, at);
          if (i < 0) return false;
          at = i + text.length;
        }
        return true;
      });
    }
    default:
      return false;
  }
}

/** A CompareRequest's result code on the suffix entry: compareTrue 6, compareFalse 5, 16, 17. */
export function compareCode(e: SuffixEntry, type: string, value: string): number {
  if (!isKnownType(type)) return 17;
  const vals = valuesOf(e, type);
  if (!vals) return 16;
  return vals.some((v) => v.toLowerCase() === value.toLowerCase()) ? 6 : 5;
}

export type SlapdAnswer = Readonly<{ code: number; diag: string; matched: string }>;
const answer = (code: number, diag = '', matched = ''): SlapdAnswer => ({ code, diag, matched });

/** Where a DN sits relative to the suffix: the suffix itself, below it, or outside every database. */
function place(suffix: SuffixEntry, dn: string): 'suffix' | 'below' | 'subschema' | 'outside' {
  const n = normalizeDn(dn);
  const s = normalizeDn(suffix.dn);
  if (n === s) return 'suffix';
  if (n === 'cn=subschema') return 'subschema';
  return n.endsWith(`,${s}`) ? 'below' : 'outside';
}

/** A search below the root DSE: the suffix entry, the subschema entry, or noSuchObject. */
export function slapdSearch(
  suffix: SuffixEntry,
  base: string,
  scope: number,
  filter: BerTree,
): SlapdAnswer & { entries: SuffixEntry[] } {
  if (!validDn(base)) return { ...answer(34, 'invalid DN'), entries: [] };
  const where = base === '' ? 'outside' : place(suffix, base);
  if (where === 'suffix') return { ...answer(0), entries: scope !== 1 && matchFilter(filter, suffix) ? [suffix] : [] };
  if (where === 'subschema' && scope === 0)
    return { ...answer(0), entries: matchFilter(filter, subschemaEntry) ? [subschemaEntry] : [] };
  // Below the suffix slapd names the suffix as the closest existing entry (matchedDN).
  return { ...answer(32, '', where === 'below' ? suffix.dn : ''), entries: [] };
}

export function slapdCompare(suffix: SuffixEntry, dn: string, type: string, value: string): SlapdAnswer {
  if (!validDn(dn)) return answer(34, 'invalid DN');
  const where = place(suffix, dn);
  if (where === 'suffix') return answer(compareCode(suffix, type, value));
  return answer(32, '', where === 'below' ? suffix.dn : '');
}

/** Add, delete, modify, modifyDN: anonymous writes need authentication; outside every suffix, 53. */
export function slapdUpdate(suffix: SuffixEntry, tag: number, dn: string, hasAttributes: boolean): SlapdAnswer {
  if (!validDn(dn)) return answer(34, 'invalid DN');
  if (!hasAttributes) return answer(2, 'no attributes provided');
  if (place(suffix, dn) === 'outside' && (tag === 0x68 || tag === 0x4a))
    return answer(53, 'no global superior knowledge');
  return answer(8, 'modifications require authentication');
}

/**
 * Size of the LDAPMessage at the front of `buf` as slapd's liblber frames it, or null for more:
 * a multi-byte tag is read up to 8 octets and a non-SEQUENCE is dropped only once complete
 * (measured: `ff ff` and `1f 01` wait, `1f 01 00` closes).
 */
export function slapdMessageSize(buf: Buffer, maxBytes: number): number | null {
  let i = 1;
  if (buf.length < 1) return null;
  if ((buf[0]! & 0x1f) === 0x1f) {
    for (;;) {
      if (i >= buf.length) return null;
      const b = buf[i++]!;
      if ((b & 0x80) === 0) break;
      if (i >= 8) throw new BerError('BER tag longer than 8 octets');
    }
  }
  if (i >= buf.length) return null;
  const first = buf[i++]!;
  let len = first;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new BerError('bad BER length');
    if (i + n > buf.length) return null;
    len = buf.readUIntBE(i, n);
    i += n;
  }
  if (len > maxBytes) throw new BerError(`LDAP message of ${len} bytes`);
  if (buf.length < i + len) return null;
  if (buf[0] !== 0x30) throw new BerError('LDAPMessage is not a SEQUENCE');
  return i + len;
}
