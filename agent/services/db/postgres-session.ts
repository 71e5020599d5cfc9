import { createHash, randomInt } from 'node:crypto';
import { pgMessage } from './postgres-codec';
import { pgSites, type PgSites } from './postgres-sites';

/**
 * A logged-in PostgreSQL session over the simple query protocol: the backend's start-up messages,
 * and answers from a small fake catalogue. psql's meta-commands (`\l`, `\dt`, `\du`) are catalogue
 * queries whose column aliases (`AS "Name"`) say what it wants, so those answers are built from
 * the aliases rather than from one psql release's exact text. `COPY … FROM PROGRAM`, the usual
 * route to a shell, is refused as it is for a role that is not superuser, and recorded.
 */

/** `tx` is ReadyForQuery's status: I idle, T in a transaction block, E in a failed one. */
export type PgSession = { user: string; db: string; version: string; superuser: boolean; tx?: 'I' | 'T' | 'E' };
/** Column types as RowDescription gives them: oid and typlen. */
export const pgTypes = { text: [25, -1], int4: [23, 4], name: [19, 64], inet: [869, -1] } as const;
export type PgType = keyof typeof pgTypes;
/** Where a real backend raises the error: its F/L (a PgSites key), and the token P points at. */
export type PgErrorSite = Readonly<{ file: string; site: keyof PgSites; at?: string }>;
export type PgAnswer =
  | Readonly<{
      kind: 'rows';
      columns: readonly string[];
      rows: readonly (readonly (string | null)[])[];
      types?: readonly PgType[];
      tag?: string;
    }>
  | Readonly<{ kind: 'tag'; tag: string }>
  | Readonly<{ kind: 'empty' }>
  | Readonly<{ kind: 'err'; code: string; message: string; routine: string; where?: PgErrorSite }>;

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
};
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n, 0);
  return b;
};

/** md5 auth: 'md5' + md5(md5(password + user) + salt), as libpq computes it. */
export function pgMd5(password: string, user: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return (
    'md5' +
    createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')
  );
}

/** AuthenticationOk, the ParameterStatus set a stock Debian backend sends, BackendKeyData, ReadyForQuery. */
export function loginMessages(s: PgSession, application: string): Buffer {
  const params: [string, string][] = [
    ['application_name', application],
    ['client_encoding', 'UTF8'],
    ['DateStyle', 'ISO, MDY'],
    ['default_transaction_read_only', 'off'],
    ['in_hot_standby', 'off'],
    ['integer_datetimes', 'on'],
    ['IntervalStyle', 'postgres'],
    ['is_superuser', s.superuser ? 'on' : 'off'],
    ['server_encoding', 'UTF8'],
    ['server_version', s.version],
    ['session_authorization', s.user],
    ['standard_conforming_strings', 'on'],
    ['TimeZone', 'Etc/UTC'],
  ];
  return Buffer.concat([
    pgMessage('R', i32(0)),
    ...params.map(([k, v]) => pgMessage('S', Buffer.concat([cstr(k), cstr(v)]))),
    pgMessage('K', Buffer.concat([i32(randomInt(1000, 99999)), i32(randomInt(1, 2 ** 31 - 1))])),
    pgMessage('Z', Buffer.from('I')),
  ]);
}

/**
 * RowDescription (each column's type, text by default), DataRows, CommandComplete; or the tag; or
 * EmptyQueryResponse; or ErrorResponse with P (1-based, within the whole query string, where
 * `at` is found from `offset` on) and the F/L of the real backend's error site.
 */
export function answerMessages(a: PgAnswer, sites?: PgSites, query = '', offset = 0): Buffer {
  if (a.kind === 'tag') return pgMessage('C', cstr(a.tag));
  if (a.kind === 'empty') return pgMessage('I', Buffer.alloc(0));
  if (a.kind === 'err') {
    const w = a.where;
    const at = w?.at ? query.toLowerCase().indexOf(w.at.toLowerCase(), offset) : -1;
    const site = w && sites ? [`F${w.file}`, `L${String(sites[w.site])}`] : ['Fpostgres.c', 'L1'];
    const fields = ['SERROR', 'VERROR', `C${a.code}`, `M${a.message}`, ...(at >= 0 ? [`P${at + 1}`] : []), ...site];
    return pgMessage('E', Buffer.concat([...[...fields, `R${a.routine}`].map(cstr), Buffer.from([0])]));
  }
  const desc = Buffer.concat([
    i16(a.columns.length),
    ...a.columns.map((c, i) => {
      const [oid, len] = pgTypes[a.types?.[i] ?? 'text'];
      return Buffer.concat([cstr(c), i32(0), i16(0), i32(oid), i16(len), i32(-1), i16(0)]);
    }),
  ]);
  const rows = a.rows.map((r) =>
    pgMessage(
      'D',
      Buffer.concat([
        i16(r.length),
        ...r.map((v) => (v === null ? i32(-1) : Buffer.concat([i32(Buffer.byteLength(v)), Buffer.from(v, 'utf8')]))),
      ]),
    ),
  );
  const tag = a.tag ?? `SELECT ${a.rows.length}`;
  return Buffer.concat([pgMessage('T', desc), ...rows, pgMessage('C', cstr(tag))]);
}

const databases = ['postgres', 'template0', 'template1'] as const;

/** The databases a login may name: the stock three and the decky's application database. */
export function pgDatabases(decky: string): string[] {
  return [...databases, appDatabase(decky).name];
}

/** The application database each decky has besides the stock three, and its tables. */
export function appDatabase(decky: string): { name: string; tables: Record<string, string[][]> } {
  const h = createHash('sha256').update(decky).digest('hex');
  return {
    name: ['crm', 'billing', 'inventory'][parseInt(h.slice(0, 2), 16) % 3]!,
    tables: {
      customers: [
        ['1', 'Acme Corp', 'billing@acme.example', '2022-03-14'],
        ['2', 'Globex', 'ap@globex.example', '2022-07-02'],
        ['3', 'Initech', 'accounts@initech.example', '2023-01-19'],
      ],
      users: [
        ['1', 'admin', `$2b$12$${h.slice(0, 53)}`, 't'],
        ['2', 'reporting', `$2b$12$${h.slice(10, 63)}`, 'f'],
      ],
    },
  };
}
const columnsOf: Record<string, string[]> = {
  customers: ['id', 'name', 'email', 'created_at'],
  users: ['id', 'username', 'password_hash', 'is_admin'],
};

export function answerPgQuery(raw: string, s: PgSession, decky: string): PgAnswer {
  const sql = raw.trim().replace(/;+\s*$/, '');
  const low = sql.toLowerCase().replace(/\s+/g, ' ');
  const app = appDatabase(decky);
  const owner = 'postgres';
  const aliases = [...sql.matchAll(/\bAS "([^"]+)"/gi)].map((m) => m[1]!);
  const byAlias = (values: Record<string, string | null>[]): PgAnswer => ({
    kind: 'rows',
    columns: aliases,
    rows: values.map((v) => aliases.map((a) => v[a] ?? '')),
  });
  if (!sql) return { kind: 'empty' };
  if (/from pg_catalog\.pg_database/.test(low))
    return byAlias(
      [...databases, app.name].sort().map((name) => ({
        Name: name,
        Owner: owner,
        Encoding: 'UTF8',
        Collate: 'C.UTF-8',
        Ctype: 'C.UTF-8',
        'Locale Provider': 'libc',
        'ICU Locale': null,
        'Access privileges': name.startsWith('template') ? `=c/${owner}\n${owner}=CTc/${owner}` : '',
      })),
    );
  if (/from pg_catalog\.pg_class/.test(low) && /relkind in/.test(low))
    return byAlias(
      (s.db === app.name ? Object.keys(app.tables) : []).map((t) => ({
        Schema: 'public',
        Name: t,
        Type: 'table',
        Owner: owner,
      })),
    );
  if (/from pg_catalog\.pg_roles/.test(low))
    return aliases.length
      ? byAlias([
          { 'Role name': 'postgres', Attributes: 'Superuser, Create role, Create DB, Replication, Bypass RLS' },
          { 'Role name': s.user, Attributes: '' },
        ])
      : { kind: 'rows', columns: ['rolname'], rows: [['postgres'], [s.user]] };
  const fn = /^select (version\(\)|current_user|current_database\(\)|user|session_user|inet_server_addr\(\)|\d+)$/.exec(
    low,
  );
  if (fn) {
    const k = fn[1]!;
    const value =
      k === 'version()'
        ? `PostgreSQL ${s.version} on x86_64-pc-linux-gnu, compiled by ${pgSites(s.version).compiledBy}, 64-bit`
        : k === 'current_database()'
          ? s.db
          : /^\d+$/.test(k)
            ? k
            : k === 'inet_server_addr()'
              ? null
              : s.user;
    const col = k.replace(/\(\)$/, '').replace(/^\d+$/, '?column?');
    const type: PgType = /^\d+$/.test(k)
      ? 'int4'
      : k === 'version()'
        ? 'text'
        : k === 'inet_server_addr()'
          ? 'inet'
          : 'name';
    return { kind: 'rows', columns: [col], rows: [[value]], types: [type] };
  }
  if (/^show server_version$/.test(low))
    return { kind: 'rows', columns: ['server_version'], rows: [[s.version]], tag: 'SHOW' };
  if (/^copy .* (from|to) program /.test(low))
    return {
      kind: 'err',
      code: '42501',
      message:
        'must be superuser or a member of the pg_execute_server_program role to COPY to or from an external program',
      routine: 'DoCopy',
    };
  if (/^(create|alter|drop) /.test(low))
    return { kind: 'err', code: '42501', message: 'permission denied for schema public', routine: 'aclcheck_error' };
  if (/^(begin|commit|rollback|set|reset)\b/.test(low)) return { kind: 'tag', tag: low.split(' ')[0]!.toUpperCase() };
  const sel = /^select (.+?) from (?:public\.)?(\w+)(?: limit (\d+))?$/.exec(low);
  if (sel) {
    const table = sel[2]!;
    const rows = s.db === app.name ? app.tables[table] : undefined;
    if (!rows)
      return {
        kind: 'err',
        code: '42P01',
        message: `relation "${table}" does not exist`,
        routine: 'parserOpenTable',
        where: { file: 'parse_relation.c', site: 'noRelation', at: table },
      };
    const names = columnsOf[table]!;
    const limited = sel[3] ? rows.slice(0, Number(sel[3])) : rows;
    if (/^count\(\*\)$/.test(sel[1]!)) return { kind: 'rows', columns: ['count'], rows: [[String(limited.length)]] };
    const cols = sel[1] === '*' ? names : sel[1]!.split(',').map((c) => c.trim());
    const bad = cols.find((c) => !names.includes(c));
    if (bad)
      return {
        kind: 'err',
        code: '42703',
        message: `column "${bad}" does not exist`,
        routine: 'errorMissingColumn',
        where: { file: 'parse_relation.c', site: 'noColumn', at: bad },
      };
    return { kind: 'rows', columns: cols, rows: limited.map((r) => cols.map((c) => r[names.indexOf(c)] ?? null)) };
  }
  const word = sql.split(/\s+/)[0] ?? sql;
  // A bare identifier list without FROM parses; its names are unknown columns.
  const bare = /^select ([a-z_][a-z0-9_]*)$/.exec(low);
  if (bare)
    return {
      kind: 'err',
      code: '42703',
      message: `column "${bare[1]!}" does not exist`,
      routine: 'errorMissingColumn',
      where: { file: 'parse_relation.c', site: 'noColumn', at: bare[1]! },
    };
  return {
    kind: 'err',
    code: '42601',
    message: `syntax error at or near "${word}"`,
    routine: 'scanner_yyerror',
    where: { file: 'scan.l', site: 'syntaxError', at: word },
  };
}
