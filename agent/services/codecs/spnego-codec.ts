import { der, tlv } from './ber-codec';

/** SPNEGO (RFC 4178) as Windows servers wrap NTLMSSP in SMB2 security buffers. */
export const mechOids = {
  spnego: '1.3.6.1.5.5.2',
  ntlmssp: '1.3.6.1.4.1.311.2.2.10',
  msKrb5: '1.2.840.48018.1.2.2',
  krb5: '1.2.840.113554.1.2.2',
} as const;

/**
 * The NegTokenInit a server advertises in its NEGOTIATE response. A domain member lists Kerberos
 * before NTLMSSP; a workgroup machine has no KDC, so clients go straight to NTLMSSP.
 */
export function negTokenInit(withKerberos: boolean): Buffer {
  const mechs = withKerberos ? [mechOids.msKrb5, mechOids.krb5, mechOids.ntlmssp] : [mechOids.ntlmssp];
  const body = der.seq(
    der.ctx(0, der.seq(...mechs.map((m) => der.oid(m)))),
    // Windows' fixed negHints string (MS-SPNG 2.2.1); clients ignore it, scanners read it.
    der.ctx(3, der.seq(der.ctx(0, der.octets('not_defined_in_RFC4178@please_ignore', 0x1b)))),
  );
  return tlv(0x60, der.oid(mechOids.spnego), der.ctx(0, body));
}

/** NegTokenResp: accept-incomplete carrying the NTLMSSP CHALLENGE. */
export function negTokenRespChallenge(ntlmChallenge: Buffer): Buffer {
  return tlv(
    0xa1,
    der.seq(
      der.ctx(0, tlv(0x0a, Buffer.from([1]))),
      der.ctx(1, der.oid(mechOids.ntlmssp)),
      der.ctx(2, der.octets(ntlmChallenge)),
    ),
  );
}
