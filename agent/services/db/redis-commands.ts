// Redis command semantics for one connection: a small private keyspace and config, version-true
// error wording, and the attack commands (CONFIG SET dir, REPLICAOF, MODULE LOAD, EVAL) answered
// the way that release answers them while nothing is written, loaded or connected.
import { err, globMatch, ok, type RespValue } from './resp-codec';
import { clientCommand, configCommand } from './redis-admin';
import { redisKeyspaceLimits, redisMajor, type RedisEnv, type RedisOutcome, type RedisState } from './redis-state';

export { newRedisState, type RedisEnv } from './redis-state';

/** redis-server's arity table for what we implement: n exact, -n at least n. */
const arity: Record<string, number> = {
  ping: -1,
  echo: 2,
  get: 2,
  set: -3,
  del: -2,
  exists: -2,
  keys: 2,
  config: -2,
  info: -1,
  slaveof: 3,
  replicaof: 3,
  module: -2,
  eval: -3,
  evalsha: -3,
  select: 2,
  dbsize: 1,
  flushall: -1,
  flushdb: -1,
  type: 2,
  ttl: 2,
  expire: 3,
  incr: 2,
  decr: 2,
  save: 1,
  bgsave: -1,
  quit: -1,
  client: -2,
  command: -1,
  hello: -1,
  auth: -2,
  scan: -2,
  mget: -2,
  strlen: 2,
  lastsave: 1,
  time: 1,
  role: 1,
  shutdown: -1,
  acl: -2,
  script: -2,
  debug: -2,
  monitor: 1,
  append: 3,
};

const v = redisMajor;

/** C-string view of an argument as Redis's %s prints it: raw bytes, cut at the first NUL. */
function cstr(b: Buffer | undefined): string {
  const s = (b ?? Buffer.alloc(0)).toString('latin1');
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

/** Redis's wording: the name cut at 128 bytes, then args while the list is under 128 bytes. */
function unknownCommand(version: string, raw: Buffer[]): RespValue {
  const modern = v(version) >= 7 || /^6\.2/.test(version);
  let args = '';
  for (let i = 1; i < raw.length && args.length < 128; i++) {
    const a = cstr(raw[i]).slice(0, 128 - args.length);
    args += modern ? `'${a}' ` : `\`${a}\`, `;
  }
  const name = cstr(raw[0]).slice(0, 128);
  const error = modern
    ? `ERR unknown command '${name}', with args beginning with: ${args}`
    : `ERR unknown command \`${name}\`, with args beginning with: ${args}`;
  // rejectCommandFormat maps CR and LF to spaces so the reply stays one line.
  return { error: error.replace(/[\r\n]/g, ' '), latin1: true };
}

function checkAuth(env: RedisEnv, st: RedisState, user: string | null, pass: string): RedisOutcome {
  const modern = v(env.version) >= 6;
  const auth = { username: user ?? 'default', password: pass, success: false };
  if (!env.password) {
    // With the default user on nopass, AUTH <user> <pass> is an ACL check: default passes, others fail.
    if (user !== null && modern)
      return user === 'default'
        ? { reply: ok, auth: { ...auth, success: true } }
        : { reply: err('WRONGPASS invalid username-password pair or user is disabled.'), auth };
    return {
      reply: err(
        modern
          ? 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'
          : 'ERR Client sent AUTH, but no password is set',
      ),
      auth,
    };
  }
  if ((user === null || user === 'default') && pass === env.password) {
    st.authed = true;
    return { reply: ok, auth: { ...auth, success: true } };
  }
  return {
    reply: err(modern ? 'WRONGPASS invalid username-password pair or user is disabled.' : 'ERR invalid password'),
    auth,
  };
}

export function redisExecute(rawArgs: Buffer[], st: RedisState, env: RedisEnv): RedisOutcome {
  const args = rawArgs.map((a) => a.toString('utf8'));
  const name = (args[0] ?? '').toLowerCase();
  const a = args.slice(1);
  const modern = v(env.version) >= 6;
  const known = Object.hasOwn(arity, name) && (modern || !['hello', 'acl'].includes(name));
  // Like processCommand: unknown command and arity errors come before the authentication check.
  if (!known) return { reply: unknownCommand(env.version, rawArgs) };
  const ar = arity[name]!;
  if ((ar > 0 && args.length !== ar) || (ar < 0 && args.length < -ar))
    return { reply: err(`ERR wrong number of arguments for '${name}' command`) };
  if (name === 'auth') {
    if (a.length > 2 || (a.length === 2 && !modern))
      return { reply: err(`ERR wrong number of arguments for 'auth' command`) };
    return a.length === 2 ? checkAuth(env, st, a[0]!, a[1]!) : checkAuth(env, st, null, a[0]!);
  }
  if (name === 'quit') return { reply: ok, close: true };
  if (name === 'hello') {
    if (a[0] !== undefined && !/^-?\d+$/.test(a[0]))
      return { reply: err('ERR Protocol version is not an integer or out of range') };
    if (a[0] !== undefined && a[0] !== '2' && a[0] !== '3')
      return { reply: err('NOPROTO unsupported protocol version') };
    const ai = a.findIndex((x) => x.toLowerCase() === 'auth');
    if (ai >= 0) {
      const out = checkAuth(env, st, a[ai + 1] ?? '', a[ai + 2] ?? '');
      if (!out.auth?.success) return out;
    }
    if (!st.authed)
      return {
        reply: err(
          'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
        ),
      };
    if (a[0] === '2' || a[0] === '3') st.proto = a[0] === '3' ? 3 : 2;
    const si = a.findIndex((x) => x.toLowerCase() === 'setname');
    if (si >= 0) st.name = (a[si + 1] ?? '').slice(0, 128);
    return {
      reply: {
        map: [
          'server',
          'redis',
          'version',
          env.version,
          'proto',
          st.proto,
          'id',
          env.clientId,
          'mode',
          'standalone',
          'role',
          'master',
          'modules',
          [],
        ],
      },
    };
  }
  if (!st.authed) return { reply: err('NOAUTH Authentication required.') };
  const db = st.dbs[st.db]!;
  switch (name) {
    case 'ping':
      return { reply: a.length ? a[0]! : { simple: 'PONG' } };
    case 'echo':
      return { reply: rawArgs[1]! };
    case 'get':
      return { reply: db.get(a[0]!) ?? null };
    case 'mget':
      return { reply: a.map((k) => db.get(k) ?? null) };
    case 'strlen':
      return { reply: db.get(a[0]!)?.length ?? 0 };
    case 'set':
    case 'append': {
      const key = a[0]!;
      const flags = a.slice(2).map((x) => x.toUpperCase());
      if (flags.includes('NX') && db.has(key)) return { reply: null };
      if (flags.includes('XX') && !db.has(key)) return { reply: null };
      const old = db.get(key);
      const value = name === 'append' && old ? Buffer.concat([old, rawArgs[2]!]) : Buffer.from(rawArgs[2]!);
      const grow = key.length + value.length - (old ? key.length + old.length : 0);
      if ((!old && db.size >= redisKeyspaceLimits.maxKeys) || st.bytes + grow > redisKeyspaceLimits.maxBytes) {
        return { reply: err("OOM command not allowed when used memory > 'maxmemory'.") };
      }
      db.set(key, value);
      st.bytes += grow;
      if (name === 'append') return { reply: value.length };
      return { reply: flags.includes('GET') ? (old ?? null) : ok };
    }
    case 'del':
    case 'exists': {
      let n = 0;
      for (const k of a) {
        const val = db.get(k);
        if (val === undefined) continue;
        n++;
        if (name === 'del') {
          db.delete(k);
          st.bytes -= k.length + val.length;
        }
      }
      return { reply: n };
    }
    case 'keys':
      return { reply: [...db.keys()].filter((k) => globMatch(a[0]!, k)) };
    case 'scan': {
      const mi = a.findIndex((x) => x.toLowerCase() === 'match');
      const pat = mi >= 0 ? (a[mi + 1] ?? '*') : '*';
      return { reply: ['0', [...db.keys()].filter((k) => globMatch(pat, k))] };
    }
    case 'type':
      return { reply: { simple: db.has(a[0]!) ? 'string' : 'none' } };
    case 'ttl':
      return { reply: db.has(a[0]!) ? -1 : -2 };
    case 'expire':
      return { reply: db.has(a[0]!) ? 1 : 0 };
    case 'incr':
    case 'decr': {
      const cur = db.get(a[0]!)?.toString() ?? '0';
      if (!/^-?\d{1,18}$/.test(cur)) return { reply: err('ERR value is not an integer or out of range') };
      const next = String(Number(cur) + (name === 'incr' ? 1 : -1));
      db.set(a[0]!, Buffer.from(next));
      return { reply: Number(next) };
    }
    case 'dbsize':
      return { reply: db.size };
    case 'select': {
      const n = Number(a[0]);
      if (!Number.isInteger(n)) return { reply: err('ERR value is not an integer or out of range') };
      if (n < 0 || n > 15) return { reply: err('ERR DB index is out of range') };
      st.db = n;
      return { reply: ok };
    }
    case 'flushall':
    case 'flushdb':
      for (const d of name === 'flushall' ? st.dbs : [db]) d.clear();
      st.bytes = st.dbs.reduce((s, d) => s + [...d].reduce((t, [k, x]) => t + k.length + x.length, 0), 0);
      return { reply: ok, dangerous: 'wipes the keyspace' };
    case 'info':
      return { reply: { verbatim: env.info(a[0], db.size) } };
    case 'config':
      return configCommand(a, st, env);
    case 'slaveof':
    case 'replicaof': {
      const target = `${a[0]} ${a[1]}`;
      if (a[0]!.toLowerCase() === 'no' && a[1]!.toLowerCase() === 'one') {
        st.replicaOf = null;
        return { reply: ok, dangerous: 'replication change' };
      }
      if (!/^\d+$/.test(a[1]!)) return { reply: err('ERR value is not an integer or out of range') };
      const again = st.replicaOf === target;
      st.replicaOf = target;
      return {
        reply: again ? { simple: 'OK Already connected to specified master' } : ok,
        dangerous: 'rogue replication master',
      };
    }
    case 'module': {
      const sub = a[0]!.toLowerCase();
      if (sub === 'list') return { reply: [] };
      if (v(env.version) >= 7) {
        return {
          reply: err(
            'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
          ),
          dangerous: 'module load',
        };
      }
      return { reply: err('ERR Error loading the extension. Please check the server logs.'), dangerous: 'module load' };
    }
    case 'eval':
    case 'evalsha': {
      if (name === 'evalsha')
        return { reply: err('NOSCRIPT No matching script. Please use EVAL.'), dangerous: 'lua script' };
      const m = /^\s*return\s+(?:(-?\d{1,15})|'([^']{0,512})'|"([^"]{0,512})")\s*;?\s*$/.exec(a[0]!);
      const reply: RespValue = m ? (m[1] !== undefined ? Number(m[1]) : (m[2] ?? m[3] ?? '')) : null;
      return { reply, dangerous: 'lua script' };
    }
    case 'script':
      return { reply: a[0]!.toLowerCase() === 'exists' ? a.slice(1).map(() => 0) : ok, dangerous: 'lua script' };
    case 'debug':
      return {
        reply: err(
          'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
        ),
        dangerous: 'debug',
      };
    case 'save':
      return {
        reply: ok,
        dangerous: st.config.get('dir') !== '/var/lib/redis' ? 'save into a changed dir' : undefined,
      };
    case 'bgsave':
      return {
        reply: { simple: 'Background saving started' },
        dangerous: st.config.get('dir') !== '/var/lib/redis' ? 'save into a changed dir' : undefined,
      };
    case 'lastsave':
      return { reply: Math.floor(Date.now() / 1000) - 1800 };
    case 'time': {
      const now = Date.now();
      return { reply: [String(Math.floor(now / 1000)), String((now % 1000) * 1000)] };
    }
    case 'role':
      return { reply: ['master', 0, []] };
    case 'shutdown':
      return { reply: err('ERR Errors trying to SHUTDOWN. Check logs.'), dangerous: 'shutdown' };
    case 'monitor':
      return { reply: ok };
    case 'client':
      return clientCommand(a, st, env);
    case 'command':
      return { reply: a[0]?.toLowerCase() === 'count' ? 240 : [] };
    case 'acl': {
      const sub = a[0]!.toLowerCase();
      if (sub === 'whoami') return { reply: 'default' };
      if (sub === 'users') return { reply: ['default'] };
      if (sub === 'list')
        return {
          reply: [
            env.password
              ? 'user default on sanitize-payload #' + '0'.repeat(64) + ' ~* &* +@all'
              : 'user default on nopass sanitize-payload ~* &* +@all',
          ],
        };
      return { reply: ok, dangerous: 'acl change' };
    }
    default:
      return { reply: unknownCommand(env.version, rawArgs) };
  }
}
