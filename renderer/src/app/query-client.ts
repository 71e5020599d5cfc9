import { QueryClient } from '@tanstack/react-query';
import { AppError } from '../../../shared/errors';

/** Codes for which repeating the same request cannot succeed. */
const noRetry = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'FINGERPRINT_MISMATCH',
]);

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Pushed events keep data fresh; staleness only matters after a missed event.
        staleTime: 5_000,
        retry: (count, err) => count < 2 && !(err instanceof AppError && noRetry.has(err.code)),
      },
      mutations: { retry: false },
    },
  });
}
