import { createHash } from 'node:crypto';
import type net from 'node:net';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import { personaString } from '../kit/persona';
import { newRedisState, redisExecute, type RedisEnv } from './redis-commands';
import { redisMajor } from './redis-state';
import { redisInfo } from './redis-info';
import { encodeResp, err, readRespRequest, respLimits } from './resp-codec';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * Redis over RESP2: a private keyspace per connection (what one client writes, no other client
 * sees, and nothing survives the connection), AUTH capture, and every command recorded. With a
 * persona password the server answers NOAUTH until AUTH succeeds, as with requirepass.
 */
export const redisSessionLimits = { idleMs: 300_000, maxMessages: 10_000 } as const;

/** A few keys a cache in use would hold, so KEYS * on a fresh connection is not empty. */
function seedKeys(decky: string): Map<string, Buffer> {
  return new Map([
    ['session:7f3c9a1e2b', Buffer.from('{"uid":1042,"role":"editor"}')],
    ['cache:homepage', Buffer.from('<html><!-- cached --></html>')],
    [`${decky}:jobs:last_run`, Buffer.from(String(Math.floor(Date.now() / 1000) - 420))],
  ]);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].redisVersion);
  const password = personaString(ctx.persona, 'password', '');
  const startedAt = Date.now();
  const port = ctx.port(6379);
  let connections = 0;
  // A server that has been up a while has handed out some ids already (stable per decky).
  const firstClientId = 3 + (createHash('sha256').update(ctx.decky.name).digest().readUInt16BE(0) % 4000);
  let open = 0;
  let commands = 0;

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    connections++;
    open++;
    const clientId = firstClientId + connections;
    socket.once('close', () => open--);
    const env: RedisEnv = {
      version,
      password,
      info: (section, keys) =>
        redisInfo(
          {
            version,
            distro: ctx.decky.distro,
            deckyName: ctx.decky.name,
            startedAt,
            port: 6379,
            connectedClients: open,
            keys,
            totalConnections: connections,
            totalCommands: commands,
          },
          section,
        ),
      clientId,
      // qbuf/argv-mem as for redis-cli's multibulk CLIENT LIST (26 bytes buffered, 10 of argv).
      clientLine: (name, sub, proto) =>
        redisMajor(version) >= 7
          ? `id=${clientId} addr=${meta.src}:${meta.srcPort} laddr=${ctx.host}:6379 fd=8 name=${name} age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=37658 events=r cmd=client|${sub} user=default redir=-1 resp=${proto}`
          : `id=${clientId} addr=${meta.src}:${meta.srcPort} laddr=${ctx.host}:6379 fd=8 name=${name} age=0 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=26 qbuf-free=20448 obl=0 oll=0 omem=0 events=r cmd=client`,
    };
    const st = newRedisState(env, seedKeys(ctx.decky.name));

    runBinarySession(ctx, socket, meta, { maxBufferBytes: respLimits.maxRequest, ...redisSessionLimits }, (buf, c) => {
      let req: ReturnType<typeof readRespRequest>;
      try {
        req = readRespRequest(buf);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        // Redis answers a protocol error with "-ERR Protocol error: ..." and then closes.
        c.capture('malformed', { reason: e.message });
        c.end(encodeResp(err(`ERR ${e.message}`)));
        return buf.length;
      }
      if (!req) return 0;
      if (req.args.length === 0) return req.size;
      commands++;
      const verb = req.args[0]!.toString('latin1').toLowerCase();
      // Redis 3.2+ treats HTTP verbs/headers as a cross-protocol attack and closes silently.
      if (verb === 'post' || verb === 'host:') {
        c.capture('command', { command: verb, args: [], attack: 'cross-protocol (HTTP) request' });
        c.end();
        return req.size;
      }
      const out = redisExecute(req.args, st, env);
      if (out.auth) {
        c.capture('auth', {
          method: 'AUTH',
          username: out.auth.username,
          password: out.auth.password.slice(0, 256),
          success: out.auth.success,
        });
      } else {
        c.capture('command', {
          command: verb.slice(0, 32),
          args: req.args.slice(1, 9).map((x) => x.toString('utf8', 0, Math.min(x.length, 512))),
          ...(out.dangerous ? { dangerous: out.dangerous } : {}),
        });
      }
      const reply = encodeResp(out.reply, st.proto);
      if (out.close) c.end(reply);
      else c.send(reply);
      return req.size;
    });
  };

  const listener = await listenTcp({ host: ctx.host, port, capture: ctx.capture, log: ctx.log, onConnection });
  return { bound: [listener.bound], close: listener.close };
}

export const redisService: ServiceModule = { name: 'redis', start };
