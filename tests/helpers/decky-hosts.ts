import { readdirSync, readFileSync } from 'node:fs';

/**
 * Decky host processes outlive their agent by design (they run in their own session), so a test
 * that stops an agent without stopping its deckies leaves them holding 127.x ports and memory
 * while later test files run. This kills every decky host whose hosts dir lies under `root` and
 * returns those dirs (one per host killed). With `run`, only hosts started by that test run (their
 * environment carries DECNET_TEST_RUN=run) are killed.
 */
export function killDeckyHostsUnder(root: string, run?: string): string[] {
  const killed: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('decky-host')) continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      const hostsDir = /(?:^|\0)DECNET_HOSTS_DIR=([^\0]*)/.exec(env)?.[1];
      if (!hostsDir || !(hostsDir === root || hostsDir.startsWith(`${root}/`))) continue;
      if (run !== undefined && /(?:^|\0)DECNET_TEST_RUN=([^\0]*)/.exec(env)?.[1] !== run) continue;
      process.kill(Number(pid), 'SIGKILL');
      killed.push(hostsDir);
    } catch {
      continue; // the process ended meanwhile, or is not ours to read
    }
  }
  return killed;
}
