import { BerError, children, der, expectTag, readInt, readOid, readTlv, tlv } from '../codecs/ber-codec';

/** SNMP v1/v2c messages (RFC 1157, RFC 3416) and the v3 header fields (RFC 3412/3414) we record. */
export const pduTag = {
  get: 0xa0,
  getNext: 0xa1,
  response: 0xa2,
  set: 0xa3,
  trap: 0xa4,
  getBulk: 0xa5,
  inform: 0xa6,
  trapV2: 0xa7,
  report: 0xa8,
} as const;
const pduNames: Record<number, string> = {
  0xa0: 'get',
  0xa1: 'getnext',
  0xa3: 'set',
  0xa4: 'trap',
  0xa5: 'getbulk',
  0xa6: 'inform',
  0xa7: 'trap2',
  0xa8: 'report',
};

export type SnmpValue =
  | { type: 'string'; value: string }
  | { type: 'oid'; value: string }
  | { type: 'int'; value: number }
  | { type: 'ticks'; value: number };

export type CommunityMessage = Readonly<{
  version: 0 | 1;
  community: string;
  pdu: string;
  pduTag: number;
  /** request-id exactly as sent (it may be negative; it is echoed byte for byte). */
  requestId: Buffer;
  nonRepeaters: number;
  maxRepetitions: number;
  oids: string[];
}>;

export type V3Message = Readonly<{ version: 3; msgId: number; userName: string; engineId: string; flags: number }>;

export const snmpLimits = { maxVarbinds: 64, maxBulkResults: 32 } as const;

export function parseSnmp(buf: Buffer): CommunityMessage | V3Message {
  const { node: msg } = readTlv(buf);
  const parts = children(expectTag(msg, 0x30, 'message'));
  const version = readInt(expectTag(parts[0], 0x02, 'version'));
  if (version === 3) {
    const global = children(expectTag(parts[1], 0x30, 'msgGlobalData'));
    const msgId = readInt(expectTag(global[0], 0x02, 'msgID'));
    const flags = expectTag(global[2], 0x04, 'msgFlags').value.readUInt8(0) ?? 0;
    let userName = '';
    let engineId = '';
    const sec = expectTag(parts[2], 0x04, 'msgSecurityParameters');
    if (sec.value.length) {
      const usm = children(readTlv(sec.value).node);
      engineId = usm[0]?.value.toString('hex') ?? '';
      userName = usm[3]?.value.toString('utf8').slice(0, 64) ?? '';
    }
    return { version: 3, msgId, userName, engineId, flags };
  }
  if (version !== 0 && version !== 1) throw new BerError(`unsupported SNMP version ${version}`);
  const community = expectTag(parts[1], 0x04, 'community').value.toString('latin1').slice(0, 128);
  const pdu = parts[2];
  if (!pdu || !(pdu.tag in pduNames)) throw new BerError('unknown PDU');
  const f = children(pdu);
  const requestId = expectTag(f[0], 0x02, 'request-id').value;
  if (requestId.length === 0 || requestId.length > 4) throw new BerError('request-id size');
  const binds = children(expectTag(f[3], 0x30, 'varbind list'));
  if (binds.length > snmpLimits.maxVarbinds) throw new BerError('too many varbinds');
  const oids = binds.map((b) => readOid(expectTag(children(b)[0], 0x06, 'varbind name')));
  return {
    version,
    community,
    pdu: pduNames[pdu.tag] ?? 'unknown',
    pduTag: pdu.tag,
    requestId: Buffer.from(requestId),
    nonRepeaters: pdu.tag === pduTag.getBulk ? Math.max(0, readInt(expectTag(f[1], 0x02, 'non-repeaters'))) : 0,
    maxRepetitions: pdu.tag === pduTag.getBulk ? Math.max(0, readInt(expectTag(f[2], 0x02, 'max-repetitions'))) : 0,
    oids,
  };
}

/** Varbind value encodings; `noSuchObject`/`endOfMibView` are the v2c exceptions. */
export type VarbindOut = Readonly<{
  oid: string;
  value: SnmpValue | 'noSuchObject' | 'noSuchInstance' | 'endOfMibView' | 'null';
}>;

function encodeValue(v: VarbindOut['value']): Buffer {
  if (v === 'noSuchObject') return Buffer.from([0x80, 0]);
  if (v === 'noSuchInstance') return Buffer.from([0x81, 0]);
  if (v === 'endOfMibView') return Buffer.from([0x82, 0]);
  if (v === 'null') return der.null();
  switch (v.type) {
    case 'string':
      return der.octets(v.value);
    case 'oid':
      return der.oid(v.value);
    case 'int':
      return der.int(v.value);
    case 'ticks':
      return der.int(v.value >>> 0, 0x43);
  }
}

export function encodeResponse(
  req: CommunityMessage,
  binds: readonly VarbindOut[],
  errorStatus = 0,
  errorIndex = 0,
): Buffer {
  return der.seq(
    der.int(req.version),
    der.octets(Buffer.from(req.community, 'latin1')),
    tlv(
      pduTag.response,
      tlv(0x02, req.requestId),
      der.int(errorStatus),
      der.int(errorIndex),
      der.seq(...binds.map((b) => der.seq(der.oid(b.oid), encodeValue(b.value)))),
    ),
  );
}

export const usmReports = {
  unknownUserNames: '1.3.6.1.6.3.15.1.1.3.0',
  unknownEngineIds: '1.3.6.1.6.3.15.1.1.4.0',
} as const;

/**
 * The Report a v3 agent sends: usmStatsUnknownEngineIDs to an engine-ID discovery,
 * usmStatsUnknownUserNames to a request naming a user it does not have.
 */
export function encodeV3Report(
  req: V3Message,
  engineId: Buffer,
  boots: number,
  time: number,
  reportOid: string,
  counter: number,
): Buffer {
  const usm = der.seq(
    der.octets(engineId),
    der.int(boots),
    der.int(time),
    der.octets(reportOid === usmReports.unknownUserNames ? req.userName : ''),
    der.octets(''),
    der.octets(''),
  );
  const scoped = der.seq(
    der.octets(engineId),
    der.octets(''),
    tlv(
      pduTag.report,
      der.int(req.msgId),
      der.int(0),
      der.int(0),
      der.seq(der.seq(der.oid(reportOid), der.int(counter, 0x41))),
    ),
  );
  return der.seq(
    der.int(3),
    der.seq(der.int(req.msgId), der.int(65507), der.octets(Buffer.from([0])), der.int(3)),
    der.octets(usm),
    scoped,
  );
}

/** Numeric OID comparison (1.3.6.1.2.1.1.10 sorts after 1.3.6.1.2.1.1.9). */
export function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
