import { appendFile, open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../shared/node/atomic-file';
import type { Logger } from '../../shared/node/logger';
import { AppError } from '../../shared/errors';
import { createSerial } from '../../shared/node/serial';

export type DurableLogOptions<T> = Readonly<{
  path: string;
  /** Parses one stored record; throws on a record that does not fit. */
  parse: (value: unknown) => T;
  idOf: (item: T) => string;
  log: Logger;
}>;

/** An append-only JSONL file with acknowledgement: the store behind the outbox and the event spool. */
export type DurableLog<T> = Readonly<{
  /** Appends and fsyncs; resolves once the items are on disk. */
  append: (items: readonly T[]) => Promise<void>;
  /** Items in append order (a snapshot). */
  list: () => readonly T[];
  /** Removes the named items with an atomic rewrite; unknown ids are ignored. */
  remove: (ids: Iterable<string>) => Promise<number>;
  size: () => number;
}>;

/**
 * Opens (or creates) the log. A record cut in half by a crash during an append is the only damage a
 * kill -9 can cause (appends are whole lines, rewrites are atomic renames), so an unparsable LAST
 * line is dropped with a warning; an unparsable line elsewhere means outside damage and is an error.
 */
export async function openDurableLog<T>(opts: DurableLogOptions<T>): Promise<DurableLog<T>> {
  const { items, torn } = await load(opts);
  // A torn tail would glue itself to the next append: rewrite the file without it first.
  if (torn) await writeFileAtomic(opts.path, items.map((i) => JSON.stringify(i) + '\n').join(''));
  // Every file operation runs on this chain so an append never interleaves with a rewrite.
  const serial = createSerial();

  return {
    append: (batch) =>
      serial(async () => {
        if (batch.length === 0) return;
        const text = batch.map((i) => JSON.stringify(i)).join('\n') + '\n';
        await appendFile(opts.path, text, { mode: 0o600 });
        await fsyncFile(opts.path);
        items.push(...batch);
      }),
    list: () => items.slice(),
    remove: (ids) =>
      serial(async () => {
        const gone = new Set(ids);
        const kept = items.filter((i) => !gone.has(opts.idOf(i)));
        const removed = items.length - kept.length;
        if (removed === 0) return 0;
        await writeFileAtomic(opts.path, kept.map((i) => JSON.stringify(i) + '\n').join(''));
        items.splice(0, items.length, ...kept);
        return removed;
      }),
    size: () => items.length,
  };
}

async function load<T>(opts: DurableLogOptions<T>): Promise<{ items: T[]; torn: boolean }> {
  let text: string;
  try {
    text = await readFile(opts.path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], torn: false };
    throw new AppError('INTERNAL', `cannot read ${opts.path}: ${(err as Error).message}`, undefined, { cause: err });
  }
  const lines = text.split('\n');
  const out: T[] = [];
  let torn = text.length > 0 && !text.endsWith('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(opts.parse(JSON.parse(line)));
    } catch (err) {
      const isTail = lines.slice(i + 1).every((l) => !l.trim());
      if (!isTail) {
        throw new AppError(
          'INTERNAL',
          `${opts.path} is corrupt at line ${i + 1}; move it away to start with an empty one`,
          undefined,
          { cause: err },
        );
      }
      torn = true;
      opts.log.warn('dropping a torn last record (interrupted append)', { path: opts.path, line: i + 1 });
    }
  });
  return { items: out, torn };
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
