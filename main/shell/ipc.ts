import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { AppError, fail } from '../../shared/errors';
import { ipcCommands, ipcEvents } from '../../shared/ipc/contract';
import type { Command, CommandHandlers, EventName, EventPayload } from '../../shared/ipc/types';
import { type CommandAudit, type CommandLog, invokeCommand } from '../core/master';

export type IpcLog = CommandLog;

/** The subset of ipcMain the loop needs, so the loop can be exercised without Electron. */
export type IpcRegistrar = Pick<IpcMain, 'handle' | 'removeHandler'>;

/**
 * Registers one handler per contract command from a single loop: checks the sender frame, then
 * hands the call to `invokeCommand` (the console API's dispatcher too), which always resolves.
 * Electron keeps only `message` from a rejection (electron#24427), so the loop never rejects.
 * Returns a disposer.
 */
export function registerIpc(opts: {
  ipcMain: IpcRegistrar;
  handlers: CommandHandlers;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  log: IpcLog;
  /** The desktop user's state-changing commands go to the audit trail as actor `desktop`. */
  audit?: CommandAudit;
}): () => void {
  const commands = Object.keys(ipcCommands) as Command[];
  for (const command of commands) {
    opts.ipcMain.handle(command, (event, raw: unknown) =>
      opts.isTrustedSender(event)
        ? invokeCommand(opts.handlers, command, raw, opts.log, opts.audit)
        : Promise.resolve(fail(new AppError('FORBIDDEN', 'IPC call from an untrusted frame'))),
    );
  }
  return () => commands.forEach((c) => opts.ipcMain.removeHandler(c));
}

/** Sends a contract event to a window after checking its payload against the contract. */
export function sendEvent<E extends EventName>(
  target: Pick<WebContents, 'send' | 'isDestroyed'>,
  event: E,
  payload: EventPayload<E>,
): void {
  if (target.isDestroyed()) return;
  const parsed = ipcEvents[event].safeParse(payload);
  if (parsed.success) target.send(event, parsed.data);
}
