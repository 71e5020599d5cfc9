import { berIntBytes, berTags, tlv, tlvLong } from '../codecs/ber-codec';
import type { Attribute } from './ldap-dse';

/** LDAP result codes (RFC 4511 §4.1.9) and the messages both personas build from them. */
export const resultCodes = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  noSuchObject: 32,
  invalidDnSyntax: 34,
  invalidCredentials: 49,
  unavailable: 52,
} as const;

export const adDiag = {
  invalidCredentials: '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563\0',
  needBind:
    '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563\0',
  unknownMech:
    '00002027: LdapErr: DSID-0C090A5B, comment: The server does not support the requested SASL mechanism, data 0, v4563\0',
};

/**
 * AD writes constructed elements with 4-byte long-form lengths (0x84 …, nmap keys its AD match on
 * that); slapd 2.5's liblber writes the shortest form (measured).
 */
const enc = (long: boolean, tag: number, body: Buffer | Buffer[]) =>
  long && (tag & 0x20) !== 0 ? tlvLong(tag, ...[body].flat()) : tlv(tag, ...[body].flat());
const str = (s: string) => tlv(berTags.octetString, Buffer.from(s, 'utf8'));

export function message(long: boolean, id: number, op: Buffer): Buffer {
  return enc(long, berTags.sequence, [tlv(berTags.integer, berIntBytes(id)), op]);
}

export function result(
  long: boolean,
  appTag: number,
  code: number,
  diag = '',
  matched = '',
  extra: Buffer[] = [],
): Buffer {
  return enc(long, appTag, [tlv(berTags.enumerated, Buffer.from([code])), str(matched), str(diag), ...extra]);
}

export function entry(long: boolean, dn: string, attrs: Attribute[], typesOnly: boolean): Buffer {
  const list = attrs.map(([name, vals]) =>
    enc(long, berTags.sequence, [str(name), enc(long, berTags.set, typesOnly ? [] : vals.map(str))]),
  );
  return enc(long, 0x64, [str(dn), enc(long, berTags.sequence, list)]);
}

/** slapd's Notice of Disconnection (RFC 4511 §4.4.1) before it drops a PDU it cannot decode. */
export const slapdNotice = (diag: string) =>
  message(
    false,
    0,
    result(false, 0x78, resultCodes.protocolError, diag, '', [
      tlv(0x8a, Buffer.from('1.3.6.1.4.1.1466.20036', 'latin1')),
    ]),
  );
