import { osFingerprints, type NmapOs } from '../../shared/catalog/os-fingerprints';

/**
 * The sysctls that make a namespace's TCP/IP stack answer like the persona's OS family. Every key
 * is per network namespace on Linux ≥ 4.15, so a decky's values never leak to the worker or to
 * another decky.
 */
export function sysctlsFor(os: NmapOs): Record<string, string> {
  const f = osFingerprints[os];
  const flag = (b: boolean) => (b ? '1' : '0');
  return {
    'net.ipv4.ip_default_ttl': String(f.ttl),
    'net.ipv4.tcp_timestamps': flag(f.tcpTimestamps),
    'net.ipv4.tcp_sack': flag(f.tcpSack),
    'net.ipv4.tcp_window_scaling': flag(f.tcpWindowScaling),
    'net.ipv4.tcp_rmem': `4096 ${f.tcpRmem} 6291456`,
    'net.ipv4.tcp_syn_retries': String(f.synRetries),
    'net.ipv4.icmp_ratelimit': String(f.icmpRatelimit),
    // Linux answers ECN-setup SYNs; the others in the catalogue do not by default.
    'net.ipv4.tcp_ecn': os === 'linux' || os === 'embedded' ? '2' : '0',
  };
}
