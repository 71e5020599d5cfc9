import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeckyConfig } from '../../../../shared/domain/decky';
import { STATE_FILE, createStateStore, readState } from '../../../../agent/store/state';
import { makeDecky } from '../../../fixtures/decky';
import { makeTmpDir } from '../../../helpers/tmp-dir';

describe('agent state', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => void (tmp = await makeTmpDir('decnet-state-')));
  afterEach(() => tmp.remove());

  it('is null before the first deploy and round-trips afterwards', async () => {
    const store = createStateStore(tmp.dir);
    expect(await store.load()).toBeNull();
    const decky = DeckyConfig.parse(makeDecky());
    await store.update((s) => ({ ...s, deckies: [decky] }));
    expect((await createStateStore(tmp.dir).load())?.deckies).toEqual([decky]);
  });

  it('serialises concurrent read-modify-write cycles (no lost update)', async () => {
    const store = createStateStore(tmp.dir);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((s) => ({
          ...s,
          deckies: [...s.deckies, DeckyConfig.parse(makeDecky({ name: `d-${i}`, ip: `127.77.1.${i + 1}` }))],
        })),
      ),
    );
    expect((await store.load())?.deckies).toHaveLength(20);
  });

  it('reports a corrupt or invalid file with a clear message', async () => {
    const path = join(tmp.dir, STATE_FILE);
    await writeFile(path, '{"schemaVersion":1,"deck');
    await expect(readState(path)).rejects.toThrow(/state\.json is corrupt \(not JSON\); move it away/);
    await writeFile(path, '{"schemaVersion":1,"deckies":[{"name":"X"}]}');
    await expect(readState(path)).rejects.toThrow(/state\.json is invalid \(deckies\.0\.name/);
  });

  it('is never left unreadable by a kill -9 in the middle of writes', async () => {
    const script = `
      import { createStateStore } from ${JSON.stringify(new URL('../../../../agent/store/state.ts', import.meta.url).pathname)};
      const store = createStateStore(process.argv[2]);
      for (let i = 0; ; i++) {
        const deckies = Array.from({ length: 1 + (i % 40) }, (_, j) => ({ name: 'd-' + j, ip: '127.77.2.' + (j + 1), services: ['ssh', 'http'], distro: 'debian' }));
        await store.update((s) => ({ ...s, deckies }));
        if (i === 3) process.stdout.write('writing\\n');
      }`;
    const scriptPath = join(tmp.dir, 'writer.mts');
    await writeFile(scriptPath, script);
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', scriptPath, tmp.dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      // Kill at a different point in the write cycle each round.
      await new Promise((r) => setImmediate(r));
      for (let k = 0; k < round * 3; k++) await new Promise((r) => setImmediate(r));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const state = await readState(join(tmp.dir, STATE_FILE));
      expect(state?.deckies.length).toBeGreaterThan(0);
    }
  }, 60_000);
});
