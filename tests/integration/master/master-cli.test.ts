import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcCommands } from '../../../shared/ipc/contract';
import type { Command } from '../../../shared/ipc/types';
import { remoteSubcommands } from '../../../main/cli/command-table';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { ADMIN_PASSWORD, freePort, startMaster, type TestMaster } from './harness';

const CLI = new URL('../../../out/main/cli.js', import.meta.url).pathname;

type Run = { code: number; stdout: string; stderr: string };
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
        timeout: 120_000,
        // `hosts agent-package --json` prints the whole worker tarball in base64 (several MiB).
        maxBuffer: 256 * 2 ** 20,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs at most `n` at a time (two cores shared by everyone). */
async function limited<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe('decnet-master --help and argument validation', () => {
  it('answers -h/--help on every command and subcommand with exit 0 on stdout', async () => {
    const sets = [
      ['--help'],
      ['-h'],
      ['serve', '--help'],
      ['login', '-h'],
      ['logout', '-h'],
      ...[...new Set(remoteSubcommands.map((s) => s.group))].map((g) => [g, '--help']),
      ...remoteSubcommands.map((s) => [s.group, s.verb, '--help']),
    ];
    const runs = await limited(sets, 2, (a) => cli(a));
    runs.forEach((r, i) => {
      expect({ args: sets[i], code: r.code, stderr: r.stderr }).toEqual({ args: sets[i], code: 0, stderr: '' });
      expect(r.stdout).toMatch(/usage: decnet-master/);
    });
    // serve's help names defaults and the environment variables its flags override.
    expect(runs[2]!.stdout).toMatch(/--api-port N .*default 8000; env DECNET_API_PORT/);
  }, 600_000);

  it('`serve --api-port abc` exits 2 with one line naming the flag, before anything exists in the data dir', async () => {
    const tmp = await makeTmpDir('decnet-cli-');
    try {
      const r = await cli(['serve', '--data', join(tmp.dir, 'data'), '--api-port', 'abc', '--swarm-port', '0']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        'decnet-master: --api-port must be an integer between 0 and 65535, got "abc"',
      ]);
      expect(await readdir(tmp.dir)).toEqual([]);
      expect((await cli(['serve', '--bogus'])).code).toBe(2);
      expect((await cli(['nosuch'])).code).toBe(2);
      expect((await cli(['deckies', 'nosuch'])).code).toBe(2);
    } finally {
      await tmp.remove();
    }
  }, 120_000);
});

describe('decnet-master console subcommands against a running console', () => {
  let m: TestMaster;
  let tmp: Awaited<ReturnType<typeof makeTmpDir>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-cli-console-');
    m = await startMaster({ dataDir: join(tmp.dir, 'data'), agentPort: await freePort() });
    env = { DECNET_CONSOLE_URL: m.started.api!.url, DECNET_CONSOLE_TOKEN_FILE: join(tmp.dir, 'cfg', 'token.json') };
  });
  afterAll(async () => {
    await m?.stop();
    await tmp?.remove();
  });

  it('login writes the token file 0600; a wrong password exits 1 and writes nothing new', async () => {
    const bad = await cli(['login'], { ...env, DECNET_CONSOLE_PASSWORD: 'wrong' });
    expect(bad.code).toBe(1);
    const r = await cli(['login'], { ...env, DECNET_CONSOLE_PASSWORD: ADMIN_PASSWORD });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await stat(env['DECNET_CONSOLE_TOKEN_FILE']!)).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('logout revokes the saved token on the console and deletes the file', async () => {
    const own = { ...env, DECNET_CONSOLE_TOKEN_FILE: join(tmp.dir, 'cfg', 'logout-token.json') };
    expect((await cli(['login'], { ...own, DECNET_CONSOLE_PASSWORD: ADMIN_PASSWORD })).code).toBe(0);
    expect((await cli(['hosts', 'list'], own)).code).toBe(0);
    const token = (JSON.parse(await readFile(own.DECNET_CONSOLE_TOKEN_FILE, 'utf8')) as { token: string }).token;
    const r = await cli(['logout'], own);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^logged out of http:\/\/127\.0\.0\.1:\d+; removed /);
    await expect(stat(own.DECNET_CONSOLE_TOKEN_FILE)).rejects.toThrow(/ENOENT/);
    const stale = await cli(['hosts', 'list', `--token=${token}`], own);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/UNAUTHENTICATED/);
    expect((await cli(['logout'], own)).code).toBe(2); // no token left: nothing sent
  }, 120_000);

  it('reaches every contract command as a subcommand; --json parses against the output schema', async () => {
    const host = randomUUID();
    // One sample invocation per contract command: a command added to the contract without a
    // sample here fails this test, and the table is derived, so it is reachable by construction.
    const samples: Record<Command, string[]> = {
      'hosts.list': [],
      'hosts.enroll': ['--name', 'cli-w1', '--address', '127.0.0.1'],
      'hosts.exportBundle': ['--name', 'cli-w2', '--address', '127.0.0.1'],
      'hosts.agentPackage': [],
      'hosts.check': [host],
      'hosts.decommission': [host],
      'hosts.update': [host],
      'hosts.updateSelf': [host],
      'hosts.updateAll': ['--wave-size', '2'],
      'hosts.updates': [],
      'deckies.list': [],
      'deckies.plan': ['--archetype', 'linux-server', '--count', '2'],
      'deckies.deploy': ['--archetype', 'linux-server', '--count', '1', '--mutate-interval', '15'],
      'deckies.mutate': ['nope', '--services', 'ssh'],
      'deckies.setMutateInterval': ['nope', '--mutate-interval', 'off'],
      'deckies.teardown': ['nope'],
      'lifecycle.get': ['--ids', randomUUID()],
      'lifecycle.recent': ['--limit', '5'],
      'topologies.list': [],
      'topologies.get': ['nope'],
      'topologies.create': ['--name', 'cli-topo', '--lans', '[]', '--deckies', '[]', '--edges', '[]'],
      'topologies.delete': ['nope'],
      'topologies.apply': ['nope', '--host-uuid', host],
      'topologies.teardown': ['nope'],
      'topologies.state': ['nope'],
      'events.list': ['--limit', '10'],
      'events.histogram': ['--src', '203.0.113.0/24'],
      'sources.list': ['--limit', '5'],
      'sources.timeline': ['--src', '203.0.113.9'],
      'events.export': ['--format', 'csv', '--src', '203.0.113.9'],
      'artifacts.list': [],
      'artifacts.download': ['--sha256', 'a'.repeat(64)],
      'recordings.get': ['--sha256', 'a'.repeat(64)],
      'siem.status': [],
      'siem.configure': ['--input', '{"target":null,"format":"rfc5424"}'],
      'events.retention': [],
      'events.setRetention': ['--input', '{"maxAgeDays":30,"maxMb":null}'],
      'siem.test': [],
      'catalog.get': [],
      'settings.get': [],
      'settings.setMutateInterval': ['--mutate-interval', '45'],
      'settings.update': ['--input', '{"closeToTray":false}'],
      'audit.list': ['--limit', '20'],
      'accounts.list': [],
      'accounts.create': ['--input', '{"username":"cli-viewer","password":"a-long-password-1","role":"viewer"}'],
      'accounts.setPassword': ['--input', '{"username":"nobody","password":"a-long-password-2"}'],
      'accounts.remove': ['--input', '{"username":"nobody"}'],
      'hosts.setNetwork': ['--input', JSON.stringify({ hostUuid: host, settings: { driver: 'macvlan' } })],
      'deckies.redeploy': ['--input', '{"deckyName":"nope"}'],
      'alerts.get': [],
      'alerts.configure': ['--input', '{"rules":[{"id":"command","enabled":true,"windowMinutes":30}]}'],
      'alerts.test': ['--input', '{"channelId":"nope"}'],
      'incidents.list': [],
      'incidents.update': ['--input', JSON.stringify({ id: randomUUID(), state: 'closed' })],
    };
    const commands = Object.keys(ipcCommands) as Command[];
    expect(remoteSubcommands.map((s) => s.command).sort()).toEqual([...commands].sort());
    const runs = await limited(commands, 2, async (c) => {
      const sub = remoteSubcommands.find((s) => s.command === c)!;
      return { c, r: await cli([sub.group, sub.verb, ...samples[c], '--json'], env) };
    });
    const succeeded: Command[] = [];
    for (const { c, r } of runs) {
      // 0 = answered; 1 = the console refused (it was reached: its error code is printed). Never 2.
      expect({ c, code: r.code === 2 ? r.stderr : r.code }).toEqual({ c, code: r.code === 0 ? 0 : 1 });
      if (r.code === 0) {
        ipcCommands[c].output.parse(JSON.parse(r.stdout));
        succeeded.push(c);
      } else expect(r.stderr).toMatch(/\((NOT_FOUND|CONFLICT|INVALID_INPUT|AGENT_UNREACHABLE|INTERNAL|TIMEOUT)\)\n$/);
    }
    // Read commands and valid writes must answer, not just be reachable.
    const mustAnswer: Command[] = [
      'hosts.list',
      'hosts.enroll',
      'deckies.list',
      'lifecycle.get',
      'lifecycle.recent',
      'topologies.list',
      'events.list',
      'catalog.get',
      'settings.get',
      'settings.setMutateInterval',
      'settings.update',
      'alerts.get',
      'alerts.configure',
      'incidents.list',
    ];
    expect(mustAnswer.filter((c) => !succeeded.includes(c))).toEqual([]);
    const settings = await cli(['settings', '--json'], env);
    expect(JSON.parse(settings.stdout).mutateInterval).toBe(45);
    // The readable form is a table with a header row.
    expect((await cli(['hosts', 'list'], env)).stdout.split('\n')[0]).toMatch(/^uuid\s+name\s/);
  }, 600_000);

  it('a bad flag value exits 2 naming the flag, without calling the console', async () => {
    const r = await cli(['deckies', 'set-mutate-interval', 'web-01', '--mutate-interval', 'abc'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mutate-interval/);
    const noToken = await cli(['hosts', 'list'], {
      DECNET_CONSOLE_URL: env['DECNET_CONSOLE_URL']!,
      DECNET_CONSOLE_TOKEN_FILE: join(tmp.dir, 'none.json'),
    });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/login/);
  }, 120_000);
});
