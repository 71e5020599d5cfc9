/**
 * OS families a decky can imitate at the TCP/IP level (what `nmap -O` looks at). The native
 * runtime writes these as sysctls into each decky's network namespace (agent/runtime/os-sysctls.ts);
 * the loopback driver has no namespace and ignores them. `tcpRmem` is the default receive buffer,
 * which sets the initial window a SYN-ACK advertises; `synRetries` and `icmpRatelimit` shape the
 * retransmission and ICMP-reply timing nmap's T/IE probes see.
 */
export const osFingerprints = {
  linux: {
    label: 'Linux',
    ttl: 64,
    tcpWindow: 64240,
    tcpTimestamps: true,
    tcpSack: true,
    tcpWindowScaling: true,
    tcpRmem: 131072,
    synRetries: 6,
    icmpRatelimit: 1000,
  },
  windows: {
    label: 'Windows 10/11',
    ttl: 128,
    tcpWindow: 65535,
    tcpTimestamps: false,
    tcpSack: true,
    tcpWindowScaling: true,
    tcpRmem: 65535,
    synRetries: 2,
    icmpRatelimit: 0,
  },
  windows_server: {
    label: 'Windows Server',
    ttl: 128,
    tcpWindow: 65535,
    tcpTimestamps: false,
    tcpSack: true,
    tcpWindowScaling: true,
    tcpRmem: 65535,
    synRetries: 2,
    icmpRatelimit: 0,
  },
  bsd: {
    label: 'FreeBSD',
    ttl: 64,
    tcpWindow: 65535,
    tcpTimestamps: true,
    tcpSack: true,
    tcpWindowScaling: true,
    tcpRmem: 65536,
    synRetries: 3,
    icmpRatelimit: 200,
  },
  embedded: {
    label: 'Embedded Linux',
    ttl: 64,
    tcpWindow: 5840,
    tcpTimestamps: false,
    tcpSack: false,
    tcpWindowScaling: false,
    tcpRmem: 5840,
    synRetries: 5,
    icmpRatelimit: 1000,
  },
  cisco: {
    label: 'Cisco IOS',
    ttl: 255,
    tcpWindow: 4128,
    tcpTimestamps: false,
    tcpSack: false,
    tcpWindowScaling: false,
    tcpRmem: 4128,
    synRetries: 2,
    icmpRatelimit: 0,
  },
} as const;

export type NmapOs = keyof typeof osFingerprints;
export const nmapOsNames = Object.keys(osFingerprints) as [NmapOs, ...NmapOs[]];
