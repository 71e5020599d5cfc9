import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../../shared/errors';
import { killHostsByRegistry } from '../agent/harness';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { AGENT_CLI, freePort, loopbackBlock, STUB_HOST } from '../master/harness';
import { spawnMaster, type MasterProcess } from './master-process';

// `kill -9` of a real `decnet-master serve` at three points of a deploy, with a real agent process
// whose stand-in decky hosts wait for a gate file: right as the deploy is answered (the dispatch
// may or may not have left), while the agent holds the jobs, and just after the agent finished
// them (its deltas maybe not yet acked). The next master on the same data dir must bring every
// row to succeeded, and no decky may be started twice.
const run = promisify(execFile);
const PASSWORD = 'fault-test-password';
let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
let dataDir: string;
let swarmPort: number;
let agentPort: number;
let m: MasterProcess;
let api: { url: string; token: string };
let agent: ChildProcess;
let hostUuid: string;
const ip = loopbackBlock();
const gate = () => join(tmp.dir, 'gate');
const hostLog = () => join(tmp.dir, 'host-starts.jsonl');

async function rpc<T>(command: string, input: unknown): Promise<T> {
  const res = await request(`${api.url}/api/v1/rpc/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
    body: JSON.stringify(input),
  });
  const r = (await res.body.json()) as Result<T>;
  if (!r.ok) throw new Error(`${command}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

/** Starts `decnet-master serve` on the data dir and logs in to its console. */
async function serve(): Promise<void> {
  m = spawnMaster({ dataDir, swarmPort, agentPort, localAgent: false });
  const url = (await m.waitFor(/console API: (http:\/\/\S+)/))[1]!;
  const login = await request(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  api = { url, token: ((await login.body.json()) as { token: string }).token };
}

/** Deckies started per name by the agent's decky hosts (a double start would show 2). */
async function starts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const l of (await readFile(hostLog(), 'utf8').catch(() => '')).split('\n').filter(Boolean)) {
    const n = (JSON.parse(l) as { decky: string }).decky;
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

type Row = { status: string };
const rows = async (ids: string[]) => (await rpc<{ rows: Row[] }>('lifecycle.get', { ids })).rows;
const allSucceeded = async (ids: string[]) =>
  eventually(async () => ((await rows(ids)).every((r) => r.status === 'succeeded') ? true : undefined), {
    timeoutMs: 30_000,
    what: 'every row succeeded after the restart',
  });

async function restartAfterKill(): Promise<void> {
  await m.kill('SIGKILL');
  await serve();
}

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-fault-sigkill-');
  dataDir = join(tmp.dir, 'master');
  [swarmPort, agentPort] = [await freePort(), await freePort()];
  await serve();
  const enrolled = await rpc<{ hostUuid: string; token: string }>('hosts.enroll', { name: 'kill-a', address: ip(1) });
  hostUuid = enrolled.hostUuid;
  const identityDir = join(tmp.dir, 'kill-a', 'identity');
  const stateDir = join(tmp.dir, 'kill-a', 'state');
  await mkdir(stateDir, { recursive: true });
  await run(process.execPath, [
    AGENT_CLI,
    'enroll',
    '--master',
    `https://127.0.0.1:${swarmPort}`,
    '--token',
    enrolled.token,
    '--dir',
    identityDir,
    '--name',
    'kill-a',
    '--address',
    ip(1),
  ]);
  const args = ['run', '--dir', identityDir, '--state-dir', stateDir, '--listen', `${ip(1)}:${agentPort}`];
  agent = spawn(process.execPath, [AGENT_CLI, ...args, '--network', 'loopback'], {
    env: {
      ...process.env,
      DECNET_HEARTBEAT_INTERVAL_S: '1',
      DECNET_LOG_LEVEL: 'warn',
      DECNET_DECKY_HOST: STUB_HOST,
      DECNET_TEST_GATE: gate(),
      DECNET_TEST_HOST_LOG: hostLog(),
    },
    stdio: 'ignore',
  });
  await eventually(
    async () =>
      (await rpc<Array<{ uuid: string; liveness: string }>>('hosts.list', {})).find((h) => h.uuid === hostUuid)
        ?.liveness === 'online',
    { timeoutMs: 20_000, what: 'agent online' },
  );
}, 60_000);

afterAll(async () => {
  agent?.kill('SIGKILL');
  await m?.kill('SIGKILL');
  await killHostsByRegistry(join(tmp.dir, 'kill-a', 'state'));
  await tmp?.remove();
});

const deploy = (prefix: string, base: number) =>
  rpc<{ lifecycleIds: string[] }>('deckies.deploy', {
    hostUuid,
    services: ['ssh'],
    deckies: [1, 2, 3].map((i) => ({ name: `${prefix}-${i}`, ip: ip(base + i) })),
  });

const startedOnce = async (prefix: string) =>
  expect([...(await starts()).entries()].filter(([n]) => n.startsWith(`${prefix}-`)).sort()).toEqual(
    [1, 2, 3].map((i) => [`${prefix}-${i}`, 1]),
  );

describe('master SIGKILL during a deploy (real processes)', () => {
  it('killed the moment the deploy is answered: the next master finishes every row, none twice', async () => {
    await writeFile(gate(), 'go');
    const { lifecycleIds } = await deploy('k-answer', 10);
    await restartAfterKill();
    await allSucceeded(lifecycleIds);
    await eventually(async () => (await starts()).get('k-answer-3') === 1, { what: 'k-answer started' });
    await startedOnce('k-answer');
  }, 60_000);

  it('killed while the agent holds the jobs: they finish and are recorded once', async () => {
    await rm(gate(), { force: true });
    const { lifecycleIds } = await deploy('k-held', 20);
    await eventually(async () => ((await rows(lifecycleIds)).every((r) => r.status === 'running') ? true : undefined), {
      what: 'rows running (the agent accepted the jobs)',
    });
    await restartAfterKill();
    await writeFile(gate(), 'go');
    await allSucceeded(lifecycleIds);
    await startedOnce('k-held');
  }, 60_000);

  it('killed just after the agent finished, before its deltas were surely acked: every row succeeds once', async () => {
    const { lifecycleIds } = await deploy('k-done', 30);
    await eventually(async () => (await starts()).get('k-done-3') === 1, { what: 'k-done hosts started' });
    await restartAfterKill();
    await allSucceeded(lifecycleIds);
    await startedOnce('k-done');
    const recent = (await rpc<{ rows: Array<{ deckyName: string }> }>('lifecycle.recent', {})).rows;
    expect(recent.filter((r) => r.deckyName.startsWith('k-')).length).toBe(9);
  }, 60_000);
});
