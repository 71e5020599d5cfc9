import { encodeBson } from '../../../agent/services/db/bson-codec';

/** Valid client messages for the database/directory honeypots (fuzz seeds, benchmark logins). */

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export function mysqlLogin(): Buffer {
  const p = Buffer.concat([
    hex('8da6bf01 00000001 2d'),
    Buffer.alloc(23),
    Buffer.from('root\0'),
    Buffer.from([20]),
    Buffer.alloc(20, 7),
    Buffer.from('mysql\0mysql_native_password\0'),
  ]);
  const h = Buffer.alloc(4);
  h.writeUIntLE(p.length, 0, 3);
  h[3] = 1;
  return Buffer.concat([h, p]);
}

export function pgStartup(): Buffer {
  const body = Buffer.from('user\0bob\0database\0db\0\0');
  const h = Buffer.alloc(8);
  h.writeInt32BE(8 + body.length, 0);
  h.writeInt32BE(196608, 4);
  return Buffer.concat([h, body, hex('7000000007707700')]);
}

export function login7(): Buffer {
  const fields = ['host', 'sa', 'pw', 'app', 'srv', '', 'lib', 'us_english', 'master'];
  const fixed = Buffer.alloc(94);
  let off = 94;
  const data: Buffer[] = [];
  const slots = [36, 40, 44, 48, 52, 56, 60, 64, 68];
  fields.forEach((f, i) => {
    const b = Buffer.from(f, 'utf16le');
    fixed.writeUInt16LE(off, slots[i]);
    fixed.writeUInt16LE(f.length, slots[i]! + 2);
    data.push(b);
    off += b.length;
  });
  fixed.writeUInt32LE(off, 0);
  fixed.writeUInt32LE(0x74000004, 4);
  const payload = Buffer.concat([fixed, ...data]);
  const h = hex('1001000000000100');
  h.writeUInt16BE(payload.length + 8, 2);
  return Buffer.concat([h, payload]);
}

export function opMsg(doc: Record<string, unknown>): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), encodeBson(doc)]);
  const h = Buffer.alloc(16);
  h.writeInt32LE(16 + body.length, 0);
  h.writeInt32LE(2013, 12);
  return Buffer.concat([h, body]);
}
