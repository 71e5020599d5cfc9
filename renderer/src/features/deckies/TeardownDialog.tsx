import { useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';
import { useOperationsStore } from '../../stores/operations-store';

/** Confirm, then tear one decky down; its progress goes to the operations tray. */
export function TeardownDialog({ deckyName, onClose }: { deckyName: string; onClose: () => void }) {
  const teardown = useCommandMutation('deckies.teardown', ['deckies.list']);
  const track = useOperationsStore((s) => s.track);
  const confirm = (): void =>
    teardown.mutate(
      { deckyName },
      {
        onSuccess: (res) => {
          track(`Teardown ${deckyName}`, [res.lifecycleId], { [res.lifecycleId]: deckyName });
          onClose();
        },
      },
    );
  return (
    <Dialog title={`Tear down ${deckyName}?`} onClose={onClose}>
      <div className="stack">
        <div className="notice notice-warn">
          <Icon name="alert" />
          <div>Its services stop and its address is released. Captured events are kept.</div>
        </div>
        {teardown.error && <ErrorNotice error={teardown.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            data-autofocus
            onClick={confirm}
            disabled={teardown.isPending}
          >
            {teardown.isPending ? 'Tearing down…' : 'Tear down'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
