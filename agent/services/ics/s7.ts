/**
 * S7comm over ISO-on-TCP (RFC 1006 TPKT + ISO 8073 COTP) as far as identification goes: COTP
 * Connection Confirm, Setup Communication and Read SZL 0x0011 (module identification) and 0x001C
 * (component identification), which is what scanners (nmap s7-info, plcscan) ask for.
 */
export type S7Identity = Readonly<{
  orderNumber: string;
  hardwareOrderNumber: string;
  firmware: readonly [number, number, number];
  systemName: string;
  moduleType: string;
  plant: string;
  copyright: string;
  serial: string;
  moduleName: string;
}>;

export class S7Error extends Error {}

export type S7Request =
  | { kind: 'cotp-cr'; srcRef: number; params: Buffer }
  | { kind: 'setup'; pduRef: number }
  | { kind: 'szl'; pduRef: number; szlId: number; index: number; seq: number }
  | { kind: 'job'; pduRef: number; fn: number }
  | { kind: 'other'; rosctr: number };

/** The TPDU-size and TSAP parameters of a CR (what a CPU echoes in its CC); anything else is dropped. */
function cotpParams(raw: Buffer): Buffer {
  const keep: Buffer[] = [];
  let pos = 0;
  while (pos + 2 <= raw.length) {
    const code = raw.readUInt8(pos);
    const len = raw.readUInt8(pos + 1);
    if (pos + 2 + len > raw.length) break;
    if (code === 0xc0 || code === 0xc1 || code === 0xc2) keep.push(raw.subarray(pos, pos + 2 + len));
    pos += 2 + len;
  }
  return Buffer.from(Buffer.concat(keep));
}

export function parseS7(tpkt: Buffer): S7Request {
  if (tpkt.length < 7) throw new S7Error('truncated COTP');
  const li = tpkt.readUInt8(4);
  const pduType = tpkt.readUInt8(5);
  if (pduType === 0xe0) {
    if (li + 5 > tpkt.length || li < 6) throw new S7Error('bad COTP CR length');
    return { kind: 'cotp-cr', srcRef: tpkt.readUInt16BE(8), params: cotpParams(tpkt.subarray(11, 5 + li)) };
  }
  if (pduType !== 0xf0) throw new S7Error(`COTP PDU type 0x${pduType.toString(16)}`);
  const s7 = tpkt.subarray(4 + 1 + li);
  if (s7.length < 10 || s7.readUInt8(0) !== 0x32) throw new S7Error('not an S7comm PDU');
  const rosctr = s7.readUInt8(1);
  const pduRef = s7.readUInt16BE(4);
  const paramLen = s7.readUInt16BE(6);
  const params = s7.subarray(10, 10 + paramLen);
  if (rosctr === 1) {
    const fn = params.length ? params.readUInt8(0) : -1;
    return fn === 0xf0 ? { kind: 'setup', pduRef } : { kind: 'job', pduRef, fn };
  }
  if (rosctr === 7) {
    const data = s7.subarray(10 + paramLen);
    // Userdata: function group 4 (CPU functions), subfunction 1 (read SZL).
    if (params.length >= 8 && (params.readUInt8(5) & 0x0f) === 4 && params.readUInt8(6) === 1 && data.length >= 8) {
      return {
        kind: 'szl',
        pduRef,
        szlId: data.readUInt16BE(4),
        index: data.readUInt16BE(6),
        seq: params.readUInt8(7),
      };
    }
  }
  return { kind: 'other', rosctr };
}

function tpkt(body: Buffer): Buffer {
  const h = Buffer.from([3, 0, 0, 0]);
  h.writeUInt16BE(body.length + 4, 2);
  return Buffer.concat([h, body]);
}

const dt = Buffer.from([0x02, 0xf0, 0x80]);

export function cotpConfirm(srcRef: number, params: Buffer, ourRef: number): Buffer {
  const body = Buffer.alloc(7);
  body.writeUInt8(6 + params.length, 0);
  body.writeUInt8(0xd0, 1);
  body.writeUInt16BE(srcRef, 2);
  body.writeUInt16BE(ourRef, 4);
  return tpkt(Buffer.concat([body, params]));
}

export function setupResponse(pduRef: number): Buffer {
  const h = Buffer.from([0x32, 0x03, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0]);
  h.writeUInt16BE(pduRef, 4);
  // Max AmQ calling 1, called 1, PDU length 240, as an S7-300 CPU answers.
  return tpkt(Buffer.concat([dt, h, Buffer.from([0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0xf0])]));
}

function fixed(s: string, len: number, pad = ' '): Buffer {
  return Buffer.from(s.slice(0, len).padEnd(len, pad), 'latin1');
}

function szlRecords(id: S7Identity, szlId: number): { recordLength: number; records: Buffer[] } | null {
  if ((szlId & 0xff) === 0x11) {
    const rec = (index: number, mlfb: string, tail: Buffer) =>
      Buffer.concat([Buffer.from([index >> 8, index & 0xff]), fixed(mlfb, 20), tail]);
    const [a, b, c] = id.firmware;
    return {
      recordLength: 28,
      records: [
        rec(1, id.orderNumber, Buffer.from([0x00, 0xc0, 0x00, 0x03, 0x00, 0x01])),
        rec(6, id.hardwareOrderNumber, Buffer.from([0x00, 0xc0, 0x00, 0x03, 0x00, 0x01])),
        rec(7, '', Buffer.from([0x00, 0xc0, 0x56, a, b, c])),
      ],
    };
  }
  if ((szlId & 0xff) === 0x1c) {
    const rec = (index: number, text: string) => Buffer.concat([Buffer.from([0, index]), fixed(text, 32, '\0')]);
    return {
      recordLength: 34,
      records: [
        rec(1, id.systemName),
        rec(2, id.moduleName),
        rec(3, id.plant),
        rec(4, id.copyright),
        rec(5, id.serial),
        rec(7, id.moduleType),
      ],
    };
  }
  return null;
}

export function szlResponse(id: S7Identity, req: Extract<S7Request, { kind: 'szl' }>): Buffer {
  const found = szlRecords(id, req.szlId);
  const params = Buffer.from([0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, req.seq, 0x00, 0x00, 0x00, 0x00]);
  let data: Buffer;
  if (!found) {
    // 0xd401: "the requested SZL is not available".
    params.writeUInt16BE(0xd401, 10);
    data = Buffer.from([0x0a, 0x00, 0x00, 0x00]);
  } else {
    const list = Buffer.concat(found.records);
    const szl = Buffer.alloc(8);
    szl.writeUInt16BE(req.szlId, 0);
    szl.writeUInt16BE(req.index, 2);
    szl.writeUInt16BE(found.recordLength, 4);
    szl.writeUInt16BE(found.records.length, 6);
    const head = Buffer.from([0xff, 0x09, 0, 0]);
    head.writeUInt16BE(8 + list.length, 2);
    data = Buffer.concat([head, szl, list]);
  }
  const h = Buffer.from([0x32, 0x07, 0, 0, 0, 0, 0, 0, 0, 0]);
  h.writeUInt16BE(req.pduRef, 4);
  h.writeUInt16BE(params.length, 6);
  h.writeUInt16BE(data.length, 8);
  return tpkt(Buffer.concat([dt, h, params, data]));
}

/** Ack-data with an error class for jobs other than setup (read/write var, PLC stop…): access denied. */
export function jobRefused(pduRef: number, fn: number): Buffer {
  const h = Buffer.from([0x32, 0x03, 0, 0, 0, 0, 0, 2, 0, 0, 0x81, 0x04]);
  h.writeUInt16BE(pduRef, 4);
  return tpkt(Buffer.concat([dt, h, Buffer.from([fn & 0xff, 0])]));
}
