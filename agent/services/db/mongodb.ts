import type net from 'node:net';
import { randomInt } from 'node:crypto';
import { distros } from '../../../shared/catalog/distros';
import { ProtocolError, runBinarySession } from '../kit/binary-session';
import { bsonString, type BsonDoc, type BsonValue } from './bson-codec';
import { mongoExecute, newProcessId, type MongoConvo, type MongoEnv } from './mongodb-commands';
import {
  mongoLimits,
  mongoOps,
  opMsgReply,
  opReply,
  parseOpMsg,
  parseOpQuery,
  readMongoMessage,
  type MongoCommand,
} from './mongodb-codec';
import { personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * mongod with authorization enabled: OP_MSG and legacy OP_QUERY commands, the public handshake,
 * SCRAM first round, Unauthorized for data. HTTP on the native port gets mongod's own hint.
 */
export const mongoSessionLimits = { idleMs: 300_000, maxMessages: 1_000 } as const;

const httpHint =
  'HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 84\r\n\r\nIt looks like you are trying to access MongoDB over HTTP on the native driver port.\n';

/** A short, JSON-safe summary of a command document for the capture (first keys, small values). */
function summarise(doc: BsonDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of doc) {
    if (++n > 12) break;
    if (k === 'payload' || k === 'speculativeAuthenticate' || k === 'client') continue;
    out[k.slice(0, 64)] = flat(v);
  }
  const client = doc.get('client');
  if (client instanceof Map) {
    const driver = client.get('driver');
    const app = client.get('application');
    out.client = {
      driver: driver instanceof Map ? `${bsonString(driver.get('name'))} ${bsonString(driver.get('version'))}` : null,
      application: app instanceof Map ? bsonString(app.get('name')) : null,
    };
  }
  return out;
}

function flat(v: BsonValue): unknown {
  if (typeof v === 'string') return v.slice(0, 256);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return `[${v.length}]`;
  if (v instanceof Map) return '{…}';
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? v.constructor.name : String(v);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', distros[ctx.decky.distro].mongodbVersion);
  const processId = newProcessId();
  let nextConnectionId = randomInt(20, 900);
  let nextRequestId = randomInt(1, 1 << 20);

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    const env: MongoEnv = { version, distro: ctx.decky.distro, connectionId: nextConnectionId++, processId };
    const convo: MongoConvo = { user: null, mechanism: null, clientNonce: null };

    runBinarySession(ctx, socket, meta, { maxBufferBytes: mongoLimits.maxMessage, ...mongoSessionLimits }, (buf, c) => {
      const msg = readMongoMessage(buf);
      if (!msg) return 0;
      if (msg.opCode === -1) {
        c.capture('request', {
          type: 'http',
          line: buf.toString('latin1', 0, Math.min(buf.indexOf(0x0a) >>> 0, 256)).trim(),
        });
        c.end(httpHint);
        return msg.size;
      }
      let command: MongoCommand;
      if (msg.opCode === mongoOps.msg) command = parseOpMsg(msg.body);
      else if (msg.opCode === mongoOps.query) command = parseOpQuery(msg.body);
      else throw new ProtocolError(`unsupported opcode ${msg.opCode}`);
      const name = command.doc.keys().next().value ?? '';
      const out = mongoExecute(command.doc, command.db, env, convo);
      c.capture('command', {
        command: name.slice(0, 64),
        db: command.db.slice(0, 64),
        legacy: command.legacy,
        args: summarise(command.doc),
      });
      if (out.auth) c.capture('auth', out.auth);
      if (command.noReply) return msg.size;
      const reqId = nextRequestId++;
      c.send(command.legacy ? opReply(reqId, msg.requestId, out.reply) : opMsgReply(reqId, msg.requestId, out.reply));
      return msg.size;
    });
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(27017),
    capture: ctx.capture,
    log: ctx.log,
    onConnection,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const mongodbService: ServiceModule = { name: 'mongodb', start };
