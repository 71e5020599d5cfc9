import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ipcCommands } from '../../../shared/ipc/contract';
import { AppError } from '../../../shared/errors';
import type { CommandHandlers } from '../../../shared/ipc/types';
import type { Logger } from '../../../shared/node/logger';
import { invokeCommand } from '../dispatch';

type ExportOutput = { text: string; nextCursor: string | null; maxSeq: number };

/**
 * `GET /api/v1/events/export?format=csv|ndjson&src=…&since=…`: the whole query as one download,
 * streamed page by page through the contract's `events.export` (same validation, same handler as
 * IPC) with backpressure, so neither side ever holds the whole result. Query parameters are the
 * EventFilter's fields; an unknown or bad one is INVALID_INPUT before any byte is sent.
 */
export async function streamEventExport(
  handlers: CommandHandlers,
  params: URLSearchParams,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  const input: Record<string, unknown> = { format: 'ndjson' };
  for (const [k, v] of params) input[k] = v;
  const parsed = ipcCommands['events.export'].input.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new AppError('INVALID_INPUT', `events export: ${at}${issue.message}`);
  }
  if (parsed.data.cursor !== undefined || parsed.data.maxSeq !== undefined)
    throw new AppError(
      'INVALID_INPUT',
      'events export: cursor and maxSeq are for events.export pages, not the download',
    );
  const format = parsed.data.format;
  const page = async (extra: object): Promise<ExportOutput> => {
    const r = await invokeCommand(handlers, 'events.export', { ...parsed.data, ...extra }, log);
    if (!r.ok) throw AppError.fromShape(r.error);
    return r.value as ExportOutput;
  };
  let p = await page({});
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-disposition': `attachment; filename="decnet-events-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    'cache-control': 'no-store',
  });
  let aborted = false;
  res.once('close', () => (aborted = true));
  try {
    for (;;) {
      if (p.text && !res.write(p.text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      if (aborted || p.nextCursor === null) break;
      p = await page({ cursor: p.nextCursor, maxSeq: p.maxSeq });
    }
    res.end();
  } catch (err) {
    // The status is sent already: cutting the stream is the only way left to say it failed.
    log.error('event export failed mid-stream', { err });
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}
