import { toAppError } from '../../../shared/errors';
import { FingerprintMismatchError } from '../../../shared/node/tls';
import type { Logger } from '../../../shared/node/logger';
import { iso, type Clock } from '../clock';
import type { MasterEventBus } from '../bus';
import type { LifecycleService } from './lifecycle-service';
import type { HostRecord } from '../store/schema';

/**
 * Fails the rows of one dispatch with the reason. A pinned-certificate mismatch is a security
 * event, not a network error: it is raised as `security.alerted` and worded as such on the rows.
 */
export function failDispatch(
  deps: Readonly<{ lifecycle: LifecycleService; events: MasterEventBus; clock: Clock; log: Logger }>,
  host: HostRecord,
  rowIds: readonly string[],
  what: string,
  err: unknown,
): void {
  if (err instanceof FingerprintMismatchError || toAppError(err).code === 'FINGERPRINT_MISMATCH') {
    const message = `SECURITY: ${host.name} presented a certificate that does not match its enrolled fingerprint; ${what} was NOT sent. Someone may be impersonating this worker; investigate before re-enrolling it.`;
    deps.log.critical('agent certificate pin mismatch', { host: host.uuid, what });
    deps.events.emit('security.alerted', {
      kind: 'fingerprint-mismatch',
      message,
      hostUuid: host.uuid,
      at: iso(deps.clock.now()),
    });
    deps.lifecycle.fail(rowIds, message);
    return;
  }
  const e = toAppError(err);
  deps.log.warn('dispatch to agent failed', { host: host.uuid, what, code: e.code, message: e.message });
  deps.lifecycle.fail(rowIds, `${what} on ${host.name} failed: ${e.message}`);
}
