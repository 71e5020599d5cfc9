import { runCommand } from './ip-command';

/** Answers true when some host on the LAN already answers ARP for `address`. */
export type AddressProbe = (iface: string, address: string) => Promise<boolean>;

/**
 * RFC 5227 duplicate address detection with iputils `arping -D` (Debian package `arping`/`iputils-arping`):
 * exit 0 = nobody answered, 1 = a reply came (taken). Anything else is an error the operator must see.
 */
export const arpingProbe: AddressProbe = async (iface, address) => {
  const r = await runCommand('arping', ['-D', '-q', '-c', '1', '-w', '1', '-I', iface, address], 5_000);
  if (r.code === 0) return false;
  if (r.code === 1) return true;
  throw new Error(
    `cannot probe ${address} on ${iface} with arping (${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}); install it: apt-get install arping`,
  );
};
