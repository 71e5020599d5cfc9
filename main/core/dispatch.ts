import { AppError, describeZodError, fail, ok, quoteValue, type Result, toAppError } from '../../shared/errors';
import { commandAccess } from '../../shared/ipc/command-access';
import { ipcCommands } from '../../shared/ipc/contract';
import type { AuditRecorder } from './store/audit-log';
import type { Command, CommandHandlers } from '../../shared/ipc/types';
import type { Logger } from '../../shared/node/logger';

/** Who is calling and where their state-changing commands are recorded (the audit trail). */
export type CommandAudit = Readonly<{ actor: string; record: AuditRecorder }>;

/** What dispatch logs through: an unexpected failure always, a refusal when the log has debug. */
export type CommandLog = Pick<Logger, 'error'> & Partial<Pick<Logger, 'debug'>>;

export function isCommand(name: string): name is Command {
  return Object.hasOwn(ipcCommands, name);
}

/**
 * The one entry point for IPC (main/shell/ipc.ts) and console RPC (console-api/server.ts): validates the input against the contract, runs the
 * handler and resolves to a Result (never rejects). Unexpected errors are logged here with their
 * stack; only the message crosses the boundary.
 */
export async function invokeCommand(
  handlers: CommandHandlers,
  command: string,
  input: unknown,
  log: CommandLog,
  audit?: CommandAudit,
): Promise<Result<unknown>> {
  if (!isCommand(command)) return fail(new AppError('NOT_FOUND', `unknown command ${quoteValue(command)}`));
  const result = await run(handlers, command, input, log);
  if (audit && commandAccess[command] === 'change') {
    // On disk before the answer leaves; a trail that cannot be written is loud, not silent.
    // Called inside a promise chain: a recorder that throws must not make the dispatcher reject.
    await Promise.resolve()
      .then(() =>
        audit.record({
          actor: audit.actor,
          command,
          input: input ?? null,
          ok: result.ok,
          error: result.ok ? null : { code: result.error.code, message: result.error.message.slice(0, 500) },
        }),
      )
      .catch((err: unknown) => log.error('cannot write the audit trail', { command, err }));
  }
  return result;
}

async function run(
  handlers: CommandHandlers,
  command: Command,
  input: unknown,
  log: CommandLog,
): Promise<Result<unknown>> {
  try {
    // Only a missing body means "no arguments"; an explicit null is refused like any other non-object.
    // Inside the try: a schema's error map that throws must still resolve to a Result.
    const parsed = ipcCommands[command].input.safeParse(input === undefined ? {} : input);
    if (!parsed.success) return fail(new AppError('INVALID_INPUT', `${command}: ${describeZodError(parsed.error)}`));
    const handler = handlers[command] as (args: unknown) => Promise<unknown>;
    return ok(await handler(parsed.data));
  } catch (err) {
    const e = toAppError(err);
    if (e.code === 'INTERNAL')
      log.error(`${command} failed`, { command, err, stack: err instanceof Error ? err.stack : undefined });
    else log.debug?.('command refused', { command, code: e.code, message: e.message });
    return fail(e);
  }
}
