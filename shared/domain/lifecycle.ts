import { z } from 'zod';
import { DeckyName, HostUuid } from './decky';

export const lifecycleOperations = ['deploy', 'mutate', 'teardown'] as const;
export const LifecycleOperation = z.enum(lifecycleOperations);
export type LifecycleOperation = z.output<typeof LifecycleOperation>;

/** Who asked for the operation (the original's `decky_mutated` trigger tags). */
export const lifecycleTriggers = ['operator', 'scheduled', 'creation', 'retirement'] as const;
export const LifecycleTrigger = z.enum(lifecycleTriggers);
export type LifecycleTrigger = z.output<typeof LifecycleTrigger>;

export const lifecycleStatuses = ['pending', 'running', 'succeeded', 'failed'] as const;
export const LifecycleStatus = z.enum(lifecycleStatuses);
export type LifecycleStatus = z.output<typeof LifecycleStatus>;

/** Terminal states: a sealed row never changes again; a retry is a new row. */
export const terminalStatuses: ReadonlySet<LifecycleStatus> = new Set(['succeeded', 'failed']);

export const LifecycleId = z.uuid();
export const IsoTime = z.iso.datetime({ offset: true });

/** One deploy/mutate/teardown of one decky, as the master tracks it. */
export const LifecycleRow = z.strictObject({
  id: LifecycleId,
  deckyName: DeckyName,
  hostUuid: HostUuid.nullable(),
  operation: LifecycleOperation,
  /** Absent on rows written before triggers were recorded. */
  trigger: LifecycleTrigger.optional(),
  status: LifecycleStatus,
  error: z.string().max(2000).nullable(),
  startedAt: IsoTime,
  updatedAt: IsoTime,
  completedAt: IsoTime.nullable(),
});
export type LifecycleRow = z.output<typeof LifecycleRow>;

export const MAX_DELTA_ERROR = 2000;

/** The agent's report that one background task ended for one decky. */
export const LifecycleDelta = z.strictObject({
  deltaId: z.uuid(),
  lifecycleId: LifecycleId.optional(),
  deckyName: DeckyName,
  operation: LifecycleOperation,
  status: z.enum(['succeeded', 'failed']),
  error: z.string().max(MAX_DELTA_ERROR).optional(),
  completedAt: IsoTime,
});
export type LifecycleDelta = z.output<typeof LifecycleDelta>;
