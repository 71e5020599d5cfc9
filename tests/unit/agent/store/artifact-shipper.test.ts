import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArtifactShipper } from '../../../../agent/payloads/artifact-shipper';
import { systemClock } from '../../../../agent/clock';
import type { ArtifactUpload } from '../../../../shared/domain/artifact';
import { AppError } from '../../../../shared/errors';
import { silentLogger } from '../../../../shared/node/logger';
import { eventually } from '../../../helpers/eventually';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const content = Buffer.from('#!/bin/sh\necho hi\n');
const sha = createHash('sha256').update(content).digest('hex');
const event = (stored: string, hash = sha) => ({
  id: `e-${Math.random()}`,
  ts: '2026-12-04T04:00:00.000Z',
  decky: 'd1',
  service: 'ssh' as const,
  src: '203.0.113.5',
  kind: 'artifact',
  data: {
    session: 's1',
    channel: 'wget',
    source: 'http://x/y.sh',
    path: '/tmp/y.sh',
    sha256: hash,
    fileType: 'shell-script',
    stored,
  },
});

describe('artifact shipper', () => {
  it('keeps an upload across a master outage and an agent restart, then ships it once', async () => {
    const tmp = await makeTmpDir('decnet-shipper-');
    try {
      const deckies = join(tmp.dir, 'deckies');
      await mkdir(join(deckies, 'd1', 'quarantine'), { recursive: true });
      await writeFile(join(deckies, 'd1', 'quarantine', sha), content);
      const down = () => Promise.reject(new AppError('AGENT_UNREACHABLE', 'master down'));
      const first = await openArtifactShipper({
        stateDir: tmp.dir,
        deckiesDir: deckies,
        upload: down,
        clock: systemClock,
        log: silentLogger,
      });
      first.start();
      first.offer(event('new'));
      first.offer(event('new')); // the same file again: queued once
      first.offer(event('known')); // not new on the worker: nothing to ship
      await first.flush();
      expect(first.pendingCount()).toBe(1);
      await first.stop();

      const got: ArtifactUpload[] = [];
      const second = await openArtifactShipper({
        stateDir: tmp.dir,
        deckiesDir: deckies,
        upload: (u) => (got.push(u), Promise.resolve({ stored: true })),
        clock: systemClock,
        log: silentLogger,
      });
      second.start();
      await eventually(() => second.pendingCount() === 0);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        sha256: sha,
        fileType: 'shell-script',
        sighting: { decky: 'd1', session: 's1', channel: 'wget' },
      });
      expect(Buffer.from(got[0]!.contentBase64, 'base64')).toEqual(content);
      await second.stop();
    } finally {
      await tmp.remove();
    }
  });

  it('drops an upload the master refuses for good, and one whose file is gone', async () => {
    const tmp = await makeTmpDir('decnet-shipper-');
    try {
      const deckies = join(tmp.dir, 'deckies');
      await mkdir(join(deckies, 'd1', 'quarantine'), { recursive: true });
      await writeFile(join(deckies, 'd1', 'quarantine', sha), content);
      let calls = 0;
      const s = await openArtifactShipper({
        stateDir: tmp.dir,
        deckiesDir: deckies,
        upload: () => (calls++, Promise.reject(new AppError('FORBIDDEN', 'not placed here'))),
        clock: systemClock,
        log: silentLogger,
      });
      s.start();
      s.offer(event('new'));
      s.offer(event('new', 'c'.repeat(64)));
      await s.flush();
      await eventually(() => s.pendingCount() === 0);
      expect(calls).toBe(1);
      await s.stop();
    } finally {
      await tmp.remove();
    }
  });
});
