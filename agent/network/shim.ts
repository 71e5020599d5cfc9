import { runCommand, ip } from './ip-command';

/** The worker-side macvlan through which the worker (and the agent) reach their own deckies. */
export const SHIM_NAME = 'decnet-shim';

/**
 * A macvlan parent never exchanges frames with its own macvlan children, so the worker could not
 * reach its deckies. A sibling macvlan in bridge mode can: one /32 route per decky through it.
 * The shim carries no address of its own; replies go out with the worker's LAN address.
 * ipvlan children cannot be reached this way; the shim is macvlan-only (as in the original).
 */
export async function addShimRoute(parent: string, deckyIp: string, workerAddress: string): Promise<void> {
  const exists = await runCommand('ip', ['link', 'show', SHIM_NAME]);
  if (exists.code !== 0) {
    await ip('link', 'add', 'link', parent, 'name', SHIM_NAME, 'type', 'macvlan', 'mode', 'bridge');
    await ip('link', 'set', SHIM_NAME, 'up');
  }
  await ip('route', 'replace', `${deckyIp}/32`, 'dev', SHIM_NAME, 'src', workerAddress);
}

export async function removeShimRoute(deckyIp: string): Promise<void> {
  await runCommand('ip', ['route', 'del', `${deckyIp}/32`, 'dev', SHIM_NAME]);
}

/** Teardown of the last decky and the reaper remove the shim (and with it every route through it). */
export async function removeShim(): Promise<void> {
  await runCommand('ip', ['link', 'del', SHIM_NAME]);
}
