import type { ChannelStatus } from '../../../../shared/domain/alerts';
import { formatTimestamp } from '../../lib/time';

/** A channel's last "Send test" answer and its delivery counters, the same for every channel kind. */
export function ChannelOutcome({
  test,
  status,
  delivered,
}: {
  test: { ok: boolean; error: string | null } | undefined;
  status: ChannelStatus | undefined;
  /** What a successful test says ("Test delivered.", "Test email sent."). */
  delivered: string;
}) {
  return (
    <>
      {test && (
        <div className={test.ok ? 'notice ok' : 'notice error'}>
          {test.ok ? delivered : `Test failed: ${test.error ?? ''}`}
        </div>
      )}
      {status && (
        <div className="muted small">
          {status.delivered} delivered · {status.pending} waiting
          {status.lastDeliveryAt && ` · last ${formatTimestamp(status.lastDeliveryAt)}`}
          {status.lastError && ` · last error: ${status.lastError}`}
        </div>
      )}
    </>
  );
}
