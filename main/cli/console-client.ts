import { mkdir, readFile, writeFile, chmod, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AppError, type Result } from '../../shared/errors';

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONSOLE_URL = 'http://127.0.0.1:8000';
/** Bounded like every other reader: the largest answer is the worker tarball in base64. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
const TIMEOUT_MS = 130_000;

export function tokenFilePath(env: Env): string {
  if (env['DECNET_CONSOLE_TOKEN_FILE']) return env['DECNET_CONSOLE_TOKEN_FILE'];
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'decnet', 'console-token.json');
}

const TokenFile = z.object({ console: z.string(), token: z.string().min(1), expiresAt: z.string() });

export type Connection = Readonly<{ url: string; token: string | null }>;

/** --console / DECNET_CONSOLE_URL / the login file's URL / default; token likewise. */
export async function resolveConnection(
  flags: { console?: string | undefined; token?: string | undefined },
  env: Env,
): Promise<Connection> {
  const saved = await readTokenFile(tokenFilePath(env));
  const url = (flags.console ?? env['DECNET_CONSOLE_URL'] ?? saved?.console ?? DEFAULT_CONSOLE_URL).replace(/\/+$/, '');
  const token = flags.token ?? env['DECNET_CONSOLE_TOKEN'] ?? (saved && saved.console === url ? saved.token : null);
  return { url, token };
}

async function readTokenFile(path: string): Promise<z.output<typeof TokenFile> | null> {
  try {
    const r = TokenFile.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

async function post(url: string, token: string | null, body: unknown): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new AppError(
      'AGENT_UNREACHABLE',
      `cannot reach the console at ${new URL(url).origin}: ${(err as Error).cause ? String((err as { cause: unknown }).cause) : (err as Error).message}`,
    );
  }
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > MAX_RESPONSE_BYTES)
    throw new AppError('PAYLOAD_TOO_LARGE', `console answer of ${len} bytes is over the limit`);
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) as unknown };
  } catch {
    throw new AppError('INTERNAL', `console answered HTTP ${res.status} without JSON`);
  }
}

/** One contract command over the console's HTTP RPC; resolves to the contract Result. */
export async function callConsole(conn: Connection, command: string, input: unknown): Promise<Result<unknown>> {
  const { json } = await post(`${conn.url}/api/v1/rpc/${command}`, conn.token, input);
  const r = json as Result<unknown>;
  if (typeof r !== 'object' || r === null || typeof (r as { ok?: unknown }).ok !== 'boolean')
    throw new AppError('INTERNAL', 'console answer is not a Result');
  return r;
}

/** Logs in as admin and writes the session token 0600 next to the console URL it belongs to. */
export async function login(url: string, password: string, env: Env): Promise<{ path: string; expiresAt: string }> {
  const { status, json } = await post(`${url}/api/v1/auth/login`, null, { username: 'admin', password });
  const ok = z.object({ token: z.string().min(1), expiresAt: z.string() }).safeParse(json);
  if (status !== 200 || !ok.success) {
    const msg = (json as { error?: { message?: string } }).error?.message ?? `HTTP ${status}`;
    throw new AppError('UNAUTHENTICATED', `login failed: ${msg}`);
  }
  const path = tokenFilePath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify({ console: url, ...ok.data })}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // an existing file keeps its old mode on writeFile
  return { path, expiresAt: ok.data.expiresAt };
}

/**
 * Revokes the session on the console and deletes the login file that held it. A token the console
 * no longer knows (expired, a restart) is already logged out, so only an unreachable console fails.
 */
export async function logout(conn: Connection, env: Env): Promise<{ revoked: boolean; removed: string | null }> {
  const { status } = await post(`${conn.url}/api/v1/auth/logout`, conn.token, {});
  const path = tokenFilePath(env);
  const saved = await readTokenFile(path);
  const removed = saved && saved.token === conn.token ? path : null;
  if (removed) await rm(removed, { force: true });
  return { revoked: status === 200, removed };
}
