import { type FormEvent, useState } from 'react';
import type { ServiceName } from '../../../../shared/catalog/services';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useOperationsStore } from '../../stores/operations-store';
import { LifecycleProgress } from './LifecycleProgress';
import { ServicePicker } from './ServicePicker';

/** Before → after service lists, with additions and removals marked. */
function ServiceDiff({ before, after }: { before: readonly string[]; after: readonly string[] }) {
  const all = [...new Set([...before, ...after])];
  return (
    <div className="diff" aria-label="Service changes">
      {all.map((s) => {
        const kind = !before.includes(s) ? 'add' : !after.includes(s) ? 'remove' : 'keep';
        return (
          <span key={s} className={`chip chip-${kind}`}>
            {kind === 'add' ? '+ ' : kind === 'remove' ? '− ' : ''}
            {s}
          </span>
        );
      })}
    </div>
  );
}

/** Change a decky's services: dry run first (agent validates, nothing changes), then apply. */
export function MutateDialog({ deckyName, onClose }: { deckyName: string; onClose: () => void }) {
  const deckies = useCommand('deckies.list', {});
  const current = deckies.data?.find((d) => d.config.name === deckyName)?.config.services ?? [];
  const [services, setServices] = useState<string[] | null>(null);
  const chosen = services ?? [...current];
  const preview = useCommandMutation('deckies.mutate');
  const apply = useCommandMutation('deckies.mutate', ['deckies.list']);
  const track = useOperationsStore((s) => s.track);
  const [lifecycleId, setLifecycleId] = useState<string | null>(null);
  const dry = preview.data && 'dryRun' in preview.data ? preview.data : null;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (chosen.length === 0) return;
    const list = chosen as ServiceName[];
    if (!dry) {
      preview.mutate({ deckyName, services: list, dryRun: true });
      return;
    }
    apply.mutate(
      { deckyName, services: list },
      {
        onSuccess: (res) => {
          if (!('lifecycleId' in res)) return;
          track(`Mutate ${deckyName}`, [res.lifecycleId], { [res.lifecycleId]: deckyName });
          setLifecycleId(res.lifecycleId);
        },
      },
    );
  };

  if (lifecycleId) {
    return (
      <Dialog
        title={`Mutating ${deckyName}`}
        onClose={onClose}
        footer={
          <button type="button" className="btn btn-primary" onClick={onClose}>
            Close
          </button>
        }
      >
        <LifecycleProgress ids={[lifecycleId]} names={{ [lifecycleId]: deckyName }} />
      </Dialog>
    );
  }

  return (
    <Dialog
      title={`Mutate ${deckyName}`}
      subtitle="Swap the services this decky exposes. The agent checks the change before anything restarts."
      onClose={onClose}
      wide
    >
      <form className="stack" onSubmit={submit}>
        <ServicePicker
          value={chosen}
          onChange={(next) => {
            setServices(next);
            preview.reset();
          }}
        />
        {dry && (
          <div className="stack">
            <div className="muted small">Dry run accepted by the agent. Applying restarts the decky with:</div>
            <ServiceDiff before={dry.before} after={dry.after} />
          </div>
        )}
        {preview.error && <ErrorNotice error={preview.error} />}
        {apply.error && <ErrorNotice error={apply.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={chosen.length === 0 || preview.isPending || apply.isPending}
          >
            {!dry ? (preview.isPending ? 'Checking…' : 'Preview change') : apply.isPending ? 'Applying…' : 'Apply'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
