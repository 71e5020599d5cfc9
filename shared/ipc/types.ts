import type { z } from 'zod';
import type { Result } from '../errors';
import type { ipcCommands, ipcEvents } from './contract';

export type Command = keyof typeof ipcCommands;
export type CommandInput<C extends Command> = z.input<(typeof ipcCommands)[C]['input']>;
export type CommandArgs<C extends Command> = z.output<(typeof ipcCommands)[C]['input']>;
export type CommandOutput<C extends Command> = z.output<(typeof ipcCommands)[C]['output']>;
export type EventName = keyof typeof ipcEvents;
export type EventPayload<E extends EventName> = z.output<(typeof ipcEvents)[E]>;

/** What the master must implement; a missing command is a compile error. */
export type CommandHandlers = { [C in Command]: (args: CommandArgs<C>) => Promise<CommandOutput<C>> };

/** `window.decnet` in Electron, and the HTTP bridge in a browser: the renderer sees only this. */
export type DecnetBridge = {
  invoke<C extends Command>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};
