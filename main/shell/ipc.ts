import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { AppError, describeZodError, fail, ok, type Result, toAppError } from '../../shared/errors';
import { ipcCommands, ipcEvents } from '../../shared/ipc/contract';
import type { Command, CommandHandlers, EventName, EventPayload } from '../../shared/ipc/types';

export type IpcLog = { error(msg: string, fields?: Record<string, unknown>): void };

/** The subset of ipcMain the loop needs, so the loop can be exercised without Electron. */
export type IpcRegistrar = Pick<IpcMain, 'handle' | 'removeHandler'>;

/**
 * Registers one handler per contract command from a single loop: checks the sender frame,
 * validates input with the command's schema, runs the handler and always resolves to a Result.
 * Electron keeps only `message` from a rejection (electron#24427), so the loop never rejects.
 * Returns a disposer.
 */
export function registerIpc(opts: {
  ipcMain: IpcRegistrar;
  handlers: CommandHandlers;
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  log: IpcLog;
}): () => void {
  const commands = Object.keys(ipcCommands) as Command[];
  for (const command of commands) {
    opts.ipcMain.handle(command, (event, raw: unknown) => dispatch(command, event, raw));
  }
  async function dispatch(command: Command, event: IpcMainInvokeEvent, raw: unknown): Promise<Result<unknown>> {
    if (!opts.isTrustedSender(event)) return fail(new AppError('FORBIDDEN', 'IPC call from an untrusted frame'));
    const parsed = ipcCommands[command].input.safeParse(raw ?? {});
    if (!parsed.success) return fail(new AppError('INVALID_INPUT', describeZodError(parsed.error)));
    try {
      const handler = opts.handlers[command] as (args: unknown) => Promise<unknown>;
      return ok(await handler(parsed.data));
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'INTERNAL') opts.log.error(`${command} failed`, { err: e.cause ?? e });
      return fail(e);
    }
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
