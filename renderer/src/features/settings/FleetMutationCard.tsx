import { useState } from 'react';
import { useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { MutationChoice } from '../../components/MutationChoice';
import { describeInterval, fromMutateInterval, type MutationValue, toMutateInterval } from '../../lib/mutate-interval';

/**
 * The fleet default for periodic mutation: every decky that follows the default rotates on it;
 * deckies with their own interval (wizard or schedule editor) keep theirs.
 */
export function FleetMutationCard({ mutateInterval }: { mutateInterval: number | null }) {
  const save = useCommandMutation('settings.setMutateInterval', ['settings.get', 'deckies.list']);
  const [edited, setEdited] = useState<MutationValue | null>(null);
  // The fleet default has no "default" of its own: a number is on (custom), null is off.
  const value = edited ?? fromMutateInterval(mutateInterval, null);
  const next = toMutateInterval(value) ?? null;
  const changed = edited !== null && next !== mutateInterval;

  return (
    <div className="card">
      <h3>Periodic mutation</h3>
      <p className="muted small">
        Fleet default: {describeInterval(mutateInterval)}. Deckies that follow the default swap their services on this
        schedule; deckies with their own interval keep it.
      </p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (changed) save.mutate({ mutateInterval: next }, { onSuccess: () => setEdited(null) });
        }}
      >
        <MutationChoice legend="Fleet default" value={value} onChange={setEdited} />
        {save.error && <ErrorNotice error={save.error} />}
        <div className="dialog-inline-foot">
          <button type="submit" className="btn btn-primary" disabled={!changed || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save fleet default'}
          </button>
        </div>
      </form>
    </div>
  );
}
