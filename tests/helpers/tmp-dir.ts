import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killDeckyHostsUnder } from './decky-hosts';

/**
 * A fresh temp dir and its remover; call the remover in afterEach/finally. Removing it also kills
 * any decky host an agent under it left running, so one file's deckies never hold ports (or the
 * CPU) while the next file runs.
 */
export async function makeTmpDir(prefix = 'decnet-test-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    remove: async () => {
      killDeckyHostsUnder(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
