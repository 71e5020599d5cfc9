import { slapdSaslMechanisms } from './slapd-sasl';
import type { BerTree as BerTree } from '../codecs/ber-tree';

/**
 * The two directory personas: Active Directory (windows archetypes) and OpenLDAP (slapd as the
 * Linux distros package it). Their root DSEs, attribute selection rules and error wording.
 */
export type LdapPersona = Readonly<{
  ad: boolean;
  baseDn: string;
  /** Short upper-case machine name (AD) and fully qualified host name. */
  host: string;
  dnsHostName: string;
}>;

export type Attribute = readonly [name: string, values: readonly string[]];

/** `corp.local` → `DC=corp,DC=local` (AD spelling) or `dc=corp,dc=local`. */
export function domainToDn(domain: string, ad: boolean): string {
  return domain
    .split('.')
    .filter(Boolean)
    .map((p) => `${ad ? 'DC' : 'dc'}=${p}`)
    .join(',');
}

export function dnToDomain(dn: string): string {
  return dn
    .split(',')
    .map((p) => /^\s*dc=(.*)$/i.exec(p)?.[1]?.trim())
    .filter(Boolean)
    .join('.');
}

function generalizedTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.0Z`;
}

const adControls = [
  '1.2.840.113556.1.4.319',
  '1.2.840.113556.1.4.801',
  '1.2.840.113556.1.4.473',
  '1.2.840.113556.1.4.528',
  '1.2.840.113556.1.4.417',
  '1.2.840.113556.1.4.619',
  '1.2.840.113556.1.4.841',
  '1.2.840.113556.1.4.529',
  '1.2.840.113556.1.4.805',
  '1.2.840.113556.1.4.521',
  '1.2.840.113556.1.4.970',
  '1.2.840.113556.1.4.1338',
  '1.2.840.113556.1.4.474',
  '1.2.840.113556.1.4.1339',
  '1.2.840.113556.1.4.1340',
  '1.2.840.113556.1.4.1413',
  '2.16.840.1.113730.3.4.9',
  '2.16.840.1.113730.3.4.10',
  '1.2.840.113556.1.4.1504',
  '1.2.840.113556.1.4.1852',
  '1.2.840.113556.1.4.802',
  '1.2.840.113556.1.4.1907',
  '1.2.840.113556.1.4.1948',
  '1.2.840.113556.1.4.1974',
  '1.2.840.113556.1.4.1341',
  '1.2.840.113556.1.4.2026',
  '1.2.840.113556.1.4.2064',
  '1.2.840.113556.1.4.2065',
  '1.2.840.113556.1.4.2066',
  '1.2.840.113556.1.4.2090',
  '1.2.840.113556.1.4.2205',
  '1.2.840.113556.1.4.2204',
  '1.2.840.113556.1.4.2206',
  '1.2.840.113556.1.4.2211',
  '1.2.840.113556.1.4.2239',
  '1.2.840.113556.1.4.2255',
  '1.2.840.113556.1.4.2256',
  '1.2.840.113556.1.4.2309',
];

const adPolicies =
  'MaxPoolThreads MaxPercentDirSyncRequests MaxDatagramRecv MaxReceiveBuffer InitRecvTimeout MaxConnections MaxConnIdleTime MaxPageSize MaxBatchReturnMessages MaxQueryDuration MaxDirSyncDuration MaxTempTableSize MaxResultSetSize MinResultSets MaxResultSetsPerConn MaxNotificationPerConn MaxValRange MaxValRangeTransitive ThreadMemoryLimit SystemMemoryLimitPercent'.split(
    ' ',
  );

/** Every root DSE attribute, in the order the server lists them, and which are "operational". */
export function rootDse(
  p: LdapPersona,
  tls = false,
  now = new Date(),
): { user: Attribute[]; operational: Attribute[] } {
  if (p.ad) {
    const config = `CN=Configuration,${p.baseDn}`;
    const site = `CN=${p.host},CN=Servers,CN=Default-First-Site-Name,CN=Sites,${config}`;
    const domain = dnToDomain(p.baseDn);
    // AD returns every root DSE attribute when none are named; nothing is "operational" there.
    return {
      user: [
        ['currentTime', [generalizedTime(now)]],
        ['subschemaSubentry', [`CN=Aggregate,CN=Schema,${config}`]],
        ['dsServiceName', [`CN=NTDS Settings,${site}`]],
        [
          'namingContexts',
          [p.baseDn, config, `CN=Schema,${config}`, `DC=DomainDnsZones,${p.baseDn}`, `DC=ForestDnsZones,${p.baseDn}`],
        ],
        ['defaultNamingContext', [p.baseDn]],
        ['rootDomainNamingContext', [p.baseDn]],
        ['configurationNamingContext', [config]],
        ['schemaNamingContext', [`CN=Schema,${config}`]],
        ['serverName', [site]],
        ['supportedControl', adControls],
        ['supportedLDAPVersion', ['3', '2']],
        ['supportedLDAPPolicies', adPolicies],
        ['highestCommittedUSN', ['1648305']],
        ['supportedSASLMechanisms', ['GSSAPI', 'GSS-SPNEGO', 'EXTERNAL', 'DIGEST-MD5']],
        ['dnsHostName', [p.dnsHostName]],
        ['ldapServiceName', [`${domain}:${p.host.toLowerCase()}$@${domain.toUpperCase()}`]],
        [
          'supportedCapabilities',
          [
            '1.2.840.113556.1.4.800',
            '1.2.840.113556.1.4.1670',
            '1.2.840.113556.1.4.1791',
            '1.2.840.113556.1.4.1935',
            '1.2.840.113556.1.4.2080',
            '1.2.840.113556.1.4.2237',
          ],
        ],
        ['isSynchronized', ['TRUE']],
        ['isGlobalCatalogReady', ['TRUE']],
        ['domainFunctionality', ['7']],
        ['forestFunctionality', ['7']],
        ['domainControllerFunctionality', ['7']],
      ],
      operational: [],
    };
  }
  return {
    user: [['objectClass', ['top', 'OpenLDAProotDSE']]],
    operational: [
      ['structuralObjectClass', ['OpenLDAProotDSE']],
      ['configContext', ['cn=config']],
      ['namingContexts', [p.baseDn]],
      [
        'supportedControl',
        [
          '2.16.840.1.113730.3.4.18',
          '2.16.840.1.113730.3.4.2',
          '1.3.6.1.4.1.4203.1.10.1',
          '1.3.6.1.1.22',
          '1.2.840.113556.1.4.319',
          '1.2.826.0.1.3344810.2.3',
          '1.3.6.1.1.13.2',
          '1.3.6.1.1.13.1',
          '1.3.6.1.1.12',
        ],
      ],
      // slapd lists StartTLS first once TLS is configured (olcTLSCertificateFile set).
      [
        'supportedExtension',
        // back_mdb adds the LDAP transaction extensions (RFC 5805, End then Start).
        [
          '1.3.6.1.4.1.1466.20037',
          '1.3.6.1.4.1.4203.1.11.1',
          '1.3.6.1.4.1.4203.1.11.3',
          '1.3.6.1.1.8',
          '1.3.6.1.1.21.3',
          '1.3.6.1.1.21.1',
        ],
      ],
      [
        'supportedFeatures',
        [
          '1.3.6.1.1.14',
          '1.3.6.1.4.1.4203.1.5.1',
          '1.3.6.1.4.1.4203.1.5.2',
          '1.3.6.1.4.1.4203.1.5.3',
          '1.3.6.1.4.1.4203.1.5.4',
          '1.3.6.1.4.1.4203.1.5.5',
        ],
      ],
      ['supportedLDAPVersion', ['3']],
      // Cyrus' mechanisms with libsasl2-modules (which libsasl2-2 recommends) under slapd's secprops.
      ['supportedSASLMechanisms', slapdSaslMechanisms(tls)],
      ['entryDN', ['']],
      ['subschemaSubentry', ['cn=Subschema']],
    ],
  };
}

/** RFC 4511 attribute selection: none or `*` → user attributes, `+` → operational, names → those. */
export function selectAttributes(
  all: { user: Attribute[]; operational: Attribute[] },
  requested: string[],
): Attribute[] {
  const wanted = requested.map((r) => r.toLowerCase());
  if (wanted.length === 1 && wanted[0] === '1.1') return [];
  const allUser = wanted.length === 0 || wanted.includes('*');
  const allOper = wanted.includes('+');
  return [...all.user.map((a) => [a, allUser] as const), ...all.operational.map((a) => [a, allOper] as const)]
    .filter(([a, bulk]) => bulk || wanted.includes(a[0].toLowerCase()))
    .map(([a]) => a);
}

/** A readable rendering of a search filter for the capture, e.g. `(&(objectClass=user)(cn=adm*))`. */
export function renderFilter(node: BerTree, depth = 0): string {
  if (depth > 8) return '(…)';
  const s = (n: BerTree | undefined) => (n ? n.value.toString('utf8', 0, Math.min(n.value.length, 128)) : '');
  switch (node.tag) {
    case 0xa0:
      return `(&${node.children
        .slice(0, 16)
        .map((c) => renderFilter(c, depth + 1))
        .join('')})`;
    case 0xa1:
      return `(|${node.children
        .slice(0, 16)
        .map((c) => renderFilter(c, depth + 1))
        .join('')})`;
    case 0xa2:
      return `(!${node.children[0] ? renderFilter(node.children[0], depth + 1) : ''})`;
    case 0xa3:
      return `(${s(node.children[0])}=${s(node.children[1])})`;
    case 0xa5:
      return `(${s(node.children[0])}>=${s(node.children[1])})`;
    case 0xa6:
      return `(${s(node.children[0])}<=${s(node.children[1])})`;
    case 0xa8:
      return `(${s(node.children[0])}~=${s(node.children[1])})`;
    case 0x87:
      return `(${node.value.toString('utf8', 0, Math.min(node.value.length, 128))}=*)`;
    case 0xa4: {
      const parts = node.children[1]?.children ?? [];
      const text = parts.map((p) => (p.tag === 0x80 ? `${s(p)}*` : p.tag === 0x82 ? `*${s(p)}` : `*${s(p)}*`)).join('');
      return `(${s(node.children[0])}=${text.replace(/\*\*/g, '*')})`;
    }
    default:
      return '(?)';
  }
}
