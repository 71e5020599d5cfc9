import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError, describeZodError, toAppError } from '../errors';
import type { Route, RouteHandlers, RouteTable } from '../protocol/route';

export type RouteServerOptions<T extends RouteTable, Ctx> = Readonly<{
  table: T;
  handlers: RouteHandlers<T, Ctx>;
  /** Derives the caller's identity (from its certificate) or throws AppError FORBIDDEN/UNAUTHENTICATED. */
  authorize: (req: IncomingMessage, routeName: keyof T & string) => Ctx | Promise<Ctx>;
  bodyLimit: number;
  /** Tighter limits for some routes (enroll is unauthenticated: ~32 KB), checked before any parsing. */
  routeBodyLimits?: Partial<Record<keyof T & string, number>>;
  /** Bytes of bodies held at once over all connections (default: 4 × bodyLimit, at least 64 MiB). */
  bodyBudget?: number;
  onError?: (err: AppError, req: IncomingMessage) => void;
}>;

/**
 * A plain request listener serving a route table: bounded JSON body, zod-validated input, the
 * error registry's status and `{error:{code,message}}` body on failure. Kept apart from
 * `https.createServer()` so the TLS policy lives with the caller.
 */
export function serveRoutes<T extends RouteTable, Ctx>(opts: RouteServerOptions<T, Ctx>): RequestListener {
  const byKey = new Map<string, [string, Route]>();
  const paths = new Set<string>();
  for (const [name, r] of Object.entries(opts.table)) {
    byKey.set(`${r.method} ${r.path}`, [name, r]);
    paths.add(r.path);
  }
  const budget = createBodyBudget(opts.bodyBudget ?? Math.max(4 * opts.bodyLimit, 64 * 1024 * 1024));
  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const e = toAppError(err);
      opts.onError?.(e, req);
      sendJson(res, e.status, { error: e.toShape() });
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const found = byKey.get(`${req.method ?? 'GET'} ${path}`);
    if (!found) {
      req.resume();
      throw paths.has(path)
        ? new AppError('INVALID_INPUT', `method ${req.method ?? '?'} is not allowed on ${path}`)
        : new AppError('NOT_FOUND', `no route ${path}`);
    }
    const [name, r] = found;
    const ctx = await opts.authorize(req, name);
    const raw =
      r.method === 'GET'
        ? {}
        : await readJson(req, opts.routeBodyLimits?.[name as keyof T & string] ?? opts.bodyLimit, budget);
    const parsed = r.input.safeParse(raw);
    if (!parsed.success) throw new AppError('INVALID_INPUT', describeZodError(parsed.error));
    const handler = opts.handlers[name] as (input: unknown, ctx: Ctx) => Promise<unknown>;
    const reply = await handler(parsed.data, ctx);
    if (isStatusReply(reply)) sendJson(res, reply.status, reply.body);
    else sendJson(res, r.status, reply);
  }
}

function isStatusReply(v: unknown): v is { status: number; body: unknown } {
  return (
    typeof v === 'object' &&
    v !== null &&
    'body' in v &&
    typeof (v as { status?: unknown }).status === 'number' &&
    Object.keys(v).length === 2
  );
}

/**
 * Bytes of request bodies a listener holds at once, over all its connections. Without it the bound
 * is connections × body limit (512 × 4 MiB on the console API); with it a flood of slow bodies
 * gets 429 once the budget is spent, and memory stays at the budget.
 */
export type BodyBudget = { used: number; readonly max: number };

export function createBodyBudget(max: number): BodyBudget {
  return { used: 0, max };
}

/** Reads a JSON body of at most `limit` bytes; 413 above, 400 when it is not JSON, 429 when `budget` is spent. */
export async function readJson(req: IncomingMessage, limit: number, budget?: BodyBudget): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > limit) throw new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);
      if (budget) {
        if (budget.used + buf.length > budget.max)
          throw new AppError('RATE_LIMITED', 'too many request bodies are being received at once; retry shortly');
        budget.used += buf.length;
      }
      chunks.push(buf);
    }
  } finally {
    if (budget)
      budget.used -= Math.min(
        size,
        chunks.reduce((n, c) => n + c.length, 0),
      );
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new AppError('INVALID_INPUT', 'request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
