/**
 * MySQL text-protocol replies after a login (protocol 41): OK, result sets (column definitions,
 * rows, EOF or the CLIENT_DEPRECATE_EOF form of OK). Hand-written because the bytes on the wire are
 * what a client (and a fingerprinting tool) reads; pure, so that they can be unit tested.
 */
import { mysqlPacket } from './mysql-codec';

export const CLIENT_DEPRECATE_EOF = 1 << 24;
/** MariaDB extensions both sides announced: a type-info field per column, a metadata flag per set. */
export const MARIADB_EXTENDED_METADATA = 1 << 3;
export const MARIADB_CACHE_METADATA = 1 << 4;

/** What the session negotiated that changes a result set's layout. */
export type ResultCaps = Readonly<{ client: number; mariadb: number }>;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;
/** Another result of a multi-statement query follows this one. */
const SERVER_MORE_RESULTS_EXISTS = 0x0008;
const TYPE = { longlong: 0x08, varString: 0xfd } as const;

export type Cell = string | number | null;
/** An expression column's own definition (empty org_name); table columns are derived from their cells. */
export type ColumnMeta = Readonly<{ charset: number; length: number; type: number; flags: number; decimals: number }>;
export type ResultSet = Readonly<{
  columns: readonly string[];
  rows: readonly (readonly Cell[])[];
  table?: string;
  db?: string;
  meta?: readonly (ColumnMeta | undefined)[];
}>;

export function lenencInt(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

export function lenencString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([lenencInt(b.length), b]);
}

const status = (more: boolean) => SERVER_STATUS_AUTOCOMMIT | (more ? SERVER_MORE_RESULTS_EXISTS : 0);

export function okPacket(affectedRows = 0, header = 0x00, more = false): Buffer {
  return Buffer.concat([
    Buffer.from([header]),
    lenencInt(affectedRows),
    lenencInt(0),
    Buffer.from([status(more), 0, 0, 0]),
  ]);
}

function eofPacket(more = false): Buffer {
  return Buffer.from([0xfe, 0, 0, status(more), 0]);
}

function columnDef(rs: ResultSet, name: string, numeric: boolean, extended: boolean, meta?: ColumnMeta): Buffer {
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  fixed.writeUInt16LE(meta?.charset ?? (numeric ? 63 : 45), 1); // binary for numbers, utf8mb4_general_ci for text
  fixed.writeUInt32LE(meta?.length ?? (numeric ? 21 : 1020), 3);
  fixed[7] = meta?.type ?? (numeric ? TYPE.longlong : TYPE.varString);
  fixed.writeUInt16LE(meta?.flags ?? (numeric ? 0x0081 : 0), 8); // NOT_NULL | BINARY for numbers
  fixed[10] = meta?.decimals ?? 0;
  return Buffer.concat([
    lenencString('def'),
    lenencString(rs.db ?? ''),
    lenencString(rs.table ?? ''),
    lenencString(rs.table ?? ''),
    lenencString(name),
    lenencString(meta ? '' : name),
    // MariaDB's extended type info: none for these columns (an empty key/value list).
    ...(extended ? [lenencInt(0)] : []),
    fixed,
  ]);
}

/** Every packet of one result set from sequence id `first`; `more`: another result follows. */
export function resultSetPackets(
  rs: ResultSet,
  caps: ResultCaps,
  first = 1,
  more = false,
): { bytes: Buffer; next: number } {
  let seq = first;
  const cacheMeta = (caps.mariadb & MARIADB_CACHE_METADATA) !== 0;
  const extended = (caps.mariadb & MARIADB_EXTENDED_METADATA) !== 0;
  const count = lenencInt(rs.columns.length);
  // With metadata caching the column count is followed by "metadata follows" (always: no cache).
  const out: Buffer[] = [mysqlPacket(seq++, cacheMeta ? Buffer.concat([count, Buffer.from([1])]) : count)];
  rs.columns.forEach((c, i) => {
    const numeric = rs.rows.length > 0 && rs.rows.every((r) => typeof r[i] === 'number');
    out.push(mysqlPacket(seq++, columnDef(rs, c, numeric, extended, rs.meta?.[i])));
  });
  const deprecateEof = (caps.client & CLIENT_DEPRECATE_EOF) !== 0;
  if (!deprecateEof) out.push(mysqlPacket(seq++, eofPacket(more)));
  for (const row of rs.rows.slice(0, 10_000))
    out.push(
      mysqlPacket(
        seq++,
        Buffer.concat(row.map((cell) => (cell === null ? Buffer.from([0xfb]) : lenencString(String(cell))))),
      ),
    );
  out.push(mysqlPacket(seq++, deprecateEof ? okPacket(0, 0xfe, more) : eofPacket(more)));
  return { bytes: Buffer.concat(out), next: seq };
}
