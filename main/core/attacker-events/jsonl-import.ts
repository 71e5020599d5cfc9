import type Database from 'better-sqlite3';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttackerEvent } from '../../../shared/domain/events';
import type { Logger } from '../../../shared/node/logger';

const SEGMENT_RE = /^events-(\d{8})\.jsonl$/;
const BATCH = 5000;

/**
 * One-time import of the JSONL segments the older event log wrote into the same folder. Each
 * segment is recorded in `imported_segments` when done, and rows dedupe on (host, id), so a crash
 * mid-import simply imports that segment again at the next start. The files are left in place:
 * they stay a readable backup until the operator deletes them. Returns the events newly stored.
 */
export async function importJsonlSegments(
  o: Readonly<{ db: Database.Database; dir: string; append: (e: readonly AttackerEvent[]) => string[]; log: Logger }>,
): Promise<number> {
  const done = new Set(o.db.prepare('SELECT name FROM imported_segments').pluck().all() as string[]);
  const segments = (await readdir(o.dir)).filter((f) => SEGMENT_RE.test(f) && !done.has(f)).sort();
  const mark = o.db.prepare('INSERT OR REPLACE INTO imported_segments (name, events) VALUES (?, ?)');
  let total = 0;
  for (const name of segments) {
    const lines = (await readFile(join(o.dir, name), 'utf8')).split('\n');
    let batch: AttackerEvent[] = [];
    let stored = 0;
    let skipped = 0;
    const flush = () => {
      stored += o.append(batch).length;
      batch = [];
    };
    for (const line of lines) {
      if (!line) continue;
      const parsed = AttackerEvent.safeParse(safeJson(line));
      if (!parsed.success) {
        skipped++; // a torn last line after a crash, or a hand edit: the rest still imports
        continue;
      }
      batch.push(parsed.data);
      if (batch.length >= BATCH) flush();
    }
    flush();
    mark.run(name, stored);
    if (skipped > 0) o.log.warn('JSONL event segment: unreadable lines skipped', { segment: name, skipped });
    total += stored;
  }
  return total;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return null;
  }
}
