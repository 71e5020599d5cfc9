// TPKT (RFC 1006) framing, shared by RDP and S7comm over ISO-on-TCP.

/** TPKT length from its 4-byte header (version 3). */
export function tpktLength(h: Buffer): number | string {
  if (h.readUInt8(0) !== 3) return 'not a TPKT header';
  return h.readUInt16BE(2);
}
