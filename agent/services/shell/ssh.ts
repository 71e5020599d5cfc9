import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type net from 'node:net';
import ssh2 from 'ssh2';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import { fetcherFor, quarantineFor, settlePayloads } from './payloads/service-payloads';
import { deckyHostname, parseUsers, personaBool, personaString } from '../kit/persona';
import { createSshOffer } from './ssh-kexinit';
import { serveAuthenticated } from './ssh-session';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/** OpenSSH-like bounds: MaxAuthTries 6, LoginGraceTime 120 s; idle sessions are dropped too. */
/**
 * `authFailureDelayMs`: Debian's sshd answers a wrong password only after pam_unix's ~2 s delay; an
 * instant "Permission denied" is a honeypot tell (and free speed for brute forcers).
 */
export const sshLimits = {
  maxAuthTries: 6,
  loginGraceMs: 120_000,
  idleMs: 600_000,
  authFailureDelayMs: 2_000,
} as const;

const authMethods: ssh2.AuthenticationType[] = ['password', 'keyboard-interactive'];

type KeyPair = Readonly<{ private: string; public: string }>;
type KeyGen = (cb: (err: Error | null, pair: KeyPair) => void) => void;

/** The three host keys a stock OpenSSH install generates (nmap's ssh-hostkey lists all of them). */
const hostKeyKinds: ReadonlyArray<Readonly<{ file: string; generate: KeyGen }>> = [
  { file: 'ssh_host_rsa_key', generate: (cb) => ssh2.utils.generateKeyPair('rsa', { bits: 3072 }, cb) },
  { file: 'ssh_host_ecdsa_key', generate: (cb) => ssh2.utils.generateKeyPair('ecdsa', { bits: 256 }, cb) },
  { file: 'ssh_host_ed25519_key', generate: (cb) => ssh2.utils.generateKeyPair('ed25519', cb) },
];

/**
 * True when ssh2 can parse the private key and sign with it, and its public half verifies that
 * signature. ssh2's ed25519 generator yields an unparseable key about once in 230 (a 31-byte public
 * key); persisted, that key failed the decky's ssh on every start.
 */
export function isUsableHostKey(privatePem: string): boolean {
  const key = ssh2.utils.parseKey(privatePem);
  if (key instanceof Error || Array.isArray(key)) return false;
  try {
    const data = Buffer.from('decnet host key self-test');
    const sig = key.sign(data);
    if (sig instanceof Error) return false;
    const pub = ssh2.utils.parseKey(key.getPublicSSH());
    return !(pub instanceof Error) && !Array.isArray(pub) && pub.verify(data, sig) === true;
  } catch {
    return false;
  }
}

const MAX_KEYGEN_ATTEMPTS = 8;

/** Generates until the pair passes `isUsableHostKey` (a bad draw is rare; eight in a row is a bug). */
export async function generateHostKey(generate: KeyGen): Promise<KeyPair> {
  for (let i = 0; i < MAX_KEYGEN_ATTEMPTS; i++) {
    const pair = await new Promise<KeyPair>((resolve, reject) =>
      generate((err, p) => (err ? reject(err) : resolve(p))),
    );
    if (isUsableHostKey(pair.private)) return pair;
  }
  throw new Error(`cannot generate a usable ssh host key in ${MAX_KEYGEN_ATTEMPTS} attempts`);
}

export const sshHostKeyKinds = hostKeyKinds;

/**
 * The decky's host keys, created once and kept under its data dir: a key that changed on every
 * restart would be an obvious tell (and a "REMOTE HOST IDENTIFICATION HAS CHANGED" for returning
 * attackers). A stored key that does not parse (a bad draw persisted by an older build, or damage)
 * is replaced: a new key is a smaller tell than an ssh service that never starts.
 */
export async function loadOrCreateHostKeys(dataDir: string): Promise<string[]> {
  return Promise.all(
    hostKeyKinds.map(async ({ file, generate }) => {
      const path = join(dataDir, 'ssh', file);
      try {
        const stored = await readFile(path, 'utf8');
        if (isUsableHostKey(stored)) return stored;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const pair = await generateHostKey(generate);
      await writeFileAtomic(path, pair.private, 0o600);
      await writeFileAtomic(`${path}.pub`, pair.public + '\n', 0o644);
      return pair.private;
    }),
  );
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const hostKeys = await loadOrCreateHostKeys(ctx.dataDir);
  const ident = personaString(ctx.persona, 'version', 'OpenSSH_9.2p1 Debian-2+deb12u3');
  const users = parseUsers(personaString(ctx.persona, 'users', ''));
  const kernel = personaString(ctx.persona, 'kernel', '6.1.0-26-amd64');
  const hostname = deckyHostname(ctx.decky);
  const payloads = {
    quarantine: quarantineFor(ctx.dataDir),
    recordings: quarantineFor(ctx.dataDir, 'recordings'),
    fetcher: fetcherFor(personaBool(ctx.persona, 'fetch', false)),
  };
  // ssh2 reports a connection by remote address/port; this finds the listener's socket and meta.
  const conns = new Map<string, { meta: ConnectionMeta; socket: net.Socket; identified: boolean }>();
  const key = (ip: string | undefined, port: number | undefined) => `${ip ?? ''}|${port ?? 0}`;

  const srvCfg: ssh2.ServerConfig = { hostKeys, ident };
  const offer = createSshOffer(ident, hostKeys, srvCfg);
  const server = new ssh2.Server(srvCfg, (client, info) => {
    const conn = conns.get(key(info.ip, info.port));
    if (conn) conn.identified = true;
    const src = conn?.meta.src ?? info.ip;
    const session = conn?.meta.session ?? '';
    const clientIdent = info.header.identRaw.slice(0, 255);
    let failures = 0;
    let user = 'root';
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'client-socket' || err.level === 'client-timeout') return;
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, reason: err.message.slice(0, 200), level: err.level ?? 'unknown' },
      });
    });
    client.on('authentication', (auth) => {
      const base = { session, method: auth.method, username: auth.username.slice(0, 256), clientIdent };
      const decide = (password: string | undefined) => {
        const ok = password !== undefined && users.has(auth.username) && users.get(auth.username) === password;
        ctx.capture({
          src,
          kind: 'auth',
          data: { ...base, ...(password !== undefined ? { password: password.slice(0, 1024) } : {}), success: ok },
        });
        if (ok) {
          user = auth.username;
          return auth.accept();
        }
        failures += 1;
        const tooMany = failures > sshLimits.maxAuthTries;
        setTimeout(() => {
          try {
            auth.reject(authMethods);
            // `none` is how every client opens authentication: not a failure in OpenSSH's count.
            if (tooMany) client.end();
          } catch {
            // the client hung up during the delay
          }
        }, sshLimits.authFailureDelayMs).unref();
      };
      switch (auth.method) {
        case 'password':
          return decide(auth.password);
        case 'keyboard-interactive':
          return auth.prompt([{ prompt: 'Password: ', echo: false }], (answers) => decide(answers[0] ?? ''));
        case 'publickey': {
          const fingerprint =
            'SHA256:' + createHash('sha256').update(auth.key.data).digest('base64').replace(/=+$/, '');
          ctx.capture({
            src,
            kind: 'auth',
            data: {
              ...base,
              keyAlgo: auth.key.algo,
              keyFingerprint: fingerprint,
              signed: auth.signature !== undefined,
              success: false,
            },
          });
          failures += 1;
          auth.reject(authMethods);
          if (failures > sshLimits.maxAuthTries) client.end();
          return;
        }
        case 'none':
          ctx.capture({ src, kind: 'auth', data: { ...base, success: false } });
          return auth.reject(authMethods);
        default:
          ctx.capture({ src, kind: 'auth', data: { ...base, success: false } });
          failures += 1;
          return auth.reject(authMethods);
      }
    });
    client.on('ready', () => {
      conn?.socket.setTimeout(sshLimits.idleMs);
      serveAuthenticated(client, {
        src,
        session,
        identity: {
          user,
          hostname,
          kernel,
          distro: ctx.decky.distro,
          users: [...users.keys()],
          ip: ctx.decky.ip,
          seed: ctx.decky.name,
        },
        capture: ctx.capture,
        end: () => client.end(),
        payloads,
      });
    });
  });

  const onSocket = (socket: net.Socket, meta: ConnectionMeta) => {
    const k = key(socket.remoteAddress, socket.remotePort);
    const entry = { meta, socket, identified: false };
    conns.set(k, entry);
    // Inactivity bound; LoginGraceTime-like before authentication, longer once logged in.
    socket.setTimeout(sshLimits.loginGraceMs, () => socket.destroy());
    socket.once('close', () => {
      conns.delete(k);
      // Bytes arrived but ssh2 never saw an identification string: not an SSH client.
      if (!entry.identified && socket.bytesRead > 0)
        ctx.capture({
          src: meta.src,
          kind: 'malformed',
          data: { session: meta.session, reason: 'no valid SSH identification string', bytes: socket.bytesRead },
        });
    });
    offer.inject(server, socket);
  };

  const listener = await listenTcp({
    host: ctx.host,
    port: ctx.port(22),
    capture: ctx.capture,
    log: ctx.log,
    onConnection: onSocket,
  });
  return {
    bound: [listener.bound],
    // A session's last captures (its recording, the dropper sweep) are written after its socket
    // closed: the service is closed once they are on disk.
    close: async () => {
      await listener.close();
      await settlePayloads();
    },
  };
}

export const sshService: ServiceModule = { name: 'ssh', start };
