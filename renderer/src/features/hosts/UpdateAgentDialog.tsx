import { type FormEvent, useState } from 'react';
import { useCommandMutation } from '../../api/use-command';
import { Dialog } from '../../components/Dialog';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { Icon } from '../../components/Icon';

type Chosen = { fileName: string; tarballBase64: string; signatureBase64: string };

/** Base64 of a file picked in the dialog, in chunks (a spread of a megabyte overflows the call stack). */
async function fileBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/**
 * Confirm an agent update of one host (`hostUuid`) or of every worker (null): the release the
 * console ships, or a tarball and its .sig chosen from disk; for all, the wave size. The updater
 * on each worker rolls back on its own, so the dialog says so instead of asking twice.
 */
export function UpdateAgentDialog({
  hostUuid,
  hostName,
  onClose,
}: {
  hostUuid: string | null;
  hostName: string | null;
  onClose: () => void;
}) {
  const one = useCommandMutation('hosts.update', ['hosts.updates', 'hosts.list']);
  const all = useCommandMutation('hosts.updateAll', ['hosts.updates', 'hosts.list']);
  const [source, setSource] = useState<'shipped' | 'file'>('shipped');
  const [tarball, setTarball] = useState<File | null>(null);
  const [signature, setSignature] = useState<File | null>(null);
  const [waveSize, setWaveSize] = useState(1);
  const pending = one.isPending || all.isPending;
  const error = one.error ?? all.error;
  const ready = source === 'shipped' || (tarball !== null && signature !== null);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!ready || pending) return;
    let release: Chosen | undefined;
    if (source === 'file' && tarball && signature) {
      release = {
        fileName: tarball.name,
        tarballBase64: await fileBase64(tarball),
        signatureBase64: (await signature.text()).trim(),
      };
    }
    const opts = { onSuccess: onClose };
    if (hostUuid) one.mutate({ hostUuid, ...(release ? { release } : {}) }, opts);
    else all.mutate({ waveSize, ...(release ? { release } : {}) }, opts);
  };

  return (
    <Dialog title={hostName ? `Update agent on ${hostName}` : 'Update all workers'} onClose={onClose}>
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <div className="notice">
          <Icon name="alert" />
          <div>
            The updater on {hostName ? <strong>{hostName}</strong> : 'each worker'} checks the release’s signature,
            installs it beside the running one and restarts the agent into it. If the new agent does not report its
            version within 60 s, or crash-loops within 10 min, it goes back to the previous release on its own. Deckies
            keep answering throughout.
            {!hostName && ' Workers are updated one wave at a time; the rollout stops at the first failure.'}
          </div>
        </div>
        <Field label="Release" htmlFor="update-source">
          <select id="update-source" value={source} onChange={(e) => setSource(e.target.value as 'shipped' | 'file')}>
            <option value="shipped">The agent package this console ships</option>
            <option value="file">A tarball and its .sig from disk</option>
          </select>
        </Field>
        {source === 'file' && (
          <>
            <Field label="Tarball (.tar.gz)" htmlFor="update-tarball">
              <input
                id="update-tarball"
                type="file"
                accept=".gz,.tgz"
                onChange={(e) => setTarball(e.target.files?.[0] ?? null)}
              />
            </Field>
            <Field label="Signature (.sig)" htmlFor="update-sig">
              <input
                id="update-sig"
                type="file"
                accept=".sig"
                onChange={(e) => setSignature(e.target.files?.[0] ?? null)}
              />
            </Field>
          </>
        )}
        {!hostUuid && (
          <Field label="Workers per wave" htmlFor="update-wave">
            <input
              id="update-wave"
              type="number"
              min={1}
              max={100}
              value={waveSize}
              onChange={(e) => setWaveSize(Math.max(1, Math.min(100, Number(e.target.value) || 1)))}
            />
          </Field>
        )}
        {error && <ErrorNotice error={error} />}
        <div className="dialog-inline-foot">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-autofocus disabled={!ready || pending}>
            {pending ? 'Starting…' : hostName ? 'Update agent' : 'Update all'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
