import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openArtifactStore } from '../../../../main/core/payloads/artifact-store';
import { zipArtifact } from '../../../../main/core/payloads/artifact-zip';
import { silentLogger } from '../../../../shared/node/logger';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const body = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]);
const sha = createHash('sha256').update(body).digest('hex');
const sighting = (session: string, ts: string) => ({
  decky: 'd1',
  ts,
  src: '203.0.113.5',
  session,
  channel: 'sftp',
  source: 'sftp:/tmp/b',
  path: '/tmp/b',
});
const upload = (session: string, ts: string) => ({
  sha256: sha,
  fileType: 'elf',
  sighting: sighting(session, ts),
  contentBase64: body.toString('base64'),
});

describe('artifact store', () => {
  it('stores once per hash (0600), adds sightings, survives a reopen, refuses content that does not hash', async () => {
    const tmp = await makeTmpDir('decnet-artifact-store-');
    try {
      const s = await openArtifactStore({ dir: tmp.dir, log: silentLogger });
      expect(await s.put(upload('s1', '2026-12-04T04:00:00.000Z'))).toEqual({ stored: true });
      expect(await s.put(upload('s2', '2026-12-04T05:00:00.000Z'))).toEqual({ stored: false });
      await expect(s.put({ ...upload('s3', '2026-12-04T06:00:00.000Z'), sha256: 'a'.repeat(64) })).rejects.toThrow(
        /hashes to/,
      );
      expect((await readdir(tmp.dir)).sort()).toEqual([`${sha}.bin`, `${sha}.json`]);
      expect((await stat(join(tmp.dir, `${sha}.bin`))).mode & 0o777).toBe(0o600);
      const again = await openArtifactStore({ dir: tmp.dir, log: silentLogger });
      const [view] = again.list();
      expect(view).toMatchObject({
        sha256: sha,
        size: 7,
        fileType: 'elf',
        firstSeen: '2026-12-04T04:00:00.000Z',
        lastSeen: '2026-12-04T05:00:00.000Z',
      });
      expect(view!.sightings.map((x) => x.session)).toEqual(['s2', 's1']);
      expect(again.list({ sessions: ['s1'] })).toHaveLength(1);
      expect(again.list({ sessions: ['other'] })).toHaveLength(0);
      expect(await again.read(sha)).toEqual(body);
      await expect(again.read('b'.repeat(64))).rejects.toThrow(/no artifact/);
    } finally {
      await tmp.remove();
    }
  });

  it('zips with the password infected (Info-ZIP unzip opens it, a wrong password does not)', async () => {
    const tmp = await makeTmpDir('decnet-artifact-zip-');
    try {
      const file = join(tmp.dir, 'a.zip');
      await writeFile(file, await zipArtifact(sha, body));
      const run = promisify(execFile);
      const { stdout } = await run('unzip', ['-P', 'infected', '-p', file, sha], { encoding: 'buffer' });
      expect(Buffer.compare(stdout, body)).toBe(0);
      await expect(run('unzip', ['-P', 'nope', '-p', file, sha])).rejects.toThrow();
      const listing = (await run('unzip', ['-Z', '-v', file])).stdout;
      expect(listing).toMatch(/file security status:\s+encrypted/);
    } finally {
      await tmp.remove();
    }
  });
});
