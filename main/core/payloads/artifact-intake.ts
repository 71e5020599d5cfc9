import type { ArtifactUpload } from '../../../shared/domain/artifact';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { ArtifactStore } from './artifact-store';

/**
 * The swarm handler for `/swarm/artifacts`: like events, a worker speaks only for the deckies
 * placed on it (the host comes from its certificate), and the store checks the hash.
 */
export function createArtifactIntake(opts: {
  placedOn: (decky: string) => string | null | undefined;
  artifacts: ArtifactStore;
  log: Logger;
}): (hostUuid: string, upload: ArtifactUpload) => Promise<{ stored: boolean }> {
  return async (hostUuid, upload) => {
    const placed = opts.placedOn(upload.sighting.decky);
    if (placed !== hostUuid) {
      opts.log.warn('artifact refused: decky not placed on the uploading host', {
        hostUuid,
        decky: upload.sighting.decky,
      });
      throw new AppError('FORBIDDEN', `decky ${upload.sighting.decky} is not placed on host ${hostUuid}`);
    }
    const r = await opts.artifacts.put(upload);
    if (r.stored) opts.log.info('artifact stored', { sha256: upload.sha256, decky: upload.sighting.decky });
    return r;
  };
}
