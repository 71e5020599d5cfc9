import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  ADMIN_PASSWORD,
  freePort,
  loopbackBlock,
  settled,
  startAgent,
  startMaster,
  type TestAgent,
  type TestMaster,
} from './harness';

// `decnet-master events tail` against a real console, with events made by a real HTTP client
// hitting a real decky on a real agent: what the analyst runs in a terminal during an attack.
const CLI = new URL('../../../out/main/cli.js', import.meta.url).pathname;
const ip = loopbackBlock();
let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
let m: TestMaster;
let agent: TestAgent;
let env: Record<string, string>;

type Run = { code: number; stdout: string; stderr: string };
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
function httpHit(from: string, to: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to, port: 80, localAddress: from }, () => s.end(`GET ${path} HTTP/1.0\r\n\r\n`));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
const httpEvents = async () => (await m.call('events.list', { service: 'http' })).events;

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-tail-it-');
  const agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  env = {
    DECNET_CONSOLE_URL: m.started.api!.url,
    DECNET_CONSOLE_TOKEN_FILE: join(tmp.dir, 'cfg', 'token.json'),
    DECNET_CONSOLE_PASSWORD: ADMIN_PASSWORD,
  };
  expect((await cli(['login'])).code).toBe(0);
  agent = await startAgent(m, { root: tmp.dir, name: 'worker-tail', ip: ip(1), agentPort });
  const res = await m.call('deckies.deploy', { services: ['http'], deckies: [{ name: 'srv-tail-01', ip: ip(21) }] });
  expect((await settled(m, res.lifecycleIds, 60_000)).map((r) => r.status)).toEqual(['succeeded']);
}, 120_000);
afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await tmp?.remove();
});

describe('decnet-master events tail', () => {
  it('prints the newest history, then follows new events oldest first, one JSON event per line', async () => {
    await httpHit(ip(50), ip(21), '/history');
    // Each hit is two events (connect, then request): wait for both, so the history is complete.
    await eventually(async () => ((await httpEvents()).length >= 2 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'first http event stored',
    });
    const before = (await httpEvents()).length;

    const child = spawn(
      process.execPath,
      [CLI, 'events', 'tail', '--json', '--service', 'http', '--lines', '1', '--interval', '0.2', '--count', '5'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // The history line comes first, before any new event exists.
      await eventually(() => (stdout.split('\n').filter(Boolean).length >= 1 ? true : undefined), {
        timeoutMs: 20_000,
        what: 'history line',
      });
      await httpHit(ip(51), ip(21), '/one');
      await eventually(async () => ((await httpEvents()).length >= before + 2 ? true : undefined), {
        timeoutMs: 20_000,
        what: 'second event stored',
      });
      await httpHit(ip(52), ip(21), '/two');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
    expect(stderr).toBe('');
    const events = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => AttackerEvent.parse(JSON.parse(l)));
    expect(events.map((e) => e.src)).toEqual([ip(50), ip(51), ip(51), ip(52), ip(52)]);
    expect(new Set(events.map((e) => e.decky))).toEqual(new Set(['srv-tail-01']));
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
  }, 120_000);

  it('the readable form is one line per event: time, source, decky/service, kind', async () => {
    const r = await cli(['events', 'tail', '--service', 'http', '--lines', '1', '--count', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\S+Z  ${ip(52).replace(/\./g, '\\.')}  srv-tail-01/http  \\S+`));
  }, 60_000);

  it('help lists it; a bad flag exits 2 with one line naming the flag', async () => {
    expect((await cli(['events', '--help'])).stdout).toMatch(/\n {2}tail\s+follow new attacker events/);
    const help = await cli(['events', 'tail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: decnet-master events tail/);
    const bad = await cli(['events', 'tail', '--interval', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'decnet-master: --interval must be a number between 0.2 and 60, got "0"',
    ]);
    expect((await cli(['events', 'tail', '--service', 'nosuch'])).code).toBe(2);
  }, 60_000);
});
