import { createHash } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../../shared/node/atomic-file';
import { createSerial } from '../../../../shared/node/serial';
import { fileTypeOf, type FileType } from './magic';

/**
 * Bounds of a decky's quarantine. A file past `maxFileBytes` is hashed and reported but not kept;
 * once `maxTotalBytes` or `maxFiles` is reached new files are reported, not kept, so an attacker
 * uploading in a loop cannot fill the worker's disk.
 */
export const quarantineLimits = {
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxFiles: 1_000,
} as const;

export type QuarantineLimits = { readonly [K in keyof typeof quarantineLimits]: number };

export type StoredFile = Readonly<{
  sha256: string;
  size: number;
  fileType: FileType;
  /** `new`: written now; `known`: the same bytes were kept before; else why it was not kept. */
  stored: 'new' | 'known' | 'too-large' | 'quarantine-full' | 'write-failed';
}>;

export type Quarantine = Readonly<{
  dir: string;
  put: (content: Uint8Array) => Promise<StoredFile>;
  /** Path of a kept file (the agent's uploader reads it from there). */
  pathOf: (sha256: string) => string;
  usedBytes: () => number;
}>;

export const SHA256_RE = /^[0-9a-f]{64}$/;

export function sha256Of(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The decky's quarantine directory: `<dataDir>/quarantine`. */
export function quarantineDir(deckyDataDir: string): string {
  return join(deckyDataDir, 'quarantine');
}

/**
 * Session recordings are kept apart (`<dataDir>/recordings`, same rules, own caps): every bot
 * login makes one, and they must not use up the room payloads need.
 */
export function recordingsDir(deckyDataDir: string): string {
  return join(deckyDataDir, 'recordings');
}

export const recordingLimits: QuarantineLimits = {
  maxFileBytes: 2 * 1024 * 1024,
  maxTotalBytes: 128 * 1024 * 1024,
  maxFiles: 5_000,
};

/**
 * Captured payloads, one file per SHA-256 named by it, mode 0600 in a 0700 directory: never
 * executable and only readable by the worker's own user. Nothing here is ever run or parsed
 * beyond its first bytes.
 */
export async function openQuarantine(dir: string, limits: QuarantineLimits = quarantineLimits): Promise<Quarantine> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const known = new Set<string>();
  let used = 0;
  for (const name of await readdir(dir)) {
    if (!SHA256_RE.test(name)) continue;
    known.add(name);
    used += (await stat(join(dir, name))).size;
  }
  const serial = createSerial();
  return {
    dir,
    pathOf: (sha) => join(dir, sha),
    usedBytes: () => used,
    put: (content) =>
      serial(async (): Promise<StoredFile> => {
        const base = { sha256: sha256Of(content), size: content.length, fileType: fileTypeOf(content) };
        if (known.has(base.sha256)) return { ...base, stored: 'known' };
        if (content.length > limits.maxFileBytes) return { ...base, stored: 'too-large' };
        if (used + content.length > limits.maxTotalBytes || known.size >= limits.maxFiles)
          return { ...base, stored: 'quarantine-full' };
        try {
          await writeFileAtomic(join(dir, base.sha256), content, 0o600);
        } catch {
          return { ...base, stored: 'write-failed' };
        }
        known.add(base.sha256);
        used += content.length;
        return { ...base, stored: 'new' };
      }),
  };
}
