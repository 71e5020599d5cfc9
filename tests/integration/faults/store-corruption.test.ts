import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort } from '../master/harness';
import { masterCli, spawnMaster, type MasterProcess } from './master-process';

// A damaged master.json must stop `decnet-master serve` with one line naming the file and the copy
// to restore — never start an empty console (hosts gone, the local agent re-enrolled under a new
// uuid). `store check` reports it, `store restore` brings back the last good copy.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const damages: Array<[string, string, RegExp]> = [
  ['truncated', '{"schemaVersion":1,"hosts":[{"uuid":"', /not valid JSON/],
  ['{}', '{}', /neither schemaVersion nor hosts/],
  ['null', 'null', /the document is null/],
  ['wrong schema', '{"schemaVersion":1}', /wrong schema: hosts/],
];

describe('a store that never silently starts empty', () => {
  it('refuses each damaged store with the message; store restore brings back the last good copy', async () => {
    const tmp = await makeTmpDir('decnet-fault-store-');
    cleanups.push(tmp.remove);
    const dataDir = join(tmp.dir, 'data');
    const [swarmPort, agentPort] = [await freePort(), await freePort()];
    const serve = () => {
      const p = spawnMaster({ dataDir, swarmPort, agentPort });
      cleanups.push(() => p.kill('SIGKILL'));
      return p;
    };
    let m: MasterProcess = serve();
    const uuid = (await m.waitFor(/local agent: host ([0-9a-f-]{36})/))[1]!;
    expect(await m.kill('SIGTERM')).toBe(0);
    const path = join(dataDir, 'master.json');
    expect((await masterCli(['store', 'check', '--data', dataDir])).code).toBe(0);

    for (const [what, text, reason] of damages) {
      await writeFile(path, text);
      m = serve();
      expect(await m.exited, what).toBe(1);
      const lines = m.output().trim().split('\n');
      const refusal = lines.find((l) => l.startsWith('decnet-master: refusing to open the store'));
      expect(refusal, `${what}: ${m.output()}`).toBeDefined();
      expect(refusal).toMatch(reason);
      expect(refusal).toContain(`${path}.bak`);
      expect(refusal).toContain(`decnet-master store restore --data ${dataDir}`);
      expect(await readFile(path, 'utf8')).toBe(text); // nothing was changed
      const check = await masterCli(['store', 'check', '--data', dataDir]);
      expect(check.code, what).toBe(2);
      expect(check.stdout).toContain(`${path}: UNUSABLE`);
      expect(check.stdout).toMatch(new RegExp(`${path}\\.bak: ok`));
      const restore = await masterCli(['store', 'restore', '--data', dataDir]);
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout).toMatch(/restored .* \(the refused file is kept as .*master\.json\.refused-/);
    }

    // The restored store still knows the local agent: same uuid, not a fresh enrollment.
    m = serve();
    expect((await m.waitFor(/local agent: host ([0-9a-f-]{36})/))[1]).toBe(uuid);
    expect(await m.kill('SIGTERM')).toBe(0);
  });
});
