import { ARTIFACT_ZIP_PASSWORD } from '../../../shared/domain/artifact';
import { AppError } from '../../../shared/errors';
import type { CommandHandlers } from '../../../shared/ipc/types';
import { RECORDING_TYPE, type ArtifactStore } from './artifact-store';
import { zipArtifact } from './artifact-zip';

/** The console's artifact commands: the list, and one artifact as a zip with password `infected`. */
export function artifactCommands(
  artifacts: ArtifactStore,
): Pick<CommandHandlers, 'artifacts.list' | 'artifacts.download' | 'recordings.get'> {
  return {
    'artifacts.list': (a) => Promise.resolve({ artifacts: artifacts.list(a) }),
    'artifacts.download': async (a) => ({
      fileName: `${a.sha256}.zip`,
      password: ARTIFACT_ZIP_PASSWORD,
      zipBase64: (await zipArtifact(a.sha256, await artifacts.read(a.sha256))).toString('base64'),
    }),
    'recordings.get': async (a) => {
      if (artifacts.get(a.sha256)?.fileType !== RECORDING_TYPE)
        throw new AppError('NOT_FOUND', `no session recording ${a.sha256}`);
      return { cast: (await artifacts.read(a.sha256)).toString('utf8') };
    },
  };
}
