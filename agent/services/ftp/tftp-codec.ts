/** TFTP packets (RFC 1350, option extension RFC 2347). */
export const tftpOp = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;
export const tftpError = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTid: 5,
} as const;

export class TftpError extends Error {
  /** ERROR packet to send back (tftpd-hpa's wording), or null when the request is dropped silently. */
  constructor(
    message: string,
    readonly reply: Readonly<{ code: number; text: string }> | null = null,
  ) {
    super(message);
  }
}

export type TftpRequest = Readonly<{
  op: 'RRQ' | 'WRQ';
  filename: string;
  mode: string;
  options: Record<string, string>;
}>;

export function parseRequest(msg: Buffer): TftpRequest {
  if (msg.length < 4) throw new TftpError('truncated request');
  const opcode = msg.readUInt16BE(0);
  if (opcode !== tftpOp.rrq && opcode !== tftpOp.wrq) throw new TftpError(`opcode ${opcode} is not a request`);
  const fields: string[] = [];
  let pos = 2;
  while (pos < msg.length && fields.length < 34) {
    const end = msg.indexOf(0, pos);
    if (end < 0) throw new TftpError('unterminated field');
    fields.push(msg.subarray(pos, end).toString('latin1'));
    pos = end + 1;
  }
  const [filename, mode, ...rest] = fields;
  if (filename === undefined || mode === undefined || filename === '')
    throw new TftpError('request without filename or mode');
  if (!/^(netascii|octet|mail)$/i.test(mode))
    throw new TftpError(`unknown mode ${JSON.stringify(mode.slice(0, 16))}`, {
      code: tftpError.illegalOperation,
      text: 'Unknown mode',
    });
  const options: Record<string, string> = {};
  for (let i = 0; i + 1 < rest.length; i += 2)
    options[(rest[i] ?? '').toLowerCase().slice(0, 32)] = (rest[i + 1] ?? '').slice(0, 64);
  return {
    op: opcode === tftpOp.rrq ? 'RRQ' : 'WRQ',
    filename: filename.slice(0, 512),
    mode: mode.toLowerCase(),
    options,
  };
}

export function errorPacket(code: number, message: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(tftpOp.error, 0);
  b.writeUInt16BE(code, 2);
  return Buffer.concat([b, Buffer.from(message, 'latin1'), Buffer.from([0])]);
}

export function ackPacket(block: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(tftpOp.ack, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}

export function dataPacket(block: number, data: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(tftpOp.data, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return Buffer.concat([b, data]);
}
