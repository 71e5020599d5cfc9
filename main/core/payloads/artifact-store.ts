import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ARTIFACT_MAX_BYTES,
  ArtifactView,
  type ArtifactSighting,
  type ArtifactUpload,
} from '../../../shared/domain/artifact';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import type { Logger } from '../../../shared/node/logger';
import { createSerial } from '../../../shared/node/serial';

/** The fileType of session recordings: stored like payloads, listed only by their recording events. */
export const RECORDING_TYPE = 'asciicast';

/** Sightings kept per artifact (the newest; the events keep every one). */
export const MAX_SIGHTINGS = 50;

export type ArtifactStore = Readonly<{
  /** Stores a worker's upload once per hash (a known hash only adds the sighting). */
  put: (upload: ArtifactUpload) => Promise<{ stored: boolean }>;
  /** Payloads only (recordings are reached through their events). */
  list: (opts?: { sessions?: readonly string[]; limit?: number }) => ArtifactView[];
  get: (sha256: string) => ArtifactView | undefined;
  read: (sha256: string) => Promise<Buffer>;
}>;

/**
 * Captured payloads on the master: `<dataDir>/artifacts/<sha256>.bin` (0600, never executable)
 * with `<sha256>.json` beside it (size, type, first/last seen, sightings). The content is checked
 * against its hash before anything is written, so a worker cannot file bytes under another name.
 */
export async function openArtifactStore(opts: { dir: string; log: Logger }): Promise<ArtifactStore> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const index = new Map<string, ArtifactView>();
  for (const name of await readdir(opts.dir)) {
    if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
    try {
      const view = ArtifactView.parse(JSON.parse(await readFile(join(opts.dir, name), 'utf8')));
      index.set(view.sha256, view);
    } catch (err) {
      opts.log.warn('skipping an unreadable artifact record', { name, err: (err as Error).message });
    }
  }
  const serial = createSerial();
  const writeMeta = (v: ArtifactView) => writeFileAtomic(join(opts.dir, `${v.sha256}.json`), JSON.stringify(v), 0o600);
  const merge = (list: readonly ArtifactSighting[], s: ArtifactSighting): ArtifactSighting[] => [
    s,
    ...list.filter((o) => !(o.decky === s.decky && o.session === s.session && o.path === s.path)),
  ];

  return {
    put: (upload) =>
      serial(async () => {
        const content = Buffer.from(upload.contentBase64, 'base64');
        if (content.length > ARTIFACT_MAX_BYTES)
          throw new AppError('INVALID_INPUT', `artifact is ${content.length} bytes (at most ${ARTIFACT_MAX_BYTES})`);
        const actual = createHash('sha256').update(content).digest('hex');
        if (actual !== upload.sha256)
          throw new AppError('INVALID_INPUT', `artifact content hashes to ${actual}, not ${upload.sha256}`);
        const known = index.get(upload.sha256);
        const ts = upload.sighting.ts;
        if (known) {
          const next: ArtifactView = {
            ...known,
            lastSeen: ts > known.lastSeen ? ts : known.lastSeen,
            sightings: merge(known.sightings, upload.sighting).slice(0, MAX_SIGHTINGS),
          };
          await writeMeta(next);
          index.set(next.sha256, next);
          return { stored: false };
        }
        await writeFileAtomic(join(opts.dir, `${upload.sha256}.bin`), content, 0o600);
        const view: ArtifactView = {
          sha256: upload.sha256,
          size: content.length,
          fileType: upload.fileType,
          firstSeen: ts,
          lastSeen: ts,
          sightings: [upload.sighting],
        };
        await writeMeta(view);
        index.set(view.sha256, view);
        return { stored: true };
      }),
    list: (q = {}) => {
      const sessions = q.sessions ? new Set(q.sessions) : null;
      return [...index.values()]
        .filter((v) => v.fileType !== RECORDING_TYPE)
        .filter((v) => !sessions || v.sightings.some((s) => sessions.has(s.session)))
        .sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0))
        .slice(0, q.limit ?? 200);
    },
    get: (sha256) => index.get(sha256),
    read: async (sha256) => {
      if (!index.has(sha256)) throw new AppError('NOT_FOUND', `no artifact ${sha256}`);
      return readFile(join(opts.dir, `${sha256}.bin`));
    },
  };
}
