import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { Agent as UndiciAgent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeCommand } from '../../../main/core/dispatch';
import { errorCodes } from '../../../shared/errors';
import { ipcCommands } from '../../../shared/ipc/contract';
import { silentLogger } from '../../../shared/node/logger';
import { clientTlsOptions } from '../../../shared/node/tls';
import { agentApi } from '../../../shared/protocol/agent-api';
import type { RouteTable } from '../../../shared/protocol/route';
import { swarmApi } from '../../../shared/protocol/swarm-api';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  ADMIN_PASSWORD,
  freePort,
  loopbackBlock,
  startAgent,
  startMaster,
  type TestAgent,
  type TestMaster,
} from '../master/harness';
import {
  absentTargets,
  asSent,
  type Envelope,
  ipcInput,
  jsonInput,
  keysOf,
  NOT_JSON,
  parsedBody,
  pathFor,
  rawBody,
  readOnly,
  refusalProblem,
  routeOf,
  snapshot,
} from './fuzz-arbitraries';

// Property-based fuzzing of every surface of a real master and a real agent process: the agent's
// mTLS API (with the master's own certificate, so input gets past authentication), the swarm
// listener (with a worker's certificate and without one), the console RPC and every IPC command
// through the dispatcher. Inputs the contract would accept for a command that changes state are
// skipped, so every request must be refused: 4xx with the error envelope, never 5xx, never a hang,
// both processes alive afterwards and no state file changed.
const RUNS = Number(process.env.DECNET_FUZZ_RUNS ?? 300);
const ANSWER_MS = 10_000;

let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let agent: TestAgent;
let dataDir: string;
let before: { master: Record<string, string>; agent: Record<string, string> };
let token: string;
const dispatchers: Dispatcher[] = [];
const agentState = () => join(tmp.dir, 'fz-a', 'state');
/** Calls go through the dispatcher as the desktop shell sends them: with the audit trail. */
const audit = () => ({ actor: 'fuzz', record: m.master.audit.record });

async function quietSnapshot(dir: string) {
  let last = '';
  return eventually(
    async () => {
      const s = await snapshot(dir);
      const now = JSON.stringify(s);
      const same = now === last;
      last = now;
      return same ? s : undefined;
    },
    { intervalMs: 300, what: `${dir} quiet` },
  );
}

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-hostile-fuzz-');
  dataDir = join(tmp.dir, 'master');
  const agentPort = await freePort();
  // No beat during the run (the first one comes at start), so master.json can only move by a request.
  const quietBeats = { DECNET_HEARTBEAT_INTERVAL_S: '3600' };
  m = await startMaster({ dataDir, agentPort, env: { ...quietBeats, DECNET_LIMITER_ENABLED: 'false' } });
  agent = await startAgent(m, { root: tmp.dir, name: 'fz-a', ip: loopbackBlock()(1), agentPort, env: quietBeats });
  const login = await request(`${m.started.api!.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  token = ((await login.body.json()) as { token: string }).token;
  before = { master: await quietSnapshot(dataDir), agent: await quietSnapshot(agentState()) };
}, 60_000);

afterAll(async () => {
  await Promise.all(dispatchers.map((d) => d.close()));
  await agent?.kill();
  await m?.stop();
  await tmp?.remove();
});

function track<D extends Dispatcher>(d: D): D {
  dispatchers.push(d);
  return d;
}

const pem = (p: string) => readFile(p, 'utf8');

type Sent = { method: string; path: string; body: string; headers: Record<string, string> };

/** Sends one request; a client-side refusal of the request itself (undici's argument checks) is null. */
async function send(base: string, dispatcher: Dispatcher, s: Sent): Promise<{ status: number; text: string } | null> {
  const hasBody = s.method !== 'GET' && s.method !== 'HEAD';
  let res;
  try {
    res = await request(`${base}${s.path}`, {
      method: s.method,
      dispatcher,
      headers: s.headers,
      ...(hasBody ? { body: s.body } : {}),
      headersTimeout: ANSWER_MS,
      bodyTimeout: ANSWER_MS,
    });
  } catch (err) {
    if (err instanceof undiciErrors.InvalidArgumentError) return null;
    throw new Error(`no answer to ${s.method} ${s.path}: ${(err as Error).message}`, { cause: err });
  }
  return { status: res.statusCode, text: await res.body.text() };
}

const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

/** Every route of `table` under arbitrary methods, paths, bodies and media types, as `dispatcher`. */
async function fuzzRoutes(base: string, table: RouteTable, dispatcher: Dispatcher, envelope: Envelope) {
  const keys = [...new Set(Object.values(table).flatMap((r) => keysOf(r.input)))];
  const paths = Object.values(table).map((r) => r.path);
  await fc.assert(
    fc.asyncProperty(method, pathFor(paths), rawBody(jsonInput(keys)), async (meth, rawPath, body) => {
      const path = asSent(base, rawPath);
      if (path === null) return;
      const r = routeOf(table, meth, path);
      // A GET route answers its data; a body the route would accept would really change state.
      if (r?.method === 'GET') return;
      const parsed = parsedBody(body.text);
      if (r && parsed !== NOT_JSON && r.input.safeParse(parsed).success) return;
      const headers: Record<string, string> = body.contentType ? { 'content-type': body.contentType } : {};
      const answer = await send(base, dispatcher, { method: meth, path, body: body.text, headers });
      if (!answer) return;
      const problem =
        meth === 'HEAD'
          ? answer.status >= 400 && answer.status < 500
            ? null
            : `HEAD got ${answer.status}`
          : refusalProblem(answer.status, answer.text, envelope);
      expect(problem, `${meth} ${path} ${body.text.slice(0, 200)}`).toBeNull();
    }),
    { numRuns: RUNS },
  );
}

describe('hostile fuzzer (real master and agent)', () => {
  it('agent API with the master certificate: every invalid request is a 4xx with the error envelope', async () => {
    const ca = join(dataDir, 'ca');
    const asMaster = track(
      new UndiciAgent({
        connect: {
          ...clientTlsOptions({
            caPem: await pem(join(ca, 'ca.crt')),
            certPem: await pem(join(ca, 'master', 'master.crt')),
            keyPem: await pem(join(ca, 'master', 'master.key')),
          }),
          maxCachedSessions: 0,
        },
      }),
    );
    const port = (await m.call('hosts.list', {})).find((h) => h.uuid === agent.hostUuid)!.agentPort;
    await fuzzRoutes(`https://${agent.ip}:${port}`, agentApi, asMaster, 'route');
  }, 120_000);

  it('swarm listener with a worker certificate and without one', async () => {
    const id = agent.identityDir;
    const asWorker = track(
      new UndiciAgent({
        connect: {
          ...clientTlsOptions({
            caPem: await pem(join(id, 'ca.crt')),
            certPem: await pem(join(id, 'worker.crt')),
            keyPem: await pem(join(id, 'worker.key')),
          }),
          maxCachedSessions: 0,
        },
      }),
    );
    const anonymous = track(new UndiciAgent({ connect: { rejectUnauthorized: false } }));
    await fuzzRoutes(m.started.swarm.url, swarmApi, asWorker, 'route');
    await fuzzRoutes(m.started.swarm.url, swarmApi, anonymous, 'route');
  }, 120_000);

  it('console RPC: every command, arbitrary bodies, media types and tokens', async () => {
    const plain = track(new UndiciAgent({}));
    const commands = Object.keys(ipcCommands) as Array<keyof typeof ipcCommands>;
    const keys = [...new Set(commands.flatMap((c) => keysOf(ipcCommands[c].input)))];
    const auth = fc.constantFrom<string | null>(
      `Bearer ${token}`,
      `Bearer ${token}`,
      'Bearer nope',
      `Basic ${token}`,
      null,
    );
    const target = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...commands).map((c) => `/api/v1/rpc/${c}`) },
      fc.constantFrom('/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/events', '/api/v1/rpc/', '/api/v1/rpc/x.y'),
      pathFor(['/api/v1/rpc/hosts.list', '/api/v1/rpc/deckies.deploy', '/api/v1/auth/login', '/api/v1/events']),
    );
    await fc.assert(
      fc.asyncProperty(method, target, rawBody(jsonInput(keys)), auth, async (meth, rawPath, body, authz) => {
        const path = asSent(m.started.api!.url, rawPath);
        if (path === null) return;
        const pathname = path.split('?')[0]!;
        if (!pathname.startsWith('/api/')) return; // the UI's static files, not the RPC
        const command = /^\/api\/v1\/rpc\/(.+)$/.exec(pathname)?.[1] ?? '';
        const schema = Object.hasOwn(ipcCommands, command)
          ? ipcCommands[command as keyof typeof ipcCommands].input
          : null;
        const parsed = parsedBody(body.text);
        const accepted = meth === 'POST' && schema !== null && parsed !== NOT_JSON && schema.safeParse(parsed).success;
        if (accepted && !readOnly.has(command)) return;
        // Our token must survive the run (logout) and must not open an endless event stream.
        const safeAuth = pathname === '/api/v1/auth/logout' || pathname === '/api/v1/events' ? 'Bearer nope' : authz;
        const headers: Record<string, string> = {
          ...(body.contentType ? { 'content-type': body.contentType } : {}),
          ...(safeAuth ? { authorization: safeAuth } : {}),
        };
        const answer = await send(m.started.api!.url, plain, { method: meth, path, body: body.text, headers });
        if (!answer) return;
        if (meth === 'OPTIONS' && answer.status === 204) return;
        if (answer.status === 200 && accepted && readOnly.has(command)) return;
        const problem =
          meth === 'HEAD'
            ? answer.status >= 400 && answer.status < 500
              ? null
              : `HEAD got ${answer.status}`
            : refusalProblem(answer.status, answer.text, 'result');
        expect(problem, `${meth} ${path} ${body.text.slice(0, 200)}`).toBeNull();
      }),
      { numRuns: RUNS * 2 },
    );
  }, 120_000);

  it('every IPC command through the dispatcher, with structured-clone values', async () => {
    const commands = Object.keys(ipcCommands) as Array<keyof typeof ipcCommands>;
    for (const command of commands) {
      const schema = ipcCommands[command].input;
      await fc.assert(
        fc.asyncProperty(ipcInput(keysOf(schema)), async (input) => {
          const valid = schema.safeParse(input === undefined ? {} : input).success;
          if (valid && !readOnly.has(command)) return;
          const result = await Promise.race([
            invokeCommand(m.master.handlers, command, input, silentLogger, audit()),
            new Promise<'hang'>((r) => setTimeout(() => r('hang'), ANSWER_MS).unref()),
          ]);
          expect(result, command).not.toBe('hang');
          if (result === 'hang' || result.ok) return;
          expect(
            errorCodes[result.error.code].status,
            `${command}: ${result.error.code} ${result.error.message}`,
          ).toBeLessThan(500);
          expect(result.error.message).not.toMatch(/\n/);
        }),
        { numRuns: Math.ceil(RUNS / 3) },
      );
    }
  }, 120_000);

  it('state-changing commands with valid input naming nothing that exists are refused and change nothing', async () => {
    const call = absentTargets(agent.hostUuid);
    await fc.assert(
      fc.asyncProperty(call, async ({ c, i }) => {
        const command = c as keyof typeof ipcCommands;
        if (!ipcCommands[command].input.safeParse(i).success) return;
        const result = await invokeCommand(m.master.handlers, command, i, silentLogger, audit());
        expect(result.ok, `${command} ${JSON.stringify(i)}`).toBe(false);
        if (result.ok) return;
        const status = errorCodes[result.error.code].status;
        expect(status, `${command}: ${result.error.code} ${result.error.message}`).toBeGreaterThanOrEqual(400);
        expect(status, `${command}: ${result.error.code} ${result.error.message}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('afterwards: both processes answer, nothing changed on disk, no prototype was polluted', async () => {
    expect(agent.child.exitCode).toBeNull();
    expect((await m.call('hosts.check', { hostUuid: agent.hostUuid })).reachable).toBe(true);
    // The audit trail records every state-changing attempt (by design it grows with refusals too):
    // apart from it nothing moved, and every attempt it holds was refused.
    const state = (s: Record<string, string>) => Object.entries(s).filter(([p]) => !p.startsWith('audit.jsonl'));
    expect(state(await snapshot(dataDir))).toEqual(state(before.master));
    const trail = (await readFile(join(dataDir, 'audit.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    expect(trail.length).toBeGreaterThan(0);
    expect(trail.map((l) => (JSON.parse(l) as { ok: boolean }).ok).filter((ok) => ok)).toEqual([]);
    expect(await snapshot(agentState())).toEqual(before.agent);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
