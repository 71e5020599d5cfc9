import { z } from 'zod';
import { DeckyName } from './decky';

/** Captured payloads (#22): a file an attacker fetched, uploaded or dropped, named by its SHA-256. */
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits');

/** Bytes of one artifact a worker may ship (the worker's quarantine keeps nothing bigger). */
export const ARTIFACT_MAX_BYTES = 4 * 1024 * 1024;

/** Where and how one decky saw the file (from its artifact event). */
export const ArtifactSighting = z.strictObject({
  decky: DeckyName,
  ts: z.iso.datetime({ offset: true }),
  src: z.string().max(64),
  session: z.string().max(128),
  channel: z.string().max(32),
  source: z.string().max(2048),
  path: z.string().max(1024),
});
export type ArtifactSighting = z.output<typeof ArtifactSighting>;

/** Worker → master: one quarantined file with the sighting that first stored it. */
export const ArtifactUpload = z.strictObject({
  sha256: Sha256,
  fileType: z.string().min(1).max(32),
  sighting: ArtifactSighting,
  contentBase64: z
    .string()
    .max(Math.ceil(ARTIFACT_MAX_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'content must be base64'),
});
export type ArtifactUpload = z.output<typeof ArtifactUpload>;

export const ArtifactView = z.strictObject({
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  fileType: z.string(),
  firstSeen: z.iso.datetime({ offset: true }),
  lastSeen: z.iso.datetime({ offset: true }),
  /** The newest sightings first (bounded). */
  sightings: z.array(ArtifactSighting),
});
export type ArtifactView = z.output<typeof ArtifactView>;

export const ArtifactListInput = z.strictObject({
  /** Only artifacts one of these sessions brought in (the attacker view's sessions). */
  sessions: z.array(z.string().max(128)).max(500).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

/** The password of every artifact zip: the malware-sharing convention. */
export const ARTIFACT_ZIP_PASSWORD = 'infected';

export const ArtifactDownload = z.strictObject({
  fileName: z.string(),
  password: z.literal(ARTIFACT_ZIP_PASSWORD),
  zipBase64: z.string(),
});
