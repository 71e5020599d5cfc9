import { z } from 'zod';
import { route } from './route';

export const UPDATER_DEFAULT_PORT = 8766;
/** Largest release tarball the updater accepts (the real one is well under 1 MiB). */
export const RELEASE_MAX_BYTES = 32 * 1024 * 1024;
/** The push body carries the tarball as base64 (4/3 of it) plus a few hundred bytes of metadata. */
export const UPDATER_BODY_LIMIT = Math.ceil((RELEASE_MAX_BYTES * 4) / 3) + 64 * 1024;
/**
 * Domain separation for the CA's endorsement of a release key: the CA signs this prefix followed by
 * the key's SPKI DER, so no other CA signature (a certificate, a CSR) can pass for an endorsement.
 */
export const RELEASE_KEY_CONTEXT = 'decnet-release-key-v1\n';

export const ReleaseVersion = z
  .string()
  .regex(
    /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/,
    'a release version is 1–64 of [0-9A-Za-z.+_-], not starting with . or -',
  );

export const jobStates = ['running', 'watching', 'succeeded', 'failed', 'rolled_back'] as const;
export const terminalJobStates = ['succeeded', 'failed', 'rolled_back'] as const;

export const UpdateJob = z.strictObject({
  id: z.string(),
  /** update-self: toVersion/fromVersion are the updater's own releases, the agent is left running. */
  kind: z.enum(['update', 'rollback', 'update-self']),
  /** running: unpacked, switching and waiting for health; watching: healthy, crash-loop watch on. */
  state: z.enum(jobStates),
  fromVersion: z.string().nullable(),
  toVersion: z.string(),
  startedAt: z.iso.datetime(),
  /** The health deadline while running, the end of the crash-loop watch while watching. */
  deadline: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  reason: z.string().nullable(),
});
export type UpdateJob = z.infer<typeof UpdateJob>;

// A linear character-class check: zod's base64 pattern on a 40 MB string costs far more.
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

export const PushUpdateRequest = z.strictObject({
  tarballBase64: Base64.max(UPDATER_BODY_LIMIT),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  signatureBase64: Base64.max(1024),
  /** The release public key (SPKI PEM) and the CA's endorsement of it (base64). */
  releaseKeyPem: z.string().max(4096),
  endorsementBase64: Base64.max(1024),
});
export type PushUpdateRequest = z.infer<typeof PushUpdateRequest>;

const Empty = z.strictObject({});

/** The updater daemon's HTTPS API on each worker (mTLS, master role only). */
export const updaterApi = {
  health: route({
    method: 'GET',
    path: '/health',
    input: Empty,
    output: z.strictObject({
      status: z.literal('ok'),
      version: z.string(),
      current: z.string().nullable(),
      previous: z.string().nullable(),
      job: UpdateJob.nullable(),
    }),
  }),
  releases: route({
    method: 'GET',
    path: '/releases',
    input: Empty,
    output: z.strictObject({
      releases: z.array(z.strictObject({ version: z.string(), current: z.boolean(), previous: z.boolean() })),
    }),
  }),
  update: route({
    method: 'POST',
    path: '/update',
    input: PushUpdateRequest,
    output: z.strictObject({ job: UpdateJob }),
    status: 202,
    timeoutMs: 120_000,
  }),
  /**
   * The same verified release, installed for the updater itself: it restarts into it (through its
   * launcher) while the agent keeps running; the job is followed with `job` across the restart.
   */
  updateSelf: route({
    method: 'POST',
    path: '/update-self',
    input: PushUpdateRequest,
    output: z.strictObject({ job: UpdateJob }),
    status: 202,
    timeoutMs: 120_000,
  }),
  rollback: route({
    method: 'POST',
    path: '/rollback',
    input: Empty,
    output: z.strictObject({ job: UpdateJob }),
    status: 202,
  }),
  job: route({
    method: 'POST',
    path: '/job',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: z.strictObject({ job: UpdateJob }),
  }),
} as const;

export type UpdaterApi = typeof updaterApi;
