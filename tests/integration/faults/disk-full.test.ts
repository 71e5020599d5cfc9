import { execFile } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, STUB_HOST } from '../master/harness';

// The master's data dir on a small tmpfs this test mounts and fills: a delta whose row change is
// not on disk is never acked (the agent keeps it), write commands are refused, and everything
// completes once space returns. Real master, real agent process, real ENOSPC.
const run = promisify(execFile);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Fills the filesystem of `dir` until a write fails with ENOSPC. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const fh = await open(path, 'w');
  try {
    const { bavail, bsize } = await statfs(dir);
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let left = bavail * bsize + chunk.length; left > 0; left -= chunk.length) await fh.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
  return path;
}

const outboxHas = async (stateDir: string, lifecycleId: string) =>
  (await readFile(join(stateDir, 'outbox.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .some((l) => l.includes(lifecycleId) && l.includes('"succeeded"'));

const onDisk = async (dataDir: string, lifecycleId: string) => {
  const doc = JSON.parse(await readFile(join(dataDir, 'master.json'), 'utf8')) as {
    lifecycle: Array<{ id: string; status: string }>;
  };
  return doc.lifecycle.find((r) => r.id === lifecycleId)?.status;
};

describe('disk full on the master', () => {
  it('acks no delta that is not on disk, refuses writes with STORE_UNAVAILABLE, and completes after space returns', async () => {
    const tmp = await makeTmpDir('decnet-fault-disk-');
    cleanups.push(tmp.remove);
    const dataDir = join(tmp.dir, 'master');
    await mkdir(dataDir);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=6m,mode=0700', 'tmpfs', dataDir]);
    cleanups.push(() => run('umount', ['-l', dataDir]));
    const agentPort = await freePort();
    const gate = join(tmp.dir, 'gate');
    const ip = loopbackBlock();
    const m = await startMaster({ dataDir, agentPort });
    cleanups.push(() => m.stop());
    const a = await startAgent(m, {
      root: tmp.dir,
      name: 'full-a',
      ip: ip(1),
      agentPort,
      env: { DECNET_DECKY_HOST: STUB_HOST, DECNET_TEST_GATE: gate },
    });
    cleanups.push(() => a.kill('SIGKILL'));
    const stateDir = join(tmp.dir, 'full-a', 'state');
    const res = await m.call('deckies.deploy', { services: ['ssh'], deckies: [{ name: 'full-1', ip: ip(10) }] });
    const id = res.lifecycleIds[0]!;
    await eventually(async () => (await onDisk(dataDir, id)) === 'running', { what: 'row running on disk' });

    const filler = await fill(dataDir);
    await writeFile(gate, 'go'); // the agent now finishes the deploy and reports succeeded
    await eventually(async () => (await m.call('settings.get', {})).store.failedWrites >= 3, {
      timeoutMs: 20_000,
      what: 'several failed writes',
    });
    // The agent still holds the delta (never acked) and the disk still says running.
    expect(await outboxHas(stateDir, id)).toBe(true);
    expect(await onDisk(dataDir, id)).toBe('running');
    const health = await m.call('settings.get', {});
    expect(health.store).toMatchObject({ ok: false, lastError: expect.stringMatching(/ENOSPC/) as unknown });
    const refused = await m.call('hosts.enroll', { name: 'never-saved' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('STORE_UNAVAILABLE');
    expect((await readdir(dataDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    await rm(filler);
    await eventually(async () => (await onDisk(dataDir, id)) === 'succeeded', {
      timeoutMs: 20_000,
      what: 'row succeeded on disk',
    });
    await eventually(async () => !(await outboxHas(stateDir, id)), {
      timeoutMs: 20_000,
      what: 'delta acked and dropped',
    });
    const [row] = await settled(m, [id]);
    expect(row!.status).toBe('succeeded');
    expect((await m.call('settings.get', {})).store.ok).toBe(true);
    expect((await readdir(dataDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
