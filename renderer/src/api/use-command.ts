import { type UseQueryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AppError } from '../../../shared/errors';
import type { Command, CommandInput, CommandOutput } from '../../../shared/ipc/types';
import { call } from './bridge';

/** Query key convention: `[commandName, input]`, so an invalidation by name hits every input. */
export function commandKey<C extends Command>(command: C, input: CommandInput<C>): readonly [C, CommandInput<C>] {
  return [command, input] as const;
}

type QueryOptions<C extends Command> = Omit<
  UseQueryOptions<CommandOutput<C>, AppError, CommandOutput<C>, readonly [C, CommandInput<C>]>,
  'queryKey' | 'queryFn'
>;

/** Reads master data through a contract command. */
export function useCommand<C extends Command>(command: C, input: CommandInput<C>, options?: QueryOptions<C>) {
  return useQuery<CommandOutput<C>, AppError, CommandOutput<C>, readonly [C, CommandInput<C>]>({
    queryKey: commandKey(command, input),
    queryFn: () => call(command, input),
    ...options,
  });
}

/**
 * Runs a command that changes something. `invalidates` names the lists to refresh at once; the
 * pushed events would refresh them too, but a little later.
 */
export function useCommandMutation<C extends Command>(command: C, invalidates: readonly Command[] = []) {
  const qc = useQueryClient();
  return useMutation<CommandOutput<C>, AppError, CommandInput<C>>({
    mutationFn: (input) => call(command, input),
    onSuccess: () => {
      for (const name of invalidates) void qc.invalidateQueries({ queryKey: [name] });
    },
  });
}
