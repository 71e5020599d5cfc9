import { DecommissionDialog } from '../features/hosts/DecommissionDialog';
import { EnrollDialog } from '../features/hosts/EnrollDialog';
import { NetworkDialog } from '../features/hosts/NetworkDialog';
import { UpdateAgentDialog } from '../features/hosts/UpdateAgentDialog';
import { DeployWizard } from '../features/deckies/DeployWizard';
import { MutateDialog } from '../features/deckies/MutateDialog';
import { MutateIntervalDialog } from '../features/deckies/MutateIntervalDialog';
import { TeardownDialog } from '../features/deckies/TeardownDialog';
import { TopologyConfirmDialog } from '../features/topologies/TopologyConfirmDialog';
import { TopologyCreateDialog } from '../features/topologies/TopologyCreateDialog';
import { useUiStore } from '../stores/ui-store';

/** Renders the one open dialog named in the UI store. */
export function DialogHost() {
  const dialog = useUiStore((s) => s.dialog);
  const close = useUiStore((s) => s.closeDialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'enroll':
      return <EnrollDialog onClose={close} />;
    case 'decommission':
      return <DecommissionDialog hostUuid={dialog.hostUuid} hostName={dialog.hostName} onClose={close} />;
    case 'network':
      return <NetworkDialog hostUuid={dialog.hostUuid} onClose={close} />;
    case 'update-agent':
      return <UpdateAgentDialog hostUuid={dialog.hostUuid} hostName={dialog.hostName} onClose={close} />;
    case 'deploy':
      return <DeployWizard onClose={close} />;
    case 'mutate':
      return <MutateDialog deckyName={dialog.deckyName} onClose={close} />;
    case 'mutate-interval':
      return <MutateIntervalDialog deckyName={dialog.deckyName} onClose={close} />;
    case 'teardown':
      return <TeardownDialog deckyName={dialog.deckyName} onClose={close} />;
    case 'topology-create':
      return <TopologyCreateDialog onClose={close} />;
    case 'topology-confirm':
      return (
        <TopologyConfirmDialog
          topologyId={dialog.topologyId}
          topologyName={dialog.topologyName}
          action={dialog.action}
          onClose={close}
        />
      );
  }
}
