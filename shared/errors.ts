import type { z } from 'zod';
/**
 * The one error-code registry. Every boundary (IPC, console RPC, agent API, swarm listener)
 * speaks these codes; each code carries the HTTP status it maps to.
 */
export const errorCodes = {
  INVALID_INPUT: { status: 400 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  NOT_FOUND: { status: 404 },
  CONFLICT: { status: 409 },
  PAYLOAD_TOO_LARGE: { status: 413 },
  RATE_LIMITED: { status: 429 },
  INTERNAL: { status: 500 },
  /** The master could not persist a change (disk full, read-only data dir): nothing was acknowledged. */
  STORE_UNAVAILABLE: { status: 503 },
  AGENT_UNREACHABLE: { status: 502 },
  FINGERPRINT_MISMATCH: { status: 502 },
  TIMEOUT: { status: 504 },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** The serialisable error that crosses every boundary. */
export type ErrorShape = { code: ErrorCode; message: string; details?: unknown };

/** The envelope every IPC command and console RPC resolves to; never a rejection. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorShape };

/** Error thrown inside master core and agent; its message is safe to show to the analyst. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return errorCodes[this.code].status;
  }

  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromShape(shape: ErrorShape): AppError {
    return new AppError(shape.code, shape.message, shape.details);
  }
}

/** True when `value` names a code of the registry. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}

/**
 * The error a boundary's JSON body carries (`{ error: { code, message, details? } }`), or null
 * when the body is not one (a proxy's page, an empty body): then `codeForStatus` decides.
 */
export function errorShapeOf(body: unknown): ErrorShape | null {
  const candidate = (body as { error?: Partial<ErrorShape> } | null)?.error;
  if (!candidate || typeof candidate !== 'object' || !isErrorCode(candidate.code)) return null;
  const message = typeof candidate.message === 'string' ? candidate.message : '';
  return candidate.details === undefined
    ? { code: candidate.code, message }
    : { code: candidate.code, message, details: candidate.details };
}

/** The code a bare HTTP error status stands for when the body names none. */
export function codeForStatus(status: number): ErrorCode {
  return status === 401
    ? 'UNAUTHENTICATED'
    : status === 429
      ? 'RATE_LIMITED'
      : status === 404
        ? 'NOT_FOUND'
        : 'INTERNAL';
}

/**
 * A value quoted for an error message: JSON (so always one line), cut at `max` characters. Never
 * throws: `String()` does on `{"toString":1}` or a null-prototype object, which any caller can send.
 */
export function quoteValue(value: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** One line of at most `max` characters: a message must not be split or flooded by its input. */
export function oneLine(text: string, max = 500): string {
  const flat = text.replace(/[\r\n\u2028\u2029]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** AppError passes through; anything else becomes INTERNAL (its stack stays in the local log). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : quoteValue(err, 500);
  return new AppError('INTERNAL', message || 'Internal error', undefined, { cause: err });
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(err: unknown): Result<never> {
  return { ok: false, error: toAppError(err).toShape() };
}

/** Unwraps a Result, throwing the AppError it carries. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw AppError.fromShape(result.error);
}

/** Each zod issue as `path: message` (or the message alone at the root), in order. */
export function zodIssueLines(error: z.ZodError): string[] {
  return error.issues.map((i) =>
    oneLine(i.path.length ? `${i.path.map((p) => String(p).slice(0, 80)).join('.')}: ${i.message}` : i.message, 300),
  );
}

/** A zod error as one line: its issues joined with `; `. */
export function describeZodError(error: z.ZodError): string {
  return zodIssueLines(error).join('; ');
}
