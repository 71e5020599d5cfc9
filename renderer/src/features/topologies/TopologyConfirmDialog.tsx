import { useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';

/** Confirms a topology teardown (deckies stop on the host) or delete (the definition goes). */
export function TopologyConfirmDialog({
  topologyId,
  topologyName,
  action,
  onClose,
}: {
  topologyId: string;
  topologyName: string;
  action: 'teardown' | 'delete';
  onClose: () => void;
}) {
  const teardown = useCommandMutation('topologies.teardown', ['topologies.list', 'topologies.state']);
  const remove = useCommandMutation('topologies.delete', ['topologies.list']);
  const m = action === 'teardown' ? teardown : remove;
  const confirm = (): void => {
    if (action === 'teardown') teardown.mutate({ topologyId }, { onSuccess: onClose });
    else remove.mutate({ topologyId }, { onSuccess: onClose });
  };
  return (
    <Dialog title={action === 'teardown' ? `Tear down ${topologyName}?` : `Delete ${topologyName}?`} onClose={onClose}>
      <div className="stack">
        <div className="notice notice-warn">
          <Icon name="alert" />
          <div>
            {action === 'teardown'
              ? 'Every decky and LAN of this topology stops on its host. The definition is kept and can be applied again.'
              : 'The topology definition is removed. Tear it down first if it is still applied.'}
          </div>
        </div>
        {m.error && <ErrorNotice error={m.error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" data-autofocus disabled={m.isPending} onClick={confirm}>
            {action === 'teardown' ? 'Tear down' : 'Delete'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
