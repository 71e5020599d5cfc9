import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DeckyConfig } from '../../shared/domain/decky';
import { writeFileAtomic } from '../../shared/node/atomic-file';
import { AppError, describeZodError } from '../../shared/errors';
import { createSerial } from '../../shared/node/serial';

export const STATE_FILE = 'state.json';

export const AgentState = z.strictObject({
  schemaVersion: z.literal(1),
  deckies: z.array(DeckyConfig),
});
export type AgentState = z.output<typeof AgentState>;

export const emptyState = (): AgentState => ({ schemaVersion: 1, deckies: [] });

/**
 * The worker's record of the deckies the master asked for. Every write is atomic (temp file,
 * fsync, rename), so a kill -9 at any instant leaves the old or the new state, never a torn file;
 * read-modify-write cycles are serialised so concurrent tasks never lose each other's change.
 */
export type StateStore = Readonly<{
  /** The current state; null when nothing was ever deployed (no file). */
  load: () => Promise<AgentState | null>;
  /** Applies `fn` to the current state (or an empty one) and saves the result atomically. */
  update: (fn: (state: AgentState) => AgentState) => Promise<AgentState>;
  path: string;
}>;

export function createStateStore(stateDir: string): StateStore {
  const path = join(stateDir, STATE_FILE);
  const serial = createSerial();
  return {
    path,
    load: () => serial(() => readState(path)),
    update: (fn) =>
      serial(async () => {
        const next = AgentState.parse(fn((await readState(path)) ?? emptyState()));
        await writeFileAtomic(path, JSON.stringify(next, null, 2) + '\n');
        return next;
      }),
  };
}

/** Reads state.json: null when absent; a clear AppError when it is unreadable or not a valid state. */
export async function readState(path: string): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('INTERNAL', `cannot read the agent state ${path}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError(
      'INTERNAL',
      `the agent state ${path} is corrupt (not JSON); move it away and redeploy from the master`,
    );
  }
  const parsed = AgentState.safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'INTERNAL',
      `the agent state ${path} is invalid (${describeZodError(parsed.error)}); move it away and redeploy from the master`,
    );
  }
  return parsed.data;
}
