// electron-builder afterPack hook: flips the Electron fuses of the packaged binary before it is
// signed and archived. Every fuse is set explicitly (strictlyRequireAllFuses), so an Electron
// upgrade that adds one fails the build until someone decides it.
import { join } from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';

export const fuseConfig = Object.freeze({
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  // ON: the local agent and its decky hosts are this binary started with ELECTRON_RUN_AS_NODE=1
  // (shared/node/node-spawner.ts); turning it off would stop the embedded agent from starting.
  [FuseV1Options.RunAsNode]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS / --inspect would let anyone who can start the app inject code into it.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // Checked by Electron on macOS and Windows; Linux has no asar integrity check yet.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
});

/** The Electron executable electron-builder just laid out in appOutDir. */
export function packagedBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return join(appOutDir, `${name}.app`);
  if (electronPlatformName === 'win32') return join(appOutDir, `${name}.exe`);
  return join(appOutDir, packager.executableName ?? name);
}

export default async function afterPack(context, deps = { flipFuses }) {
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  await deps.flipFuses(packagedBinaryPath(context), {
    ...fuseConfig,
    resetAdHocDarwinSignature: darwin && context.arch === 3,
  });
}
