/**
 * OpenSSH client options for password logins against a decky: no host-key prompt or memory, no
 * keys or agent, one password try, quiet, bounded connect. The password comes from SSH_ASKPASS.
 */
export const sshPasswordFlags = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'PreferredAuthentications=password',
  '-o',
  'PubkeyAuthentication=no',
  '-o',
  'NumberOfPasswordPrompts=1',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ConnectTimeout=10',
] as const;
