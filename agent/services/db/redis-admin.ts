// CONFIG and CLIENT subcommands, answered as the claimed release does while nothing is written.
import { err, globMatch, ok } from './resp-codec';
import { redisMajor, type RedisEnv, type RedisOutcome, type RedisState } from './redis-state';

export function configCommand(a: string[], st: RedisState, env: RedisEnv): RedisOutcome {
  const sub = a[0]!.toLowerCase();
  if (sub === 'get') {
    if (a.length < 2) return { reply: err(`ERR wrong number of arguments for 'config|get' command`) };
    const out: string[] = [];
    for (const [k, val] of st.config) if (a.slice(1).some((p) => globMatch(p.toLowerCase(), k))) out.push(k, val);
    return { reply: { map: out } };
  }
  if (sub === 'set') {
    if (a.length < 3 || a.length % 2 === 0)
      return { reply: err(`ERR wrong number of arguments for 'config|set' command`) };
    const key = a[1]!.toLowerCase();
    // 7.0 marks dir and dbfilename PROTECTED_CONFIG (enable-protected-configs no by default).
    if (redisMajor(env.version) >= 7 && (key === 'dir' || key === 'dbfilename')) {
      return {
        reply: err(`ERR CONFIG SET failed (possibly related to argument '${key}') - can't set protected config`),
        dangerous: `config set ${key}`,
      };
    }
    if (!st.config.has(key))
      return { reply: err(`ERR Unknown option or number of arguments for CONFIG SET - '${a[1]}'`) };
    st.config.set(key, a[2]!.slice(0, 1024));
    const risky = ['dir', 'dbfilename', 'requirepass', 'masterauth', 'protected-mode', 'appendfilename', 'logfile'];
    return { reply: ok, dangerous: risky.includes(key) ? `config set ${key}` : undefined };
  }
  if (sub === 'resetstat' || sub === 'rewrite') return { reply: ok };
  return { reply: err(`ERR unknown subcommand '${a[0]}'. Try CONFIG HELP.`) };
}

export function clientCommand(a: string[], st: RedisState, env: RedisEnv): RedisOutcome {
  switch (a[0]!.toLowerCase()) {
    case 'setname':
      st.name = (a[1] ?? '').slice(0, 128);
      return { reply: ok };
    case 'getname':
      return { reply: st.name };
    case 'id':
      return { reply: env.clientId };
    case 'list':
    case 'info':
      return { reply: { verbatim: env.clientLine(st.name ?? '', a[0]!.toLowerCase(), st.proto) + '\n' } };
    default:
      return { reply: ok };
  }
}
