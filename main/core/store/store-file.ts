import { copyFile, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { describeZodError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import { migrate, type DbData } from './schema';

export const STORE_FILE = 'master.json';
/** The last good copy: the exact text of the latest successful write. */
export const backupPathOf = (path: string) => `${path}.bak`;

// The shape every collection must have before the repositories index it. Records stay loose
// (extra fields allowed) so a field added by a later schema does not need a migration to be read.
const Row = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);
const StoreDocument = z.looseObject({
  schemaVersion: z.number().int(),
  hosts: z.array(
    Row({ uuid: z.string().min(1), name: z.string().min(1), local: z.boolean(), fingerprint: z.string().nullable() }),
  ),
  deckies: z.array(
    Row({ config: Row({ name: z.string().min(1) }), placedOn: z.string().nullable(), state: z.string() }),
  ),
  lifecycle: z.array(Row({ id: z.string().min(1), status: z.string(), deckyName: z.string() })),
  topologies: z.array(Row({ hydrated: Row({ topology: Row({ id: z.string() }) }) })),
  settings: z.record(z.string(), z.unknown()),
  joinTokens: z.array(Row({ id: z.string(), expiresAt: z.string() })),
  revokedFingerprints: z.array(z.string()),
});

/** Migrates and validates a parsed document; throws a one-line reason (no path). */
export function validateStoreDocument(raw: unknown): DbData {
  const doc = migrate(raw);
  const parsed = StoreDocument.safeParse(doc);
  if (!parsed.success) throw new Error(`wrong schema: ${describeZodError(parsed.error)}`);
  return doc;
}

/** Parses the text of a store file; throws a one-line reason (no path). */
export function parseStoreText(text: string): DbData {
  if (text.trim() === '') throw new Error('the file is empty (truncated)');
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  return validateStoreDocument(raw);
}

/** The one-line refusal: which file, why, and the copy to restore. */
export async function storeRefusal(path: string, reason: string): Promise<string> {
  const bak = backupPathOf(path);
  const dataDir = dirname(path);
  const good = await readFile(bak, 'utf8').then(
    (t) => (parseStoreText(t), true),
    () => false,
  );
  const next = good
    ? `the last good copy is ${bak}; restore it with: decnet-master store restore --data ${dataDir}`
    : `no usable last good copy (${bak}); move the file aside to start empty, or restore it from a backup`;
  return `refusing to open the store ${path}: ${reason}; nothing was changed — ${next}`;
}

/** Removes temp files left by a crash in the middle of an atomic write (they are never read). */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
      .map((n) => unlink(join(dirname(path), n)).catch(() => undefined)),
  );
}

export type StoreCheck = {
  path: string;
  ok: boolean;
  message: string;
  hosts?: number;
  deckies?: number;
  lifecycle?: number;
};

async function checkFile(path: string): Promise<StoreCheck> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return {
      path,
      ok: false,
      message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message,
    };
  }
  try {
    const d = parseStoreText(text);
    return {
      path,
      ok: true,
      message: `schema ${d.schemaVersion}`,
      hosts: d.hosts.length,
      deckies: d.deckies.length,
      lifecycle: d.lifecycle.length,
    };
  } catch (err) {
    return { path, ok: false, message: (err as Error).message };
  }
}

/** `decnet-master store check`: the store and its last good copy. */
export async function checkStore(dataDir: string): Promise<{ store: StoreCheck; backup: StoreCheck }> {
  const path = join(dataDir, STORE_FILE);
  return { store: await checkFile(path), backup: await checkFile(backupPathOf(path)) };
}

/**
 * `decnet-master store restore`: replaces the store with its last good copy (validated first); the
 * refused file is kept beside it as `master.json.refused-<time>` for inspection. Only while the
 * master is stopped (the data-dir lock of the desktop/serve process is the caller's concern).
 */
export async function restoreStore(
  dataDir: string,
  now = new Date(),
): Promise<{ restored: StoreCheck; keptAs: string | null }> {
  const path = join(dataDir, STORE_FILE);
  const bak = backupPathOf(path);
  const text = await readFile(bak, 'utf8').catch((err: unknown) => {
    throw new Error(
      `no last good copy to restore: ${bak} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  });
  try {
    parseStoreText(text);
  } catch (err) {
    throw new Error(`the last good copy ${bak} is itself unusable: ${(err as Error).message}`);
  }
  let keptAs: string | null = null;
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  ) {
    keptAs = `${path}.refused-${now.toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(path, keptAs);
  }
  await writeFileAtomic(path, text, 0o600);
  return { restored: await checkFile(path), keptAs };
}
