import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LifecycleDelta } from '../../../../shared/domain/lifecycle';
import { silentLogger } from '../../../../shared/node/logger';
import { OUTBOX_FILE, openOutbox } from '../../../../agent/store/outbox';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const delta = (deckyName: string): LifecycleDelta => ({
  deltaId: randomUUID(),
  deckyName,
  operation: 'deploy',
  status: 'succeeded',
  completedAt: new Date().toISOString(),
});

describe('outbox', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => void (tmp = await makeTmpDir('decnet-outbox-')));
  afterEach(() => tmp.remove());

  it('keeps every delta across a restart until the master acks it', async () => {
    const first = await openOutbox(tmp.dir, silentLogger);
    const [a, b, c] = [delta('a'), delta('b'), delta('c')];
    for (const d of [a, b, c]) await first.add(d);

    const reopened = await openOutbox(tmp.dir, silentLogger);
    expect(reopened.pending().map((d) => d.deltaId)).toEqual([a.deltaId, b.deltaId, c.deltaId]);

    expect(await reopened.ack([a.deltaId, c.deltaId, randomUUID()])).toBe(2);
    expect(reopened.pending()).toEqual([b]);
    const again = await openOutbox(tmp.dir, silentLogger);
    expect(again.pending()).toEqual([b]);
  });

  it('drops a record torn by a crash mid-append and repairs the file before the next append', async () => {
    const ob = await openOutbox(tmp.dir, silentLogger);
    const a = delta('a');
    await ob.add(a);
    await appendFile(join(tmp.dir, OUTBOX_FILE), '{"deltaId":"1234');

    const reopened = await openOutbox(tmp.dir, silentLogger);
    expect(reopened.pending()).toEqual([a]);
    const b = delta('b');
    await reopened.add(b);
    expect((await openOutbox(tmp.dir, silentLogger)).pending()).toEqual([a, b]);
  });

  it('refuses a file damaged in the middle with a clear error', async () => {
    await writeFile(join(tmp.dir, OUTBOX_FILE), `garbage\n${JSON.stringify(delta('a'))}\n`);
    await expect(openOutbox(tmp.dir, silentLogger)).rejects.toThrow(/outbox\.jsonl is corrupt at line 1/);
  });

  it('rewrites atomically on ack (no temp files left behind)', async () => {
    const ob = await openOutbox(tmp.dir, silentLogger);
    const a = delta('a');
    await ob.add(a);
    await ob.add(delta('b'));
    await ob.ack([a.deltaId]);
    const text = await readFile(join(tmp.dir, OUTBOX_FILE), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(1);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(tmp.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
