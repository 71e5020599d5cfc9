import { createHash, randomBytes } from 'node:crypto';
import type { DistroName } from '../../../shared/catalog/distros';
import { Binary, bsonString, Int64, ObjectId, type BsonDoc, type BsonValue } from './bson-codec';

/**
 * What mongod with authorization enabled answers before login: the handshake and build facts
 * are public, SCRAM runs its first round (so the username and the client proof are captured),
 * everything touching data is Unauthorized.
 */

/** maxWireVersion per release series. */
function wireVersion(version: string): number {
  const [maj = 6, min = 0] = version.split('.').map((x) => Number.parseInt(x, 10));
  const table: Record<string, number> = {
    '3.6': 6,
    '4.0': 7,
    '4.2': 8,
    '4.4': 9,
    '5.0': 13,
    '6.0': 17,
    '7.0': 21,
    '8.0': 25,
  };
  return table[`${maj}.${min}`] ?? (maj >= 8 ? 25 : maj >= 7 ? 21 : 17);
}

const buildTarget: Record<DistroName, { distmod: string; openssl: string }> = {
  debian: { distmod: 'debian12', openssl: 'OpenSSL 3.0.14 4 Jun 2024' },
  ubuntu22: { distmod: 'ubuntu2204', openssl: 'OpenSSL 3.0.2 15 Mar 2022' },
  ubuntu20: { distmod: 'ubuntu2004', openssl: 'OpenSSL 1.1.1f  31 Mar 2020' },
  rocky9: { distmod: 'rhel90', openssl: 'OpenSSL 3.0.7 1 Nov 2022' },
  centos7: { distmod: 'rhel70', openssl: 'OpenSSL 1.0.2k-fips  26 Jan 2017' },
  alpine: { distmod: 'ubuntu2204', openssl: 'OpenSSL 3.1.7 3 Sep 2024' },
  fedora: { distmod: 'rhel90', openssl: 'OpenSSL 3.1.4 24 Oct 2023' },
  kali: { distmod: 'debian12', openssl: 'OpenSSL 3.3.2 3 Sep 2024' },
  arch: { distmod: 'ubuntu2204', openssl: 'OpenSSL 3.4.0 22 Oct 2024' },
  windows: { distmod: 'windows', openssl: 'Windows SChannel' },
};

export type MongoEnv = Readonly<{ version: string; distro: DistroName; connectionId: number; processId: ObjectId }>;

export type MongoConvo = { user: string | null; mechanism: string | null; clientNonce: string | null };

export type MongoOutcome = {
  reply: Record<string, unknown>;
  auth?: Record<string, unknown>;
};

const publicCommands = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'buildInfo',
  'buildinfo',
  'ping',
  'saslStart',
  'saslContinue',
  'authenticate',
  'logout',
  'whatsmyuri',
  'connectionStatus',
  'endSessions',
  'getnonce',
]);

/** Commands mongod has (so an unauthenticated call is "Unauthorized", not "no such command"). */
const knownCommands = new Set(
  (
    'listDatabases serverStatus getLog find insert update delete aggregate listCollections count drop dropDatabase createUser ' +
    'updateUser dropUser usersInfo rolesInfo getCmdLineOpts hostInfo currentOp killOp shutdown replSetGetStatus getParameter ' +
    'setParameter dbStats collStats create createIndexes listIndexes top distinct getMore killCursors explain mapReduce ' +
    'findAndModify profile fsync compact validate renameCollection grantRolesToUser listCommands getLastError getMoreCount ' +
    'serverStatus features dataSize filemd5 replSetInitiate getShardVersion isdbgrid dbHash logRotate'
  ).split(' '),
);

const unauthorized = (cmd: string) => ({
  ok: 0,
  errmsg: `command ${cmd} requires authentication`,
  code: 13,
  codeName: 'Unauthorized',
});
const authFailed = { ok: 0, errmsg: 'Authentication failed.', code: 18, codeName: 'AuthenticationFailed' };

function handshake(cmd: string, doc: BsonDoc, env: MongoEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (doc.get('helloOk') === true) out.helloOk = true;
  if (cmd === 'hello') out.isWritablePrimary = true;
  else out.ismaster = true;
  Object.assign(out, {
    topologyVersion: { processId: env.processId, counter: new Int64(0n) },
    maxBsonObjectSize: 16_777_216,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: env.connectionId,
    minWireVersion: 0,
    maxWireVersion: wireVersion(env.version),
    readOnly: false,
  });
  if (typeof doc.get('saslSupportedMechs') === 'string') out.saslSupportedMechs = ['SCRAM-SHA-1', 'SCRAM-SHA-256'];
  out.ok = 1;
  return out;
}

function buildInfo(env: MongoEnv): Record<string, unknown> {
  const parts = env.version.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const t = buildTarget[env.distro];
  return {
    version: env.version,
    gitVersion: createHash('sha1').update(`mongo r${env.version}`).digest('hex'),
    modules: [],
    allocator: 'tcmalloc',
    javascriptEngine: 'mozjs',
    sysInfo: 'deprecated',
    versionArray: [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, 0],
    openssl: { running: t.openssl, compiled: t.openssl },
    buildEnvironment: {
      distmod: t.distmod,
      distarch: 'x86_64',
      cc: '/opt/mongodbtoolchain/v4/bin/gcc: gcc (GCC) 11.3.0',
      ccflags:
        '-Werror -include mongo/platform/basic.h -ffp-contract=off -fasynchronous-unwind-tables -g2 -Wall -fno-omit-frame-pointer',
      cxx: '/opt/mongodbtoolchain/v4/bin/g++: g++ (GCC) 11.3.0',
      linkflags: '-Wl,--fatal-warnings -pthread -Wl,-z,now -fuse-ld=gold -fstack-protector-strong -Wl,--no-threads',
      target_arch: 'x86_64',
      target_os: 'linux',
    },
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16_777_216,
    storageEngines: ['devnull', 'wiredTiger'],
    ok: 1,
  };
}

function payloadText(v: BsonValue): string {
  if (v instanceof Binary) return v.data.toString('utf8', 0, Math.min(v.data.length, 1024));
  return typeof v === 'string' ? v.slice(0, 1024) : '';
}

/** SCRAM's "=2C" / "=3D" escapes in the client-first username. */
const unescapeScram = (s: string) => s.replace(/=2C/g, ',').replace(/=3D/g, '=');

function saslStart(doc: BsonDoc, db: string, convo: MongoConvo): MongoOutcome {
  const mechanism = bsonString(doc.get('mechanism')).slice(0, 32);
  const text = payloadText(doc.get('payload'));
  convo.mechanism = mechanism;
  if (mechanism === 'PLAIN') {
    const [, user = '', password = ''] = text.split('\0');
    return {
      reply: {
        ok: 0,
        errmsg: 'Received authentication for mechanism PLAIN which is not enabled',
        code: 334,
        codeName: 'MechanismUnavailable',
      },
      auth: { method: 'PLAIN', username: user, password, db },
    };
  }
  const m = /(?:^|,)n=([^,]*),r=([^,]*)/.exec(text);
  if (!mechanism.startsWith('SCRAM-SHA-') || !m) {
    return {
      reply: {
        ok: 0,
        errmsg: `Received authentication for mechanism ${mechanism} which is unknown or not enabled`,
        code: 334,
        codeName: 'MechanismUnavailable',
      },
      auth: { method: mechanism, username: null, db },
    };
  }
  convo.user = unescapeScram(m[1]!);
  convo.clientNonce = m[2]!;
  const iterations = mechanism === 'SCRAM-SHA-256' ? 15_000 : 10_000;
  const serverFirst = `r=${m[2]}${randomBytes(24).toString('base64')},s=${randomBytes(mechanism === 'SCRAM-SHA-256' ? 28 : 16).toString('base64')},i=${iterations}`;
  return {
    reply: { conversationId: 1, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 },
    auth: { method: mechanism, username: convo.user, db, stage: 'client-first' },
  };
}

export function mongoExecute(doc: BsonDoc, db: string, env: MongoEnv, convo: MongoConvo): MongoOutcome {
  const cmd = doc.keys().next().value ?? '';
  if (!publicCommands.has(cmd)) {
    if (knownCommands.has(cmd)) return { reply: unauthorized(cmd) };
    return {
      reply: { ok: 0, errmsg: `no such command: '${cmd.slice(0, 64)}'`, code: 59, codeName: 'CommandNotFound' },
    };
  }
  switch (cmd) {
    case 'hello':
    case 'isMaster':
    case 'ismaster': {
      const spec = doc.get('speculativeAuthenticate');
      const out: MongoOutcome = { reply: handshake(cmd, doc, env) };
      // Drivers fold the first SCRAM step into the handshake; we decline it and they fall back to saslStart.
      if (spec instanceof Map) out.auth = saslStart(spec, bsonString(spec.get('db'), db), convo).auth;
      return out;
    }
    case 'buildInfo':
    case 'buildinfo':
      return { reply: buildInfo(env) };
    case 'ping':
      return { reply: { ok: 1 } };
    case 'whatsmyuri':
      return { reply: { you: '', ok: 1 } };
    case 'connectionStatus':
      return { reply: { authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 } };
    case 'endSessions':
    case 'logout':
      return { reply: { ok: 1 } };
    case 'saslStart':
      return saslStart(doc, db, convo);
    case 'saslContinue': {
      const text = payloadText(doc.get('payload'));
      const proof = /(?:^|,)p=([^,]*)/.exec(text)?.[1] ?? null;
      return {
        reply: authFailed,
        auth: {
          method: convo.mechanism ?? 'SCRAM',
          username: convo.user,
          db,
          stage: 'client-final',
          proof,
          clientFinal: text.slice(0, 512),
        },
      };
    }
    case 'authenticate':
      return {
        reply: authFailed,
        auth: { method: bsonString(doc.get('mechanism'), 'MONGODB-CR'), username: bsonString(doc.get('user')), db },
      };
    default:
      return { reply: { ok: 0, errmsg: `no such command: '${cmd}'`, code: 59, codeName: 'CommandNotFound' } };
  }
}

export function newProcessId(): ObjectId {
  const b = randomBytes(12);
  b.writeUInt32BE(Math.floor(Date.now() / 1000) - 86_400 * 9, 0);
  return new ObjectId(b);
}
