import { AppError, type ErrorCode } from '../../../shared/errors';

/** What each error code means for the analyst, in one sentence that suggests what to do next. */
export const errorSentences = {
  INVALID_INPUT: 'Some of the values entered are not valid; check the highlighted fields and try again.',
  UNAUTHENTICATED: 'Your session has expired or the password was wrong; please log in again.',
  FORBIDDEN: 'This action is not allowed for this host or session.',
  NOT_FOUND: 'The item no longer exists; it may have been removed by someone else. The list has been refreshed.',
  CONFLICT: 'That name or address is already in use, or the item changed meanwhile; pick another or retry.',
  PAYLOAD_TOO_LARGE: 'The request is too large; deploy fewer deckies at a time.',
  RATE_LIMITED: 'Too many requests in a short time; wait a few seconds and retry.',
  INTERNAL: 'The console hit an unexpected error; the details below are in the master log too.',
  STORE_UNAVAILABLE:
    'The console could not save this change (disk full or data directory not writable); free space and retry — nothing was lost.',
  AGENT_UNREACHABLE: 'The worker agent could not be reached; check that the host is up and its agent is running.',
  FINGERPRINT_MISMATCH:
    'The worker presented a different certificate than the one enrolled; it may have been replaced or impersonated — re-enroll it only if you trust it.',
  TIMEOUT: 'The worker did not answer in time; it may be overloaded or the network is slow. Try again.',
} as const satisfies Record<ErrorCode, string>;

export type ErrorDescription = { code: ErrorCode; sentence: string; detail: string | null };

/** Turns anything thrown by `call()` into the sentence plus the master's own message. */
export function describeError(err: unknown): ErrorDescription {
  const e = err instanceof AppError ? err : new AppError('INTERNAL', err instanceof Error ? err.message : String(err));
  const detail = e.message && e.message !== errorSentences[e.code] ? e.message : null;
  return { code: e.code, sentence: errorSentences[e.code], detail };
}
