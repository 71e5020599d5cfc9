// ssh2 1.17 internals used to send a stock OpenSSH KEXINIT (see ssh-kexinit.ts). Not in @types/ssh2.
declare module 'ssh2/lib/protocol/kex.js' {
  export class KexInit {
    constructor(lists: {
      kex: readonly string[];
      serverHostKey: readonly string[];
      cs: { cipher: readonly string[]; mac: readonly string[]; compress: readonly string[]; lang: readonly string[] };
      sc: { cipher: readonly string[]; mac: readonly string[]; compress: readonly string[]; lang: readonly string[] };
    });
  }
}
