import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock';
import { createNativeRuntime, type NativeRuntime } from '../../../agent/runtime/native/native-runtime';
import { DeckyConfig } from '../../../shared/domain/decky';
import type { AttackerEvent } from '../../../shared/domain/events';
import { createLogger } from '../../../shared/node/logger';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { connectRaw, run } from '../services/service-harness';

/** The built entry (tests/helpers/global-setup.ts runs scripts/build.mjs first). */
const hostScript = join(import.meta.dirname, '../../../out/agent/decky-host.js');

const decky = (name: string, ip: string): DeckyConfig =>
  DeckyConfig.parse({ name, ip, hostname: name, distro: 'debian', services: ['ssh', 'http'] });

async function sshBanner(ip: string): Promise<string> {
  const c = await connectRaw(ip, 22);
  try {
    return await eventually(() => (c.text().includes('\r\n') ? c.text() : undefined), { what: `ssh banner on ${ip}` });
  } finally {
    c.socket.destroy();
  }
}

/** The native runtime's process pool, with the real decky host on 127.x addresses. */
describe('native runtime process pool', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let rt: NativeRuntime | null = null;
  const events: AttackerEvent[] = [];
  const make = (deckiesPerProcess: number, maxHostProcesses?: number) =>
    createNativeRuntime(
      {
        network: 'loopback',
        dataDir: tmp.dir,
        onEvent: (e) => events.push(e),
        clock: systemClock,
        log: createLogger({ level: 'critical' }),
      },
      { hostScript, deckiesPerProcess, ...(maxHostProcesses ? { maxHostProcesses } : {}) },
    );
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-pool-test-');
  });
  afterEach(async () => {
    await rt?.close();
    rt = null;
    await tmp.remove();
  });

  it('at the process cap packs further deckies into the least loaded process', async () => {
    rt = make(1, 2);
    const ds = [0, 1, 2, 3, 4].map((i) => decky(`cap-${i}`, `127.92.1.${10 + i}`));
    for (const d of ds) await rt.up(d);
    const pids = ds.map((d) => rt!.hostPid(d.name));
    // One each for the first two (the per-process count), then the cap: the rest share them evenly.
    expect(new Set(pids).size).toBe(2);
    const per = [...new Set(pids)].map((p) => pids.filter((q) => q === p).length).sort();
    expect(per).toEqual([2, 3]);
    for (const d of ds) expect(await sshBanner(d.ip)).toMatch(/^SSH-2\.0-/);
  });

  it('puts two deckies in one process; a crash of it restarts both, each counting one restart', async () => {
    rt = make(16);
    const a = decky('pool-a', '127.92.0.10');
    const b = decky('pool-b', '127.92.0.11');
    await Promise.all([rt.up(a), rt.up(b)]);
    const pid = rt.hostPid(a.name);
    expect(pid).toBeGreaterThan(0);
    expect(rt.hostPid(b.name)).toBe(pid);
    expect(await sshBanner(b.ip)).toMatch(/^SSH-2\.0-/);

    process.kill(pid!, 'SIGKILL');
    const after = await eventually(
      () => {
        const s = rt!.status();
        return [a, b].every((d) => s[d.name]?.restarts === 1 && s[d.name]?.running) ? s : undefined;
      },
      { what: 'both deckies restarted', timeoutMs: 20_000 },
    );
    for (const d of [a, b]) {
      expect(after[d.name]).toMatchObject({
        running: true,
        restarts: 1,
        services: { ssh: 'running', http: 'running' },
      });
      expect(await sshBanner(d.ip)).toMatch(/^SSH-2\.0-/);
      expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${d.ip}/`])).stdout).toBe(
        '200',
      );
    }
    const newPid = rt.hostPid(a.name);
    expect(newPid).not.toBe(pid);
    expect(rt.hostPid(b.name)).toBe(newPid);
    await eventually(() => events.some((e) => e.decky === b.name && e.service === 'ssh'), {
      what: 'ssh event of pool-b',
    });
  });

  it('stops one decky without touching its neighbour, and the process exits with the last one', async () => {
    rt = make(16);
    const a = decky('pool-c', '127.92.0.12');
    const b = decky('pool-d', '127.92.0.13');
    await rt.up(a);
    await rt.up(b);
    const pid = rt.hostPid(a.name)!;
    await rt.down(a.name);
    expect(Object.keys(rt.status())).toEqual([b.name]);
    expect(rt.hostPid(b.name)).toBe(pid);
    expect(await sshBanner(b.ip)).toMatch(/^SSH-2\.0-/);
    const refused = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '5',
      `http://${a.ip}/`,
    ]);
    expect(refused.stdout).toBe('000');
    await rt.down(b.name);
    await eventually(() => !isAlive(pid), { what: 'the emptied host process exits' });
  });

  it('gives each decky its own process with one decky per process', async () => {
    rt = make(1);
    const a = decky('pool-e', '127.92.0.14');
    const b = decky('pool-f', '127.92.0.15');
    await Promise.all([rt.up(a), rt.up(b)]);
    expect(rt.hostPid(a.name)).not.toBe(rt.hostPid(b.name));
  });

  it('rejects a decky whose port is taken and leaves its neighbours running', async () => {
    rt = make(16);
    const a = decky('pool-g', '127.92.0.16');
    await rt.up(a);
    // Same address as pool-g: both of its ports are taken.
    await expect(rt.up({ ...decky('pool-h', a.ip) })).rejects.toThrow(/could not start: .*in use/);
    expect(Object.keys(rt.status())).toEqual([a.name]);
    expect(rt.status()[a.name]?.running).toBe(true);
    expect(await sshBanner(a.ip)).toMatch(/^SSH-2\.0-/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
