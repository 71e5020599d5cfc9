import { AppError, codeForStatus, type ErrorShape, errorShapeOf, type Result } from '../../../shared/errors';
import type {
  Command,
  CommandInput,
  CommandOutput,
  DecnetBridge,
  EventName,
  EventPayload,
} from '../../../shared/ipc/types';
import { ipcEvents } from '../../../shared/ipc/contract';
import { openEventStream } from './event-stream';

/**
 * The renderer's only way to the master. In Electron the preload provides `window.decnet`; in a
 * browser (headless `decnet-master serve`) the same shape is built on the console API: RPC over
 * HTTP with a bearer token, pushes over server-sent events. Nothing else in renderer/ knows which.
 */

const TOKEN_KEY = 'decnet.token';
const API = '/api/v1';
const RECONNECT_MS = 3000;

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: behave as logged out rather than crash
  }
}

function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* ignore: the session simply will not survive a reload */
  }
  authListeners.forEach((l) => l());
}

function errorShapeFrom(body: unknown, status: number): ErrorShape {
  return errorShapeOf(body) ?? { code: codeForStatus(status), message: `The console API answered HTTP ${status}.` };
}

async function postJson(path: string, body: unknown, token: string | null): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${API}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed };
}

type AnyListener = (payload: unknown) => void;

function createHttpBridge(): DecnetBridge {
  const listeners = new Map<EventName, Set<AnyListener>>();
  const names = new Set<string>(Object.keys(ipcEvents));
  let closeStream: (() => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const closeSource = (): void => {
    closeStream?.();
    closeStream = null;
    if (retry) clearTimeout(retry);
    retry = null;
  };

  // One stream for every subscriber; it follows the token (opened on login, closed on logout).
  const openSource = (): void => {
    closeSource();
    const token = readToken();
    if (!token || listeners.size === 0) return;
    const close = openEventStream({
      url: `${API}/events`,
      token,
      onEvent: (name, data) => {
        if (!names.has(name)) return;
        let payload: unknown;
        try {
          payload = JSON.parse(data);
        } catch {
          return;
        }
        listeners.get(name as EventName)?.forEach((l) => l(payload));
      },
      onEnd: ({ status }) => {
        if (closeStream !== close) return;
        closeStream = null;
        // 401: the session expired or was logged out elsewhere; back to the login screen.
        if (status === 401) return writeToken(null);
        retry = setTimeout(openSource, RECONNECT_MS);
      },
    });
    closeStream = close;
  };
  authListeners.add(openSource);

  return {
    async invoke<C extends Command>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
      try {
        const { status, body } = await postJson(`/rpc/${command}`, input, readToken());
        if (status === 401) writeToken(null); // back to the login screen
        const envelope = body as Result<CommandOutput<C>> | null;
        if (envelope && typeof envelope === 'object' && 'ok' in envelope) return envelope;
        return { ok: false, error: errorShapeFrom(body, status) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { ok: false, error: { code: 'INTERNAL', message: `Cannot reach the console API (${message}).` } };
      }
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      const set = listeners.get(event) ?? new Set<AnyListener>();
      listeners.set(event, set);
      set.add(listener as AnyListener);
      if (!closeStream) openSource();
      return () => {
        set.delete(listener as AnyListener);
        if (set.size === 0) listeners.delete(event);
        if (listeners.size === 0) closeSource();
      };
    },
  };
}

/** Set by the Electron preload (contextBridge); absent in a plain browser. */
function preloadBridge(): DecnetBridge | undefined {
  return typeof window === 'undefined' ? undefined : (window as Window & { decnet?: DecnetBridge }).decnet;
}

let active: DecnetBridge | null = null;
let browserMode = false;

/** The bridge in use; `window.decnet` wins when the preload installed it. */
export function getBridge(): DecnetBridge {
  if (!active) {
    const preload = preloadBridge();
    browserMode = !preload;
    active = preload ?? createHttpBridge();
  }
  return active;
}

/** Tests install a fake bridge before rendering. */
export function setBridge(bridge: DecnetBridge): void {
  active = bridge;
  browserMode = false;
}

/** Calls a contract command and returns its value; a failed Result is thrown as an AppError. */
export async function call<C extends Command>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>> {
  const result = await getBridge().invoke(command, input);
  if (result.ok) return result.value;
  throw AppError.fromShape(result.error);
}

/** True when the analyst has to log in first (browser without a token). */
export function needsLogin(): boolean {
  getBridge();
  return browserMode && readToken() === null;
}

export function subscribeAuth(listener: AuthListener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

/** Browser mode: exchanges an account's password for a session token. Throws AppError on refusal. */
export async function login(password: string, username = 'admin'): Promise<void> {
  let res: { status: number; body: unknown };
  try {
    res = await postJson('/auth/login', { username, password }, null);
  } catch (err) {
    throw new AppError(
      'INTERNAL',
      `Cannot reach the console API (${err instanceof Error ? err.message : String(err)}).`,
    );
  }
  const body = res.body as { token?: unknown; value?: { token?: unknown } } | null;
  const token = body?.token ?? body?.value?.token;
  if (res.status >= 200 && res.status < 300 && typeof token === 'string') {
    writeToken(token);
    return;
  }
  const shape = errorShapeFrom(res.body, res.status);
  throw AppError.fromShape(res.status === 401 ? { code: 'UNAUTHENTICATED', message: 'Wrong password.' } : shape);
}

/** Revokes the session on the master (best effort: the token is forgotten here either way). */
export function logout(): void {
  const token = readToken();
  writeToken(null);
  if (token) void postJson('/auth/logout', {}, token).catch(() => undefined);
}

/** Whether a Log out action makes sense (browser mode only). */
export function isBrowserMode(): boolean {
  getBridge();
  return browserMode;
}
