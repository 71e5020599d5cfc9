import { z } from 'zod';
import { ServiceNameSchema } from './decky';

/** One captured attacker interaction. `data` holds what was said: credentials, a request line… */
export const AttackerEvent = z.strictObject({
  id: z.string().min(1).max(64),
  ts: z.iso.datetime({ offset: true }),
  decky: z.string().min(1).max(63),
  service: ServiceNameSchema,
  src: z.string().max(64),
  kind: z.string().min(1).max(64),
  data: z.record(z.string(), z.unknown()),
  /** The uuid of the worker that uploaded it, set by the master from the client certificate (never trusted from a body). */
  host: z.uuid().optional(),
});
export type AttackerEvent = z.output<typeof AttackerEvent>;
