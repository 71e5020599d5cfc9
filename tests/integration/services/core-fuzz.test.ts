import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftpService } from '../../../agent/services/ftp/ftp';
import { httpService } from '../../../agent/services/http/http';
import { sshService } from '../../../agent/services/shell/ssh';
import { telnetService } from '../../../agent/services/shell/telnet';
import type { ServiceModule } from '../../../agent/services/kit/types';
import { connectRaw } from './mail-infra-helpers';
import { blastAll, mutatedInputs } from './fuzz-helpers';
import { startService, type ServiceHarness } from './service-harness';

/**
 * The first four honeypots under the same regime as the others: 10,000 random and
 * mutated/truncated protocol messages each, over many connections; afterwards a well-formed client
 * must still be served and the heap must stay bounded.
 */
const inputsPerService = 10_000;
const inputsPerConnection = 10;
const concurrency = 16;
const b = (s: string) => Buffer.from(s, 'latin1');

async function probe(
  ip: string,
  port: number,
  greeting: RegExp | null,
  send: string | null,
  reply: RegExp | null,
): Promise<boolean> {
  const c = await connectRaw(ip, port);
  try {
    if (greeting) await c.waitFor(greeting);
    if (send !== null) c.socket.write(send);
    if (reply) await c.waitFor(reply);
    return true;
  } finally {
    c.close();
  }
}

type Target = Readonly<{
  module: ServiceModule;
  ip: string;
  port: number;
  seeds: Buffer[];
  probe: (ip: string) => Promise<boolean>;
}>;

const targets: Target[] = [
  {
    module: sshService,
    ip: '127.34.1.1',
    port: 22,
    // An SSH identification line, then KEXINIT-like binary packets and junk lines before it.
    seeds: [
      b('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n'),
      b('SSH-1.5-x\r\n'),
      Buffer.from([0, 0, 1, 0x2c, 0x0a, 0x14, ...Array.from({ length: 32 }, (_, i) => i)]),
      b('GET / HTTP/1.0\r\n\r\n'),
    ],
    probe: (ip) => probe(ip, 22, /^SSH-2\.0-OpenSSH_9\.2p1 Debian-2\+deb12u3\r\n/, null, null),
  },
  {
    module: httpService,
    ip: '127.34.1.2',
    port: 80,
    seeds: [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\n\r\nusername=a&password=b&x=1',
      'GET /admin HTTP/1.0\r\nAuthorization: Basic YTpi\r\n\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\n\r\n',
    ].map(b),
    probe: (ip) =>
      probe(
        ip,
        80,
        null,
        `GET / HTTP/1.1\r\nHost: ${ip}\r\n\r\n`,
        /^HTTP\/1\.1 200 OK\r\n[\s\S]*Server: Apache\/2\.4\.62 \(Debian\)/,
      ),
  },
  {
    module: ftpService,
    ip: '127.34.1.3',
    port: 21,
    seeds: [
      'USER root\r\n',
      'PASS toor\r\n',
      'SYST\r\n',
      'FEAT\r\n',
      'PWD\r\n',
      'PASV\r\n',
      'LIST\r\n',
      'RETR /etc/passwd\r\n',
      'QUIT\r\n',
      'AUTH TLS\r\n',
    ].map(b),
    probe: (ip) =>
      probe(ip, 21, /^220 \(vsFTPd 3\.0\.3\)\r\n/, 'USER probe\r\n', /331 Please specify the password\.\r\n/),
  },
  {
    module: telnetService,
    ip: '127.34.1.4',
    port: 23,
    seeds: [
      Buffer.from([0xff, 0xfb, 0x18, 0xff, 0xfd, 0x01]),
      Buffer.from([0xff, 0xfa, 0x18, 0x00, 0x78, 0x74, 0x65, 0x72, 0x6d, 0xff, 0xf0]),
      b('root\r\n'),
      b('admin\r\x00'),
      b('password\r\n'),
      Buffer.from([0xff, 0xff, 0xff]),
    ],
    probe: (ip) => probe(ip, 23, /login: $/, null, null),
  },
];

describe('ssh, http, ftp and telnet survive fuzzing', () => {
  const running = new Map<string, ServiceHarness>();
  beforeAll(async () => {
    for (const t of targets)
      running.set(t.module.name, await startService(t.module, { ip: t.ip, services: [t.module.name] }));
  }, 60_000);
  afterAll(async () => {
    for (const h of running.values()) await h.stop();
  });

  for (const [i, t] of targets.entries()) {
    it(`${t.module.name}: ${inputsPerService} random/mutated inputs, then a valid client still works`, async () => {
      const heapBefore = process.memoryUsage().heapUsed;
      await blastAll(t.ip, [t.port], mutatedInputs(t.seeds, 7100 + i, inputsPerService), {
        perConnection: inputsPerConnection,
        concurrency,
      });
      expect(await t.probe(t.ip)).toBe(true);
      const h = running.get(t.module.name)!;
      expect(h.captures.length).toBeGreaterThan(0);
      const grown = process.memoryUsage().heapUsed - heapBefore;
      expect(grown).toBeLessThan(64 * 1024 * 1024);
      h.captures.splice(0);
    }, 180_000);
  }
});
