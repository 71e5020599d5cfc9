/**
 * OS families a decky can imitate at the TCP/IP level (what `nmap -O` looks at). The native
 * runtime applies these per network namespace; the loopback driver cannot and ignores them.
 */
export const osFingerprints = {
  linux: { label: 'Linux', ttl: 64, tcpWindow: 64240, tcpTimestamps: true, tcpSack: true },
  windows: { label: 'Windows 10/11', ttl: 128, tcpWindow: 65535, tcpTimestamps: false, tcpSack: true },
  windows_server: { label: 'Windows Server', ttl: 128, tcpWindow: 65535, tcpTimestamps: false, tcpSack: true },
  bsd: { label: 'FreeBSD', ttl: 64, tcpWindow: 65535, tcpTimestamps: true, tcpSack: true },
  embedded: { label: 'Embedded Linux', ttl: 64, tcpWindow: 5840, tcpTimestamps: false, tcpSack: false },
  cisco: { label: 'Cisco IOS', ttl: 255, tcpWindow: 4128, tcpTimestamps: false, tcpSack: false },
} as const;

export type NmapOs = keyof typeof osFingerprints;
export const nmapOsNames = Object.keys(osFingerprints) as [NmapOs, ...NmapOs[]];
