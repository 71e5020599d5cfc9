import { describeError } from '../api/error-messages';
import { Icon } from './Icon';

/** An error as the analyst reads it: the sentence for its code, then the master's own message. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { code, sentence, detail } = describeError(error);
  return (
    <div className="notice notice-bad" role="alert">
      <Icon name="alert" />
      <div className="notice-body">
        <div>{sentence}</div>
        {detail && (
          <div className="notice-detail">
            <code>{code}</code> {detail}
          </div>
        )}
      </div>
      {onRetry && (
        <button type="button" className="btn btn-ghost btn-sm" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
