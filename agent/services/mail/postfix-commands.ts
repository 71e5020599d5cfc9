/**
 * Postfix 3.7 smtpd's answers that depend only on the command line (measured against Debian's
 * postfix with its stock main.cf): the pre-parse checks, VRFY, MAIL parameters and BDAT syntax.
 */

/** smtpd's line_length_limit: a longer command line is cut there and the rest skipped. */
export const postfixLineLimit = 2048;

export const forbiddenReply = '221 2.7.0 Error: I can break rules, too. Goodbye.';

/**
 * The first word of a command line, as smtpd tokenizes it (leading white space skipped), and the
 * rest. The line is cut at line_length_limit bytes first, as smtp_get does.
 */
export function splitCommand(line: string): { verb: string; arg: string; word: string } {
  const bytes = Buffer.from(line, 'utf8');
  const cut = bytes.length > postfixLineLimit ? bytes.subarray(0, postfixLineLimit).toString('utf8') : line;
  const text = cut.replace(/^[ \t]+/, '');
  const space = text.search(/[ \t]/);
  const word = space < 0 ? text : text.slice(0, space);
  return { verb: word.toUpperCase(), word, arg: space < 0 ? '' : text.slice(space + 1).trim() };
}

/**
 * With smtputf8_enable (the default) a line that is not valid UTF-8 is refused before parsing.
 * The line reader decodes invalid bytes to U+FFFD, which is how they show here (a client that
 * sends a literal, valid U+FFFD is refused too: no mail client does).
 */
export const badUtf8 = (line: string) => line.includes('\uFFFD');

/**
 * An unknown command that smtpd hangs up on: one that looks like a message header (`Name:`) or
 * matches smtpd_forbidden_commands (CONNECT GET POST and, case-insensitively, /^[^A-Z]/).
 */
export function forbiddenCommand(word: string): boolean {
  return /^[^A-Za-z]/.test(word) || /^[\x21-\x39\x3b-\x7e]+:/.test(word);
}

/** VRFY's address: `<a@b>` or a bare word; null when smtpd calls the syntax bad. */
export function vrfyAddress(arg: string): string | null {
  if (/\s/.test(arg)) return null;
  const m = /^<(.*)>$/.exec(arg);
  const addr = m ? m[1]! : arg;
  return addr === '' ? null : addr;
}

const mailParams = /^(SIZE=\d+|BODY=(7BIT|8BITMIME)|SMTPUTF8|RET=(FULL|HDRS)|ENVID=\S+|AUTH=\S+)$/i;

/** The first MAIL FROM parameter smtpd does not support (e.g. `FOO=bar`), or null. */
export function unsupportedMailParam(params: string): string | null {
  for (const p of params.split(/[ \t]+/).filter(Boolean)) if (!mailParams.test(p)) return p;
  return null;
}

/** `BDAT <count> [LAST]`; null is smtpd's 521 (it then hangs up). */
export function parseBdat(arg: string): { count: number; last: boolean } | null {
  const m = /^(\d{1,9})(?:[ \t]+(LAST))?$/i.exec(arg);
  return m ? { count: Number(m[1]), last: m[2] !== undefined } : null;
}
export const bdatSyntax = '521 5.5.4 Syntax: BDAT count [LAST]';
