import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerApiService } from '../../../agent/services/http/docker-api';
import { elasticsearchService } from '../../../agent/services/http/elasticsearch';
import { httpsService } from '../../../agent/services/http/https';
import { imapService } from '../../../agent/services/mail/imap';
import { k8sService } from '../../../agent/services/http/k8s';
import { mqttService } from '../../../agent/services/infra/mqtt';
import { pop3Service } from '../../../agent/services/mail/pop3';
import { smtpService } from '../../../agent/services/mail/smtp';
import { smtpRelayService } from '../../../agent/services/mail/smtp-relay';
import type { ServiceModule } from '../../../agent/services/kit/types';
import { connectRaw } from './mail-infra-helpers';
import { blastAll, mutatedInputs } from './fuzz-helpers';
import { startService, type ServiceHarness } from './service-harness';

/**
 * 10,000 random and mutated/truncated protocol messages per service, over many connections; each
 * service must still answer a well-formed client afterwards and the heap must stay bounded.
 */
const inputsPerService = 10_000;
const inputsPerConnection = 10;
const concurrency = 16;

const b = (s: string) => Buffer.from(s, 'latin1');
const mqttConnect = Buffer.from([
  0x10, 0x10, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e, 0x00, 0x04, 0x6e, 0x6d, 0x61, 0x70,
]);
const mqttConnect5 = Buffer.from([
  0x10, 0x1a, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x05, 0xc2, 0x00, 0x3c, 0x00, 0x00, 0x02, 0x69, 0x64, 0x00, 0x01,
  0x75, 0x00, 0x01, 0x70, 0x00, 0x00, 0x00, 0x00, 0x00,
]);
const httpSeeds = [
  'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /version HTTP/1.0\r\n\r\n',
  'POST /_search HTTP/1.1\r\nContent-Length: 12\r\n\r\n{"query":{}}',
  'POST /containers/create HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"Cmd":\r\n6\r\n["id"]\r\n1\r\n}\r\n0\r\n\r\n',
  'GET /api/v1/pods HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n',
  'HEAD /_ping HTTP/1.1\r\n\r\n',
  'POST /v1.41/containers/x/exec HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}',
].map(b);

type Target = Readonly<{
  name: string;
  module: ServiceModule;
  ip: string;
  ports: number[];
  seeds: Buffer[];
  probe: (ip: string) => Promise<boolean>;
  config?: Record<string, Record<string, string | number | boolean>>;
}>;

async function lineProbe(ip: string, port: number, greeting: RegExp, send: string, reply: RegExp): Promise<boolean> {
  const c = await connectRaw(ip, port);
  try {
    await c.waitFor(greeting);
    c.socket.write(send);
    await c.waitFor(reply);
    return true;
  } finally {
    c.close();
  }
}

async function httpProbe(ip: string, port: number, path: string, expect: RegExp): Promise<boolean> {
  const c = await connectRaw(ip, port);
  try {
    c.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${ip}\r\n\r\n`);
    await c.waitFor(expect);
    return true;
  } finally {
    c.close();
  }
}

const targets: Target[] = [
  {
    name: 'smtp',
    module: smtpService,
    ip: '127.31.1.1',
    ports: [25, 587],
    seeds: [
      'EHLO x\r\n',
      'MAIL FROM:<a@b>\r\n',
      'RCPT TO:<c@test-decky>\r\n',
      'DATA\r\n',
      'Subject: s\r\n\r\nbody\r\n.\r\n',
      'AUTH PLAIN AGEAYg==\r\n',
      'AUTH LOGIN\r\n',
      'YQ==\r\n',
      'STARTTLS\r\n',
      'RSET\r\n',
      'VRFY root\r\n',
      'QUIT\r\n',
    ].map(b),
    probe: (ip) => lineProbe(ip, 25, /^220 .*ESMTP Postfix/, 'EHLO probe\r\n', /250 CHUNKING\r\n/),
  },
  {
    name: 'smtp_relay',
    module: smtpRelayService,
    ip: '127.31.1.2',
    ports: [25],
    seeds: ['HELO x\r\n', 'MAIL FROM:<>\r\n', 'RCPT TO:<v@gmail.com>\r\n', 'DATA\r\n', '.\r\n', '..\r\n'].map(b),
    probe: (ip) => lineProbe(ip, 25, /^220 /, 'HELO probe\r\n', /^250 /m),
  },
  {
    name: 'imap',
    module: imapService,
    ip: '127.31.1.3',
    ports: [143],
    seeds: [
      'a CAPABILITY\r\n',
      'a LOGIN u p\r\n',
      'a LOGIN {3}\r\nabc {2+}\r\nxy\r\n',
      'a AUTHENTICATE PLAIN\r\n',
      'AGEAYg==\r\n',
      'a AUTHENTICATE LOGIN YQ==\r\n',
      'a ID ("x" "y")\r\n',
      'a STARTTLS\r\n',
      'a LOGOUT\r\n',
      '*\r\n',
    ].map(b),
    probe: (ip) => lineProbe(ip, 143, /Dovecot.*ready\.\r\n/, 'p CAPABILITY\r\n', /p OK Pre-login/),
  },
  {
    name: 'pop3',
    module: pop3Service,
    ip: '127.31.1.4',
    ports: [110],
    seeds: [
      'CAPA\r\n',
      'USER a\r\n',
      'PASS b\r\n',
      'AUTH PLAIN\r\n',
      'AGEAYg==\r\n',
      'AUTH LOGIN\r\n',
      'STLS\r\n',
      'QUIT\r\n',
      'AUTH\r\n',
    ].map(b),
    probe: (ip) => lineProbe(ip, 110, /^\+OK Dovecot/, 'CAPA\r\n', /\r\n\.\r\n/),
  },
  {
    name: 'https',
    module: httpsService,
    ip: '127.31.1.5',
    ports: [443],
    seeds: [b('\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00'), ...httpSeeds],
    probe: (ip) =>
      new Promise((resolve, reject) => {
        https
          .get({ host: ip, port: 443, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          })
          .on('error', reject);
      }),
  },
  {
    name: 'elasticsearch',
    module: elasticsearchService,
    ip: '127.31.1.6',
    ports: [9200],
    seeds: httpSeeds,
    probe: (ip) => httpProbe(ip, 9200, '/', /You Know, for Search/),
  },
  {
    name: 'k8s',
    module: k8sService,
    ip: '127.31.1.7',
    ports: [8080, 6443],
    seeds: httpSeeds,
    probe: (ip) => httpProbe(ip, 8080, '/version', /"gitVersion": "v1\.28\.4"/),
  },
  {
    name: 'docker_api',
    module: dockerApiService,
    ip: '127.31.1.8',
    ports: [2375],
    seeds: httpSeeds,
    probe: (ip) => httpProbe(ip, 2375, '/_ping', /\r\n\r\nOK$/),
  },
  {
    name: 'mqtt',
    module: mqttService,
    ip: '127.31.1.9',
    ports: [1883],
    config: { mqtt: { anonymous: true } },
    seeds: [
      mqttConnect,
      mqttConnect5,
      Buffer.from([0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0x61, 0x2f, 0x23, 0x00]),
      Buffer.from([0x32, 0x09, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x02, 0x68, 0x69]),
      Buffer.from([0xc0, 0x00]),
      Buffer.from([0xe0, 0x00]),
      Buffer.from([0x62, 0x02, 0x00, 0x02]),
    ],
    probe: async (ip) => {
      const c = await connectRaw(ip, 1883);
      try {
        c.socket.write(mqttConnect);
        // CONNACK accepted: 0x20 0x02 0x00 0x00 (latin1 text of the raw bytes).
        await c.waitFor(new RegExp(`^${String.fromCharCode(0x20, 0x02, 0, 0)}$`));
        return true;
      } finally {
        c.close();
      }
    },
  },
];

describe('mail and infrastructure services survive fuzzing', () => {
  const running = new Map<string, ServiceHarness>();
  beforeAll(async () => {
    for (const t of targets)
      running.set(
        t.name,
        await startService(t.module, {
          ip: t.ip,
          services: [t.module.name],
          ...(t.config ? { serviceConfig: t.config } : {}),
        }),
      );
  });
  afterAll(async () => {
    for (const h of running.values()) await h.stop();
  });

  for (const [i, t] of targets.entries()) {
    it(`${t.name}: ${inputsPerService} random/mutated inputs, then a valid client still works`, async () => {
      const heapBefore = process.memoryUsage().heapUsed;
      await blastAll(t.ip, t.ports, mutatedInputs(t.seeds, 4242 + i, inputsPerService), {
        perConnection: inputsPerConnection,
        concurrency,
      });
      expect(await t.probe(t.ip)).toBe(true);
      const h = running.get(t.name);
      expect(h?.captures.length).toBeGreaterThan(0);
      // Captured events are held by the harness array; the services themselves must not grow.
      const grown = process.memoryUsage().heapUsed - heapBefore;
      expect(grown).toBeLessThan(64 * 1024 * 1024);
      h?.captures.splice(0);
    }, 180_000);
  }
});
