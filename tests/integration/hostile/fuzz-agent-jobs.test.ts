import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Agent as UndiciAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distroNames } from '../../../shared/catalog/distros';
import { clientTlsOptions } from '../../../shared/node/tls';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  freePort,
  loopbackBlock,
  startAgent,
  startMaster,
  STUB_HOST,
  type TestAgent,
  type TestMaster,
} from '../master/harness';
import { refusalProblem } from './fuzz-arbitraries';

// The agent API's job routes fed requests the contract accepts, in random order and content: the
// fuzz.test.ts runs skip those because they change state. Here they run on an agent of their own
// whose decky hosts are stand-ins that bind nothing, on 127.x addresses and the loopback driver
// only (a LAN driver would touch the machine's interfaces). Any answer but a 2xx or a 4xx with the
// error envelope is a bug, as is a hang, a dead agent or a master that stops answering.
const RUNS = Number(process.env.DECNET_FUZZ_RUNS ?? 300);
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let agent: TestAgent;
let dispatcher: UndiciAgent;
let base: string;
const ip = loopbackBlock();

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-hostile-jobs-');
  const agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  agent = await startAgent(m, {
    root: tmp.dir,
    name: 'jobs-a',
    ip: ip(1),
    agentPort,
    env: { DECNET_DECKY_HOST: STUB_HOST },
  });
  const ca = join(tmp.dir, 'master', 'ca');
  const pem = (p: string) => readFile(join(ca, p), 'utf8');
  dispatcher = new UndiciAgent({
    connect: {
      ...clientTlsOptions({
        caPem: await pem('ca.crt'),
        certPem: await pem('master/master.crt'),
        keyPem: await pem('master/master.key'),
      }),
      maxCachedSessions: 0,
    },
  });
  base = `https://${agent.ip}:${agentPort}`;
}, 60_000);

afterAll(async () => {
  await dispatcher?.close();
  await agent?.kill();
  await m?.stop();
  await tmp?.remove();
});

// Few names, so deploys, mutates and teardowns keep meeting the same deckies.
const name = fc.constantFrom('j-a', 'j-b', 'j-c', 'j-d', '0', 'a'.repeat(63));
const service = fc.constantFrom('ssh', 'http', 'ftp', 'redis', 'telnet', 'smb', 'mysql', 'snmp');
const services = fc.uniqueArray(service, { minLength: 1, maxLength: 4 });
const persona = fc.dictionary(
  fc.constantFrom('version', 'banner', 'server', 'title', 'hostname', '__proto__'),
  fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.boolean()),
  { maxKeys: 3 },
);
const decky = fc.record(
  {
    name,
    ip: fc.integer({ min: 2, max: 12 }).map((n) => ip(n)),
    services,
    distro: fc.constantFrom(...distroNames),
    serviceConfig: fc.dictionary(service, persona, { maxKeys: 2 }),
    mutateInterval: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 10080 })),
  },
  { requiredKeys: ['name', 'ip', 'services', 'distro'] },
);
const job = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      path: fc.constant('/deploy'),
      body: fc.record(
        {
          config: fc.record({
            mode: fc.constantFrom('swarm', 'unihost'),
            network: fc.constant({ driver: 'loopback' }),
            deckies: fc.array(decky, { minLength: 1, maxLength: 4 }),
          }),
          lifecycleIds: fc.dictionary(name, fc.uuid({ version: 4 }), { maxKeys: 3 }),
          dryRun: fc.boolean(),
        },
        { requiredKeys: ['config'] },
      ),
    }),
  },
  fc.record({
    path: fc.constant('/mutate'),
    body: fc.record(
      { deckyId: name, services, lifecycleId: fc.uuid({ version: 4 }), dryRun: fc.boolean() },
      { requiredKeys: ['deckyId', 'services'] },
    ),
  }),
  fc.record({
    path: fc.constant('/teardown'),
    body: fc.record({ deckyId: name, lifecycleId: fc.uuid({ version: 4 }) }, { requiredKeys: ['deckyId'] }),
  }),
  fc.record({ path: fc.constantFrom('/status', '/health', '/topology/state'), body: fc.constant(null) }),
);

describe('agent API job routes under valid but hostile requests', () => {
  it('answers every deploy, mutate and teardown with a 2xx or a 4xx envelope, and stays up', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(job, async ({ path, body }) => {
        const res = await request(`${base}${path}`, {
          method: body === null ? 'GET' : 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          ...(body === null ? {} : { body: JSON.stringify(body) }),
          headersTimeout: 15_000,
          bodyTimeout: 15_000,
        });
        const text = await res.body.text();
        const key = `${path} ${res.statusCode} ${res.statusCode >= 400 ? text.slice(0, 90) : ''}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        expect(refusalProblem(res.statusCode, text, 'route'), `${path} ${JSON.stringify(body)}`).toBeNull();
      }),
      { numRuns: RUNS },
    );
    if (process.env.DECNET_FUZZ_STATS) console.log([...seen].sort((a, b) => b[1] - a[1]));
    // The run must reach the handlers, not stop at validation: deploys and mutates were accepted.
    const accepted = (p: string) => [...seen].filter(([k]) => k.startsWith(`${p} 202`)).reduce((n, [, c]) => n + c, 0);
    expect(accepted('/deploy')).toBeGreaterThan(0);
    expect(accepted('/mutate') + accepted('/teardown')).toBeGreaterThan(0);
    expect(agent.child.exitCode).toBeNull();
    expect((await m.call('hosts.check', { hostUuid: agent.hostUuid })).reachable).toBe(true);
    // The master took the agent's reports of all that (deltas for unknown rows, adopted deckies) in its stride.
    await eventually(
      async () => (await m.call('hosts.list', {})).find((h) => h.uuid === agent.hostUuid)?.liveness === 'online',
      { what: 'agent still online at the master' },
    );
    expect(agent.output()).not.toMatch(/unhandled|TypeError|RangeError/i);
  }, 120_000);
});
