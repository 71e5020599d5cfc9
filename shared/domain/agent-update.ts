import { z } from 'zod';
import { UpdateJob } from '../protocol/updater-api';
import { HostUuid } from './decky';

/** How the last update of a host ended, kept across console restarts. */
export const UpdateResult = z.strictObject({
  state: z.enum(['succeeded', 'failed', 'rolled_back']),
  toVersion: z.string().nullable(),
  reason: z.string().nullable(),
  finishedAt: z.iso.datetime(),
});
export type UpdateResult = z.infer<typeof UpdateResult>;

/** A host's update state in the console: its agent version, the job under way, the last result. */
export const HostUpdateView = z.strictObject({
  hostUuid: HostUuid,
  name: z.string(),
  agentVersion: z.string().nullable(),
  /** idle, or the state of the job under way (running: waiting for the new agent; watching: crash-loop watch). */
  state: z.enum(['idle', 'pushing', 'running', 'watching']),
  job: UpdateJob.nullable(),
  lastResult: UpdateResult.nullable(),
});
export type HostUpdateView = z.infer<typeof HostUpdateView>;

/** "Update all": waves of `waveSize` hosts, the next wave once the last one is healthy; stops at the first failure. */
export const Rollout = z.strictObject({
  id: z.string(),
  state: z.enum(['running', 'done', 'stopped']),
  waveSize: z.number().int(),
  release: z.string(),
  updated: z.array(HostUuid),
  pending: z.array(HostUuid),
  failed: z.strictObject({ hostUuid: HostUuid, reason: z.string() }).nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
export type Rollout = z.infer<typeof Rollout>;

export const ChosenReleaseInput = z.strictObject({
  fileName: z.string().max(255).optional(),
  tarballBase64: z.string().max(48 * 1024 * 1024),
  signatureBase64: z.string().max(1024),
});
