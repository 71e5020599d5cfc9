// vsftpd 3.0.3's reply texts that need more than a line: HELP, STAT, and the PORT/EPRT checks.

export type FtpSessionState = {
  user: string | null;
  loggedIn: boolean;
  loginFails: number;
  /** TYPE I (else ASCII), shown by STAT. */
  binary?: boolean;
  /** A PORT was accepted (we never connect out: the transfer then fails as to a closed port). */
  port?: boolean;
  epsvAll?: boolean;
};

/** handle_eprt: `|1|a.b.c.d|port|`, judged like PORT (IPv6 is a "bad protocol" on an IPv4 listener). */
export function eprtReply(arg: string, peer: string, st: FtpSessionState): string {
  const [before = '', proto = '', addr = '', port = '', after = ''] = arg.split('|');
  if (before !== '') return '500 Bad EPRT command.';
  if (!/^\d/.test(proto) || parseInt(proto, 10) !== 1) return '500 Bad EPRT protocol.';
  const quad = addr.split('.');
  const okAddr = quad.length === 4 && quad.every((q) => /^\d{1,3}$/.test(q) && Number(q) <= 255);
  if (!okAddr || after !== '' || port === '' || !/^\d/.test(port) || parseInt(port, 10) > 65535)
    return '500 Bad EPRT command.';
  st.port = addr === peer && parseInt(port, 10) >= 1024;
  return st.port ? '200 EPRT command successful. Consider using EPSV.' : '500 Illegal EPRT command.';
}

/** vsftpd's PORT check: six bytes, the client's own address (port_promiscuous=NO), port >= 1024. */
export function portOk(arg: string, peer: string): boolean {
  const n = arg.split(',').map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
  if (n.length !== 6 || n.some((x) => !(x <= 255))) return false;
  return n.slice(0, 4).join('.') === peer && n[4]! * 256 + n[5]! >= 1024;
}

export const help = [
  '214-The following commands are recognized.',
  ' ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD',
  ' MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR',
  ' RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD',
  ' XPWD XRMD',
  '214 Help OK.',
].join('\r\n');

/** STAT without an argument, as vsftpd 3.0.3 prints it for a plain-text anonymous session. */
export function status(st: FtpSessionState, peer: string, clients: number): string {
  return [
    '211-FTP server status:',
    `     Connected to ${peer}`,
    '     Logged in as ftp',
    `     TYPE: ${st.binary ? 'BINARY' : 'ASCII'}`,
    '     No session bandwidth limit',
    '     Session timeout in seconds is 300',
    '     Control connection is plain text',
    '     Data connections will be plain text',
    `     At session startup, client count was ${clients}`,
    '     vsFTPd 3.0.3 - secure, fast, stable',
    '211 End of status',
  ].join('\r\n');
}
