import { createHash } from 'node:crypto';
import type { Cell, ColumnMeta, ResultSet } from './mysql-results';

/**
 * The small fake schema a logged-in attacker explores, and the statements they run on it: version
 * and user probes, SHOW DATABASES/TABLES, DESCRIBE, SELECT (columns, one `col = 'x'` filter,
 * LIMIT), COUNT(*), and the file tricks (INTO OUTFILE, LOAD_FILE) answered as a server with
 * secure_file_priv answers. Writes are acknowledged without changing anything. Nothing is parsed
 * beyond what these need; anything else is the server's syntax error.
 */

export type SqlSession = { db: string | null; user: string; src: string; version: string; mariadb: boolean };
export type SqlAnswer =
  | Readonly<{ kind: 'rows'; rs: ResultSet }>
  | Readonly<{ kind: 'ok'; affected: number }>
  | Readonly<{ kind: 'err'; code: number; state: string; message: string }>;

type Table = Readonly<{
  columns: readonly (readonly [name: string, type: string])[];
  rows: readonly (readonly Cell[])[];
}>;
export type Schema = ReadonlyMap<string, ReadonlyMap<string, Table>>;

/** mysql_native_password's stored hash, `*` + SHA1(SHA1(password)) in upper-case hex. */
export const nativeHash = (pw: string): string =>
  '*' + createHash('sha1').update(createHash('sha1').update(pw).digest()).digest('hex').toUpperCase();

/** A WordPress-like application database and the mysql system tables, stable per decky. */
export function fakeSchema(decky: string, users: ReadonlyMap<string, string>): Schema {
  const h = (s: string) => createHash('sha256').update(`${decky}\0${s}`).digest('hex');
  const phpass = (s: string) => `$P$B${h(s).slice(0, 30)}`;
  const people = ['admin', 'jsmith', 'mlopez', 'editor'];
  const wpUsers: Table = {
    columns: [
      ['ID', 'bigint(20) unsigned'],
      ['user_login', 'varchar(60)'],
      ['user_pass', 'varchar(255)'],
      ['user_email', 'varchar(100)'],
      ['user_registered', 'datetime'],
    ],
    rows: people.map((p, i) => [
      i + 1,
      p,
      phpass(p),
      `${p}@${decky.replace(/-\d+$/, '')}.example`,
      `2021-0${i + 3}-1${i} 09:2${i}:41`,
    ]),
  };
  const wpOptions: Table = {
    columns: [
      ['option_id', 'bigint(20) unsigned'],
      ['option_name', 'varchar(191)'],
      ['option_value', 'longtext'],
      ['autoload', 'varchar(20)'],
    ],
    rows: [
      [1, 'siteurl', `http://${decky}`, 'yes'],
      [2, 'home', `http://${decky}`, 'yes'],
      [3, 'blogname', 'Intranet', 'yes'],
      [4, 'admin_email', `admin@${decky.replace(/-\d+$/, '')}.example`, 'yes'],
    ],
  };
  const mysqlUser: Table = {
    columns: [
      ['Host', 'char(255)'],
      ['User', 'char(128)'],
      ['Password', 'longtext'],
    ],
    rows: [
      ['localhost', 'mariadb.sys', ''],
      ['localhost', 'root', 'invalid'],
      ...[...users].map(([u, pw]): Cell[] => ['%', u, nativeHash(pw)]),
      ['localhost', 'wordpress', nativeHash(h('wp').slice(0, 12))],
    ],
  };
  const t = (entries: [string, Table][]) => new Map(entries);
  return new Map([
    ['information_schema', t([])],
    ['mysql', t([['user', mysqlUser]])],
    ['performance_schema', t([])],
    ['sys', t([])],
    [
      'wordpress',
      t([
        ['wp_options', wpOptions],
        ['wp_users', wpUsers],
      ]),
    ],
  ]);
}

const err = (code: number, state: string, message: string): SqlAnswer => ({ kind: 'err', code, state, message });
const rows = (columns: string[], data: Cell[][], extra: { table?: string; db?: string } = {}): SqlAnswer => ({
  kind: 'rows',
  rs: { columns, rows: data, ...extra },
});
const statementKeywords = new Set(
  'select insert update delete replace create drop alter show set use grant revoke describe desc explain call load lock unlock truncate rename begin commit rollback start flush kill with'.split(
    ' ',
  ),
);
/**
 * What MariaDB 10.11 says about a select-list expression (measured): strings are utf8mb4 with
 * 4 bytes a character, NOT_FIXED_DEC (39) decimals; integer literals LONG of their digit count.
 */
function mariadbMeta(k: string, v: Cell): ColumnMeta {
  const str = (length: number, flags = 0): ColumnMeta => ({ charset: 45, length, type: 0xfd, flags, decimals: 39 });
  if (/^\d+$/.test(k))
    return { charset: 63, length: k.length, type: k.length > 9 ? 0x08 : 0x03, flags: 0x81, decimals: 0 };
  if (k === 'now()') return { charset: 63, length: 19, type: 0x0c, flags: 0x81, decimals: 0 };
  if (k === 'database()' || k === 'schema()') return str(256);
  if (k.endsWith('user()')) return str(1536);
  return str(v === null ? 0 : String(v).length * 4, k === 'version()' ? 1 : 0);
}

const unquote = (s: string) => s.replace(/^[`'"]|[`'"]$/g, '');

export function answerQuery(raw: string, s: SqlSession, schema: Schema): SqlAnswer {
  const sql = raw
    .trim()
    .replace(/;+\s*$/, '')
    .replace(/\s+/g, ' ');
  const low = sql.toLowerCase();
  const product = s.mariadb ? 'MariaDB' : 'MySQL';
  // The parser quotes the query from the token it stopped at: the first word when that is no
  // statement keyword (measured: "selec x" is near 'selec x'), else what follows it.
  const keyword = statementKeywords.has(low.split(' ')[0] ?? '');
  const near = keyword ? sql.slice(sql.indexOf(' ') + 1, sql.indexOf(' ') + 81) : sql.slice(0, 80);
  const syntax = () =>
    err(
      1064,
      '42000',
      `You have an error in your SQL syntax; check the manual that corresponds to your ${product} server version for the right syntax to use near '${near}' at line 1`,
    );
  const noDb = () => err(1046, '3D000', 'No database selected');
  const tableOf = (name: string): { db: string; table: string; t: Table } | SqlAnswer => {
    const [a, b] = unquote(name).split('.').map(unquote);
    const db = b ? a! : s.db;
    const table = b ?? a!;
    if (!db) return noDb();
    const t = schema.get(db)?.get(table);
    return t ? { db, table, t } : err(1146, '42S02', `Table '${db}.${table}' doesn't exist`);
  };

  if (!sql) return err(1065, '42000', 'Query was empty');
  if (/^select @@version_comment( limit 1)?$/.test(low))
    return s.mariadb
      ? {
          kind: 'rows',
          rs: {
            columns: ['@@version_comment'],
            rows: [['Debian 12']],
            meta: [mariadbMeta('@@version_comment', 'Debian 12')],
          },
        }
      : rows(['@@version_comment'], [['(Ubuntu)']]);
  const fn =
    /^select (version\(\)|@@version|database\(\)|schema\(\)|user\(\)|current_user\(\)|system_user\(\)|@@hostname|@@datadir|@@secure_file_priv|now\(\)|\d+)$/.exec(
      low,
    );
  if (fn) {
    const k = fn[1]!;
    const v: Cell =
      k === 'version()' || k === '@@version'
        ? s.version
        : k === 'database()' || k === 'schema()'
          ? s.db
          : k === 'current_user()'
            ? `${s.user}@%`
            : k.endsWith('user()')
              ? `${s.user}@${s.src}`
              : k === '@@datadir'
                ? '/var/lib/mysql/'
                : k === '@@secure_file_priv'
                  ? s.mariadb
                    ? null // MariaDB's default is unset
                    : '/var/lib/mysql-files/'
                  : k === 'now()'
                    ? new Date().toISOString().slice(0, 19).replace('T', ' ')
                    : /^\d+$/.test(k)
                      ? Number(k)
                      : null;
    const name = sql.slice(7);
    if (s.mariadb) return { kind: 'rows', rs: { columns: [name], rows: [[v]], meta: [mariadbMeta(k, v)] } };
    return rows([name], [[v]]);
  }
  if (/^show (databases|schemas)$/.test(low))
    return rows(
      ['Database'],
      [...schema.keys()].map((d) => [d]),
    );
  if (/^show tables$/.test(low)) {
    if (!s.db) return noDb();
    return rows(
      [`Tables_in_${s.db}`],
      [...(schema.get(s.db)?.keys() ?? [])].map((t) => [t]),
    );
  }
  const use = /^use (\S+)$/i.exec(sql);
  if (use) {
    const db = unquote(use[1]!);
    if (!schema.has(db)) return err(1049, '42000', `Unknown database '${db}'`);
    s.db = db;
    return { kind: 'ok', affected: 0 };
  }
  const desc = /^(?:describe|desc|show columns from|show fields from) (\S+)$/i.exec(sql);
  if (desc) {
    const found = tableOf(desc[1]!);
    if ('kind' in found) return found;
    return rows(
      ['Field', 'Type', 'Null', 'Key', 'Default', 'Extra'],
      found.t.columns.map(([c, type], i) => [
        c,
        type,
        i === 0 ? 'NO' : 'YES',
        i === 0 ? 'PRI' : '',
        null,
        i === 0 && /int/.test(type) ? 'auto_increment' : '',
      ]),
    );
  }
  if (/^show grants/.test(low))
    return rows(
      [`Grants for ${s.user}@%`],
      [
        [
          `GRANT ALL PRIVILEGES ON *.* TO \`${s.user}\`@\`%\` IDENTIFIED BY PASSWORD '*${'0'.repeat(40)}' WITH GRANT OPTION`,
        ],
      ],
    );
  if (/ into (out|dump)file /.test(low) || /load_file\(/.test(low) || /^load data/.test(low))
    return err(
      1290,
      'HY000',
      `The ${product} server is running with the --secure-file-priv option so it cannot execute this statement`,
    );
  if (/^(set|begin|start transaction|commit|rollback|flush|kill)\b/.test(low)) return { kind: 'ok', affected: 0 };
  if (/^(insert|update|delete|replace)\b/.test(low)) return { kind: 'ok', affected: 1 };
  if (/^(create|drop|alter|grant|revoke|truncate)\b/.test(low))
    return err(1142, '42000', `${low.split(' ')[0]!.toUpperCase()} command denied to user '${s.user}'@'${s.src}'`);

  const sel = /^select (.+?) from (\S+)(?: where (\w+) ?= ?'([^']*)')?(?: limit (\d+))?$/i.exec(sql);
  if (sel) {
    const found = tableOf(sel[2]!);
    if ('kind' in found) return found;
    const names = found.t.columns.map(([c]) => c);
    let data = found.t.rows;
    if (sel[3]) {
      const i = names.findIndex((n) => n.toLowerCase() === sel[3]!.toLowerCase());
      if (i < 0) return err(1054, '42S22', `Unknown column '${sel[3]}' in 'where clause'`);
      data = data.filter((r) => String(r[i]) === sel[4]);
    }
    if (sel[5]) data = data.slice(0, Number(sel[5]));
    const what = sel[1]!.trim();
    if (/^count\(\*\)$/i.test(what)) return rows(['count(*)'], [[data.length]]);
    const cols = what === '*' ? names : what.split(',').map((c) => unquote(c.trim()));
    const idx = cols.map((c) => names.findIndex((n) => n.toLowerCase() === c.toLowerCase()));
    const bad = idx.indexOf(-1);
    if (bad >= 0) return err(1054, '42S22', `Unknown column '${cols[bad]}' in 'field list'`);
    return rows(
      cols,
      data.map((r) => idx.map((i) => r[i] ?? null)),
      { table: found.table, db: found.db },
    );
  }
  return syntax();
}

/** A multi-statement query split on `;` outside quotes (the client sends `-e 'a; b'` as one). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out.length ? out : [''];
}
