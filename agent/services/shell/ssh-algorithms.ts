/**
 * The algorithm lists a stock sshd of each OpenSSH version sends in its KEXINIT, in its order
 * (`sshd -T` / `ssh2-enum-algos` of the distro's own package). ssh2's defaults (ecdh first,
 * aes-gcm first, no umac, ssh-rsa offered) are a fingerprint on their own: `ssh-audit`, nmap and
 * HASSH-server name them at a glance.
 *
 * What ssh2 cannot do is left out, never faked: advertising sntrup761x25519 / mlkem768x25519 would
 * make every OpenSSH >= 9.0 client pick them and fail the handshake. umac names ARE advertised:
 * every common client (OpenSSH, libssh, paramiko, Go, libssh2) puts an AEAD cipher
 * (chacha20-poly1305 or aes-gcm) first, and with an AEAD cipher the MAC list is never used; only a
 * client forcing a CTR cipher and preferring umac would fail (the closing note lists this).
 */
export type SshAlgorithms = Readonly<{
  kex: readonly string[];
  serverHostKey: readonly string[];
  cipher: readonly string[];
  mac: readonly string[];
  compress: readonly string[];
}>;

/** Key exchanges ssh2 1.17 implements (its SUPPORTED_KEX, curve25519 with Node >= 14). */
const ssh2Kex = new Set([
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group15-sha512',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group17-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group-exchange-sha1',
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group1-sha1',
  // Pseudo-algorithms: markers that ssh2 understands (strict KEX, the Terrapin fix).
  'kex-strict-s-v00@openssh.com',
]);

const pq = ['sntrup761x25519-sha512@openssh.com'];
const ecdh = ['ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521'];
const curve = ['curve25519-sha256', 'curve25519-sha256@libssh.org'];
const dh = [
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
];
const strict = 'kex-strict-s-v00@openssh.com';
const hostKeys = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'];
const ciphers = [
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
];
const macs = [
  'umac-64-etm@openssh.com',
  'umac-128-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'umac-64@openssh.com',
  'umac-128@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1',
];
const compress = ['none', 'zlib@openssh.com'];

type Family = Readonly<{ match: RegExp; lists: (ident: string) => SshAlgorithms }>;

/** First match wins; the identification string is the persona's `version` (without `SSH-2.0-`). */
const families: readonly Family[] = [
  {
    // Debian 12: 9.2p1 with the Terrapin fix (deb12u2+); deb12u10 added the plain sntrup alias.
    match: /^OpenSSH_9\.2p1 Debian/,
    lists: (ident) => {
      const u = Number(/deb12u(\d+)/.exec(ident)?.[1] ?? 0);
      return {
        kex: [
          ...(u >= 10 ? ['sntrup761x25519-sha512'] : []),
          ...pq,
          ...curve,
          ...ecdh,
          ...dh,
          ...(u >= 2 ? [strict] : []),
        ],
        serverHostKey: hostKeys,
        cipher: ciphers,
        mac: macs,
        compress,
      };
    },
  },
  {
    // OpenSSH 9.9 (Debian 13, Arch): ML-KEM first, then both sntrup names.
    match: /^OpenSSH_(9\.9|10\.)/,
    lists: () => ({
      kex: ['mlkem768x25519-sha256', 'sntrup761x25519-sha512', ...pq, ...curve, ...ecdh, ...dh, strict],
      serverHostKey: hostKeys,
      cipher: ciphers,
      mac: macs,
      compress,
    }),
  },
  {
    match: /^OpenSSH_9\./,
    lists: (ident) => ({
      kex: [...pq, ...curve, ...ecdh, ...dh, ...(/^OpenSSH_9\.[6-8]/.test(ident) ? [strict] : [])],
      serverHostKey: hostKeys,
      cipher: ciphers,
      mac: macs,
      compress,
    }),
  },
  {
    // Ubuntu 22.04: sntrup761 after ecdh in 8.9; strict KEX backported.
    match: /^OpenSSH_8\.9/,
    lists: () => ({
      kex: [...curve, ...ecdh, ...pq, ...dh, strict],
      serverHostKey: hostKeys,
      cipher: ciphers,
      mac: macs,
      compress,
    }),
  },
  {
    // RHEL/Rocky 9: the DEFAULT crypto policy reorders everything and drops umac-64 and aes192.
    match: /^OpenSSH_8\.7/,
    lists: () => ({
      kex: [
        ...curve,
        ...ecdh,
        'diffie-hellman-group-exchange-sha256',
        'diffie-hellman-group14-sha256',
        'diffie-hellman-group16-sha512',
        'diffie-hellman-group18-sha512',
        strict,
      ],
      serverHostKey: ['rsa-sha2-256', 'rsa-sha2-512', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
      cipher: [
        'aes256-gcm@openssh.com',
        'chacha20-poly1305@openssh.com',
        'aes256-ctr',
        'aes128-gcm@openssh.com',
        'aes128-ctr',
      ],
      mac: [
        'hmac-sha2-256-etm@openssh.com',
        'hmac-sha1-etm@openssh.com',
        'umac-128-etm@openssh.com',
        'hmac-sha2-512-etm@openssh.com',
        'hmac-sha2-256',
        'hmac-sha1',
        'umac-128@openssh.com',
        'hmac-sha2-512',
      ],
      compress,
    }),
  },
  {
    // 8.0-8.6 (Ubuntu 20.04 is 8.2): ssh-rsa signatures still offered.
    match: /^OpenSSH_8\./,
    lists: () => ({
      kex: [...curve, ...ecdh, ...dh, strict],
      serverHostKey: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
      cipher: ciphers,
      mac: macs,
      compress,
    }),
  },
  {
    // CentOS 7 (7.4p1): sha1 key exchanges and CBC ciphers still on.
    match: /^OpenSSH_7\./,
    lists: () => ({
      kex: [
        ...curve,
        ...ecdh,
        'diffie-hellman-group-exchange-sha256',
        'diffie-hellman-group16-sha512',
        'diffie-hellman-group18-sha512',
        'diffie-hellman-group-exchange-sha1',
        'diffie-hellman-group14-sha256',
        'diffie-hellman-group14-sha1',
        'diffie-hellman-group1-sha1',
      ],
      serverHostKey: ['ssh-rsa', 'rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'],
      cipher: [...ciphers, 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', 'blowfish-cbc', 'cast128-cbc', '3des-cbc'],
      mac: macs,
      compress,
    }),
  },
];

/** The real sshd's lists for `ident` (9.2p1's for an unknown version), before dropping what ssh2 lacks. */
export function openSshAlgorithms(ident: string): SshAlgorithms {
  const family = families.find((f) => f.match.test(ident)) ?? families[0]!;
  return family.lists(
    ident.startsWith('OpenSSH_9.2p1 Debian') || family !== families[0] ? ident : 'OpenSSH_9.2p1 Debian-2+deb12u3',
  );
}

/** What the decky offers: the real lists minus the key exchanges ssh2 cannot complete. */
export function offeredAlgorithms(ident: string): SshAlgorithms & { dropped: readonly string[] } {
  const real = openSshAlgorithms(ident);
  return { ...real, kex: real.kex.filter((k) => ssh2Kex.has(k)), dropped: real.kex.filter((k) => !ssh2Kex.has(k)) };
}
