import net from 'node:net';
import tls from 'node:tls';

/** One SMTP exchange: lines sent one step at a time (each step one write), `STARTTLS!` upgrades. */
export type SmtpStepInput = string;

const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
const long = (n: number) => 'A'.repeat(n);

/** The dialogues compared; `fqdn` is the host both claim, recipients in and outside its domain. */
export function smtpExchanges(fqdn: string): Record<string, SmtpStepInput[]> {
  const domain = fqdn.slice(fqdn.indexOf('.') + 1);
  const mail = ['EHLO client.example.net\r\n', 'MAIL FROM:<a@client.example.net>\r\n'];
  return {
    'greeting and EHLO': ['EHLO client.example.net\r\n'],
    'HELO twice': ['HELO a\r\n', 'HELO b\r\n'],
    'EHLO without a name': ['EHLO\r\n'],
    HELP: ['HELP\r\n'],
    'unknown command': ['FOO bar\r\n'],
    'lower-case command': ['noop\r\n'],
    'leading white space': ['  NOOP\r\n'],
    'empty line': ['\r\n'],
    'header-like line (hang-up)': ['Subject: hi\r\n'],
    'non-letter first (hang-up)': ['1ABC\r\n'],
    'bad UTF-8': ['X\xe9Y\r\n'],
    'valid UTF-8': ['X\xc3\xa9Y\r\n'],
    'CONNECT (hang-up)': ['CONNECT example.com:443 HTTP/1.1\r\n'],
    'NOOP with argument': ['NOOP x\r\n'],
    'RSET with argument': ['RSET x\r\n'],
    'QUIT with argument': ['QUIT x\r\n'],
    'VRFY without argument': ['VRFY\r\n'],
    'VRFY local user': ['VRFY root\r\n'],
    'VRFY bracketed local address': [`VRFY <postmaster@${fqdn}>\r\n`],
    'VRFY address in the domain': [`VRFY bob@${domain}\r\n`],
    'VRFY outside address': ['VRFY someone@outside.example.com\r\n'],
    'VRFY two words': ['VRFY a b\r\n'],
    'VRFY empty path': ['VRFY <>\r\n'],
    'EXPN, TURN': ['EXPN root\r\n', 'TURN\r\n'],
    'ETRN without and with domain': ['ETRN\r\n', `ETRN ${domain}\r\n`],
    'XCLIENT, XFORWARD': ['XCLIENT NAME=x\r\n', 'XFORWARD NAME=x\r\n'],
    'MAIL without HELO': ['MAIL FROM:<a@b.example>\r\n'],
    'MAIL syntax errors': ['MAIL TO:<a@b>\r\n', 'MAIL FROM:<a b>\r\n'],
    'MAIL null sender and bare address': ['MAIL FROM:<>\r\n', 'RSET\r\n', 'MAIL FROM:a@b.example\r\n'],
    'MAIL unsupported parameter': ['MAIL FROM:<a@b.example> FOO=bar\r\n'],
    'MAIL SIZE too big': ['MAIL FROM:<a@b.example> SIZE=99999999\r\n'],
    'MAIL with parameters': ['MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME\r\n'],
    'nested MAIL': [...mail, 'MAIL FROM:<a@b.example>\r\n'],
    'RCPT without MAIL': ['RCPT TO:<root@x>\r\n'],
    'relay attempt': [...mail, 'RCPT TO:<victim@outside.example.com>\r\n'],
    'relay attempt, bare address': [...mail, 'RCPT TO:victim@outside.example.com\r\n'],
    'local recipients': [
      ...mail,
      `RCPT TO:<root@${fqdn}>\r\n`,
      `RCPT TO:<bob@${domain}>\r\n`,
      'RCPT TO:<x@localhost>\r\n',
    ],
    'RCPT syntax errors': [...mail, 'RCPT FROM:<a@b>\r\n', 'RCPT TO:<>\r\n'],
    'DATA without RCPT': [...mail, 'DATA\r\n'],
    'DATA with argument': [...mail, `RCPT TO:<root@${fqdn}>\r\n`, 'DATA x\r\n'],
    'a message': [...mail, `RCPT TO:<root@${fqdn}>\r\n`, 'DATA\r\n', 'Subject: hi\r\n\r\nhello\r\n..dot\r\n.\r\n'],
    'BDAT chunks': [...mail, `RCPT TO:<root@${fqdn}>\r\n`, 'BDAT 7\r\nHello\r\n', 'BDAT 0 LAST\r\n'],
    'BDAT LAST': [...mail, `RCPT TO:<root@${fqdn}>\r\n`, 'BDAT 4 LAST\r\nHi\r\n'],
    'BDAT without RCPT': ['BDAT 3\r\nab\n'],
    'BDAT syntax (hang-up)': ['BDAT x\r\n'],
    'AUTH without mechanism': ['AUTH\r\n'],
    'AUTH unknown mechanism': ['AUTH CRAM-MD5\r\n'],
    'AUTH PLAIN initial response': [`AUTH PLAIN ${b64('\0admin\0secret')}\r\n`],
    'AUTH PLAIN in two steps': ['AUTH PLAIN\r\n', `${b64('\0admin\0secret')}\r\n`],
    'AUTH PLAIN empty (=)': ['AUTH PLAIN =\r\n'],
    'AUTH PLAIN bad base64': ['AUTH PLAIN\r\n', '!!!\r\n'],
    'AUTH PLAIN bad base64 initial': ['AUTH PLAIN !!!\r\n'],
    'AUTH LOGIN': ['AUTH LOGIN\r\n', `${b64('admin')}\r\n`, `${b64('secret')}\r\n`],
    'AUTH LOGIN with the name first': [`AUTH LOGIN ${b64('admin')}\r\n`, `${b64('secret')}\r\n`],
    'AUTH aborted': ['AUTH LOGIN\r\n', '*\r\n'],
    'AUTH during MAIL': [...mail, `AUTH PLAIN ${b64('\0a\0b')}\r\n`],
    'command line over 2048 bytes': [`NOOP ${long(3000)}\r\n`, `${long(3000)}\r\n`],
    'hard error limit (20)': Array.from({ length: 21 }, () => 'FOO\r\n'),
    'STARTTLS with argument': ['STARTTLS x\r\n'],
    'STARTTLS, then EHLO inside TLS': [
      'EHLO client.example.net\r\n',
      'STARTTLS\r\n',
      'STARTTLS!',
      'EHLO client.example.net\r\n',
    ],
    'STARTTLS twice': ['STARTTLS\r\n', 'STARTTLS!', 'STARTTLS\r\n'],
    'AUTH inside TLS': ['STARTTLS\r\n', 'STARTTLS!', `AUTH PLAIN ${b64('\0admin\0secret')}\r\n`],
  };
}

/** Per-message values masked: the queue id (10 to 12 hex digits, its length varies too). */
export const maskSmtp = (s: string) => s.replace(/queued as [0-9A-F]{10,12}/g, 'queued as QUEUEID');

/** A reply is complete at a `NNN ` line (a multi-line reply ends with one). */
const complete = (s: string) => /(^|\r\n)\d{3}( [^\r\n]*)?\r\n$/.test(s);

/**
 * Reads the greeting, then sends each step and reads its reply (complete, or nothing for
 * `quietMs` after the last byte, at most `waitMs`: Dovecot holds a failed AUTH back 2 s, and
 * longer, up to 15 s, once one client address has failed a few times — its auth penalty).
 */
export async function smtpConverse(host: string, steps: SmtpStepInput[], opts = { waitMs: 20_000, quietMs: 300 }) {
  let s: net.Socket | tls.TLSSocket = net.connect({ host, port: 25 });
  let buf = '';
  let closed = false;
  const attach = (sock: net.Socket) => {
    sock.on('data', (d: Buffer) => (buf += d.toString('latin1')));
    sock.on('close', () => (closed = true));
    sock.on('error', () => undefined);
  };
  attach(s);
  const reply = async () => {
    const start = Date.now();
    let last = buf.length;
    let lastAt = start;
    for (;;) {
      // A 421/221 reply is followed by the server's hang-up: wait for it, so whether the close was
      // seen does not depend on how fast this loop polled (it differed between runs).
      const closing = /(^|\n)(421|221) [^\n]*\r\n$/.test(buf);
      if (closed || (buf && complete(buf) && !closing)) break;
      if (buf.length !== last) [last, lastAt] = [buf.length, Date.now()];
      const quietFor = closing ? 5_000 : opts.quietMs;
      if (Date.now() - start > opts.waitMs || (buf && Date.now() - lastAt > quietFor)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const out = buf + (closed ? '[closed]' : '');
    buf = '';
    return out;
  };
  const answers = [await reply()];
  for (const step of steps) {
    if (closed) break;
    if (step === 'STARTTLS!') {
      s.removeAllListeners('data');
      const t: tls.TLSSocket = tls.connect({ socket: s, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => t.once('secureConnect', resolve).once('error', reject));
      attach(t);
      s = t;
      answers.push(`[tls ${t.getProtocol() ?? ''}]`);
      continue;
    }
    s.write(Buffer.from(step, 'latin1'));
    answers.push(await reply());
  }
  s.destroy();
  return answers.map(maskSmtp);
}
