import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { generateHostKey, isUsableHostKey, loadOrCreateHostKeys } from '../../../../agent/services/shell/ssh';
import { makeTmpDir } from '../../../helpers/tmp-dir';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

type Pair = { private: string; public: string };
const ed25519 = (cb: (err: Error | null, p: Pair) => void) => ssh2.utils.generateKeyPair('ed25519', cb);

describe('ssh host keys', () => {
  it(
    'every generated ed25519 key parses and signs (ssh2 draws a bad one about 1 in 230)',
    { timeout: 60_000 },
    async () => {
      // 460 generations: the raw generator (1 in ~230) yields an unparseable key in that many more often than not.
      for (let i = 0; i < 460; i++) expect(isUsableHostKey((await generateHostKey(ed25519)).private)).toBe(true);
    },
  );

  it(
    'whatever damage a stored key file has, loading yields keys an ssh2 server accepts',
    { timeout: 60_000 },
    async () => {
      const tmp = await makeTmpDir();
      cleanup = tmp.remove;
      const good = await loadOrCreateHostKeys(tmp.dir);
      const edPath = join(tmp.dir, 'ssh', 'ssh_host_ed25519_key');
      const damage = fc.oneof(
        fc.nat({ max: good[2]!.length - 1 }).map((n) => good[2]!.slice(0, n)), // truncated
        fc
          .tuple(fc.nat({ max: good[2]!.length - 1 }), fc.integer({ min: 33, max: 126 }))
          .map(([at, c]) => good[2]!.slice(0, at) + String.fromCharCode(c) + good[2]!.slice(at + 1)),
        fc.string({ maxLength: 400 }),
      );
      await fc.assert(
        fc.asyncProperty(damage, async (text) => {
          await writeFile(edPath, text);
          const keys = await loadOrCreateHostKeys(tmp.dir);
          expect(keys.every(isUsableHostKey)).toBe(true);
          expect(() => new ssh2.Server({ hostKeys: keys }, () => undefined).close()).not.toThrow();
        }),
        { numRuns: 20 },
      );
    },
  );

  it('replaces a stored key that does not parse and keeps a good one across loads', { timeout: 30_000 }, async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    const first = await loadOrCreateHostKeys(tmp.dir);
    expect(first.every(isUsableHostKey)).toBe(true);
    expect(await loadOrCreateHostKeys(tmp.dir)).toEqual(first); // stable: no tell on restart
    const edPath = join(tmp.dir, 'ssh', 'ssh_host_ed25519_key');
    await writeFile(edPath, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    const again = await loadOrCreateHostKeys(tmp.dir);
    expect(again[0]).toBe(first[0]);
    expect(again[2]).not.toBe(first[2]);
    expect(isUsableHostKey(again[2]!)).toBe(true);
    expect(await readFile(edPath, 'utf8')).toBe(again[2]);
  });
});
