import { errors as undiciErrors, request, type Dispatcher } from 'undici';
import { AppError, codeForStatus, errorShapeOf } from '../errors';
import type { Route, RouteInput, RouteOutput, RouteTable } from '../protocol/route';

export type RouteClient<T extends RouteTable> = {
  [K in keyof T]: (input: RouteInput<T[K]>, opts?: { timeoutMs?: number }) => Promise<RouteOutput<T[K]>>;
};

export type RouteClientOptions = Readonly<{
  origin: string;
  dispatcher: Dispatcher;
  /** Names the peer in error messages, e.g. `worker-2 (10.0.0.5:8765)`. */
  peer?: string;
}>;

/**
 * Typed client for a route table over undici. Non-2xx answers become the AppError the server sent;
 * transport failures become AGENT_UNREACHABLE or TIMEOUT, never raw undici errors. An AppError
 * raised inside the TLS handshake (the fingerprint pin) passes through unchanged.
 */
export function createRouteClient<T extends RouteTable>(table: T, opts: RouteClientOptions): RouteClient<T> {
  const client = {} as Record<string, (input: unknown, o?: { timeoutMs?: number }) => Promise<unknown>>;
  for (const [name, r] of Object.entries(table)) {
    client[name] = (input, o) => call(r, input, o?.timeoutMs ?? r.timeoutMs, opts);
  }
  return client as RouteClient<T>;
}

async function call(r: Route, input: unknown, timeoutMs: number, opts: RouteClientOptions): Promise<unknown> {
  const peer = opts.peer ?? opts.origin;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(new URL(r.path, opts.origin), {
      method: r.method,
      dispatcher: opts.dispatcher,
      headers: r.method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: r.method === 'POST' ? JSON.stringify(input ?? {}) : null,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    throw transportError(err, peer, timeoutMs);
  }
  let body: unknown;
  try {
    const text = await res.body.text();
    body = text ? (JSON.parse(text) as unknown) : null;
  } catch (err) {
    if (res.statusCode >= 200 && res.statusCode < 300) throw transportError(err, peer, timeoutMs);
    body = null;
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw errorFromBody(body, res.statusCode, peer);
  const parsed = r.output.safeParse(body);
  if (!parsed.success) throw new AppError('INTERNAL', `${peer} answered ${r.path} with an unexpected body`);
  return parsed.data;
}

function errorFromBody(body: unknown, status: number, peer: string): AppError {
  const shape = errorShapeOf(body);
  return shape ? AppError.fromShape(shape) : new AppError(codeForStatus(status), `${peer} answered HTTP ${status}`);
}

/** Maps a transport failure to the registry; an AppError anywhere in the cause chain wins. */
export function transportError(err: unknown, peer: string, timeoutMs: number): AppError {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError) return e;
  }
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new AppError('TIMEOUT', `${peer} did not answer within ${Math.round(timeoutMs / 1000)} s`, undefined, {
      cause: err,
    });
  }
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? 'ERROR';
  return new AppError('AGENT_UNREACHABLE', `${peer} is unreachable (${code})`, undefined, { cause: err });
}
