import { afterEach, describe, expect, it } from 'vitest';
import { createMaster, loadConfig } from '../../../main/core/master';
import { ipcCommands } from '../../../shared/ipc/contract';
import { silentLogger } from '../../../shared/node/logger';
import { makeTmpDir } from '../../helpers/tmp-dir';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => cleanup?.());

describe('master command handlers', () => {
  it('implements every contract command exactly once, and nothing else', async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    const master = await createMaster(
      { ...loadConfig({}, { dataDir: tmp.dir, localAgent: false }), consoleApi: false },
      { log: silentLogger },
    );
    const names = Object.keys(master.handlers).sort();
    expect(names).toEqual(Object.keys(ipcCommands).sort());
    for (const name of names) expect(typeof master.handlers[name as keyof typeof master.handlers]).toBe('function');
  });
});
