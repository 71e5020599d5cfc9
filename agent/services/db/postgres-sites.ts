/**
 * The source file and line a real backend puts in the F and L fields of each error it sends before
 * a login completes. Scanners read them: nmap names the release from the unsupported-protocol line.
 * Lines move between minor releases, so they are chosen by the persona's full version.
 */
export type PgSites = Readonly<{
  /** postmaster.c up to 16, backend_startup.c from 17. */
  startupFile: string;
  /** ProcessStartupPacket: unsupported frontend protocol. */
  unsupported: number;
  /** ProcessStartupPacket: invalid startup packet layout. */
  layout: number;
  /** ProcessStartupPacket: no PostgreSQL user name specified. */
  noUser: number;
  /** auth.c auth_failed: password authentication failed. */
  authFailed: number;
  /** auth.c recv_password_packet: expected password response. */
  recvPassword: number;
  /** postinit.c InitPostgres: database does not exist. */
  noDatabase: number;
  /** postinit.c CheckMyDatabase: database is not currently accepting connections. */
  notAccepting: number;
  /** After login: scan.l scanner_yyerror, parse_relation.c parserOpenTable and errorMissingColumn. */
  syntaxError: number;
  noRelation: number;
  noColumn: number;
  /** postgres.c exec_simple_query: current transaction is aborted. */
  abortedTx: number;
  /** xact.c warnings: BeginTransactionBlock, EndTransactionBlock, UserAbortTransactionBlock. */
  alreadyInTx: number;
  noTxCommit: number;
  noTxRollback: number;
  /** version()'s compiler. */
  compiledBy: string;
}>;

/** Measured on Debian 12's postgresql-15 15.18-0+deb12u1 (tests/integration/fidelity/postgres.test.ts). */
const measured15_18: PgSites = {
  startupFile: 'postmaster.c',
  unsupported: 2222,
  layout: 2334,
  noUser: 2351,
  authFailed: 334,
  recvPassword: 718,
  noDatabase: 948,
  notAccepting: 350,
  syntaxError: 1188,
  noRelation: 1392,
  noColumn: 3665,
  abortedTx: 1081,
  alreadyInTx: 3789,
  noTxCommit: 3987,
  noTxRollback: 4110,
  compiledBy: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0',
};

/**
 * The unsupported-protocol line nmap's table gives each major release (9.6–15); 16 and 17 are not
 * in it, so any line reads as "9.6.0 or later", which is what a real 16/17 gets too.
 */
const unsupportedByMajor: Record<number, number> = {
  9: 2063,
  10: 2099,
  11: 2050,
  12: 2119,
  13: 2133,
  14: 2138,
  15: 2194,
  16: 2226,
};

export function pgVersionParts(version: string): { major: number; minor: number } {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  return { major: Number(m?.[1] ?? 15) || 15, minor: Number(m?.[2] ?? 0) };
}

/**
 * Sites for a persona version: the measured set from 15.18 on (later 15.x assumed unchanged);
 * other releases keep nmap's unsupported-protocol line and the lines known before, and take the
 * measured auth/postinit lines where no measurement of their own exists.
 */
export function pgSites(version: string): PgSites {
  const { major, minor } = pgVersionParts(version);
  if (major === 15 && minor >= 18) return measured15_18;
  if (major >= 17)
    return {
      ...measured15_18,
      startupFile: 'backend_startup.c',
      unsupported: 681,
      layout: 735,
      noUser: 752,
      authFailed: 323,
    };
  return {
    ...measured15_18,
    unsupported: unsupportedByMajor[major] ?? 2194,
    noUser: 2281,
    authFailed: major >= 16 ? 323 : major >= 14 ? 335 : 333,
    compiledBy: 'gcc (Debian 12.2.0-14) 12.2.0',
  };
}
