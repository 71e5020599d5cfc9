import type { Command, CommandHandlers } from '../../../shared/ipc/types';
import type { Store } from './store';

/**
 * Commands that change the store. Each answers only after its change is on disk, so an analyst is
 * never told "done" for something a crash or a full disk would lose (STORE_UNAVAILABLE instead).
 */
export const writeCommands = [
  'hosts.enroll',
  'hosts.exportBundle',
  'hosts.decommission',
  'deckies.deploy',
  'deckies.mutate',
  'deckies.teardown',
  'deckies.redeploy',
  'topologies.create',
  'topologies.delete',
  'topologies.apply',
  'topologies.teardown',
] as const satisfies readonly Command[];

export function durableHandlers(handlers: CommandHandlers, store: Pick<Store, 'flush'>): CommandHandlers {
  const wrapped = { ...handlers } as Record<Command, (input: unknown) => Promise<unknown>>;
  for (const name of writeCommands) {
    const inner = handlers[name] as (input: unknown) => Promise<unknown>;
    wrapped[name] = async (input) => {
      const out = await inner(input);
      await store.flush();
      return out;
    };
  }
  return wrapped as CommandHandlers;
}
