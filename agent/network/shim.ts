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
  // Deckies attach concurrently: one creation at a time, and one that lost the race is fine.
  ensuring = ensuring.catch(() => undefined).then(() => ensureShim(parent));
  await ensuring;
  await ip('route', 'replace', `${deckyIp}/32`, 'dev', SHIM_NAME, 'src', workerAddress);
}

let ensuring: Promise<void> = Promise.resolve();

async function ensureShim(parent: string): Promise<void> {
  if ((await runCommand('ip', ['link', 'show', SHIM_NAME])).code === 0) return;
  const r = await runCommand('ip', [
    'link',
    'add',
    'link',
    parent,
    'name',
    SHIM_NAME,
    'type',
    'macvlan',
    'mode',
    'bridge',
  ]);
  if (r.code !== 0 && !/File exists/.test(r.stderr))
    throw new Error(`cannot create the host shim ${SHIM_NAME} on ${parent}: ${r.stderr.trim().split('\n')[0]}`);
  await ip('link', 'set', SHIM_NAME, 'up');
}

export async function removeShimRoute(deckyIp: string): Promise<void> {
  await runCommand('ip', ['route', 'del', `${deckyIp}/32`, 'dev', SHIM_NAME]);
}

/** Teardown of the last decky and the reaper remove the shim (and with it every route through it). */
export async function removeShim(): Promise<void> {
  await runCommand('ip', ['link', 'del', SHIM_NAME]);
}
