import { loginChallenges } from './sasl';
import {
  badUtf8,
  bdatSyntax,
  forbiddenCommand,
  forbiddenReply,
  parseBdat,
  splitCommand,
  unsupportedMailParam,
  vrfyAddress,
} from './postfix-commands';
import { authLine, bdatDone, bdatLine, dataLine, fail, resetTransaction } from './smtp-transaction';
import { smtpLimits, type SmtpConfig, type SmtpState, type SmtpStep } from './smtp-state';

/**
 * The SMTP dialogue of a Debian-packaged Postfix (smtpd) with Dovecot SASL, as a pure state
 * machine: one input line in, replies and capture events out (smtp.ts owns the socket and TLS).
 */
export { newSmtpState, postfixQueueId, smtpLimits } from './smtp-state';
export type { SmtpConfig, SmtpEvent, SmtpState, SmtpStep } from './smtp-state';

export function ehloLines(cfg: SmtpConfig, st: SmtpState): string[] {
  const caps = ['PIPELINING', `SIZE ${smtpLimits.messageSizeLimit}`, 'VRFY', 'ETRN'];
  if (cfg.startTls && !st.tls) caps.push('STARTTLS');
  caps.push('AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING');
  return [cfg.hostname, ...caps].map((c, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${c}`);
}

/** `<user@example.com> SIZE=12` → `user@example.com`; null on bad syntax. */
export function parsePath(arg: string): string | null {
  const m = /^\s*<([^<>\s]{0,512})>(?:\s.*)?$/.exec(arg) ?? /^\s*([^<>\s]{1,512})(?:\s.*)?$/.exec(arg);
  return m ? (m[1] ?? '') : null;
}

function isLocal(address: string, hostname: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return true;
  const domain = address.slice(at + 1).toLowerCase();
  const host = hostname.toLowerCase();
  const parent = host.includes('.') ? host.slice(host.indexOf('.') + 1) : host;
  return domain === host || domain === parent || domain === 'localhost' || domain === `localhost.${parent}`;
}

export function smtpLine(line: string, st: SmtpState, cfg: SmtpConfig): SmtpStep {
  const step: SmtpStep = { replies: [], close: false, startTls: false, events: [] };
  if (st.inData) {
    dataLine(line, st, step);
    return step;
  }
  if (st.bdat) {
    bdatLine(line, st, step);
    return step;
  }
  // smtpd checks the hard error limit when the next command arrives, not with the last error.
  if (st.errors >= smtpLimits.maxErrors) {
    step.replies.push(`421 4.7.0 ${cfg.hostname} Error: too many errors`);
    step.close = true;
    return step;
  }
  if (st.auth) {
    authLine(line, st, step);
    return step;
  }
  const bad = (reply: string) => {
    fail(st, step, reply);
    return step;
  };
  const ok = (...replies: string[]) => {
    step.replies.push(...replies);
    return step;
  };
  if (badUtf8(line)) return bad('500 5.5.2 Error: bad UTF-8 syntax');
  const { verb, arg, word } = splitCommand(line);
  if (verb !== 'AUTH' && verb !== '')
    step.events.push({ kind: 'command', data: { verb: verb.slice(0, 16), arg: arg.slice(0, 512) } });

  switch (verb) {
    case 'EHLO':
    case 'HELO':
      if (!arg) return bad(`501 Syntax: ${verb} hostname`);
      resetTransaction(st);
      st.helo = arg.slice(0, 255);
      return verb === 'EHLO' ? ok(...ehloLines(cfg, st)) : ok(`250 ${cfg.hostname}`);
    case 'STARTTLS':
      if (st.tls) return bad('554 5.5.1 Error: TLS already active');
      if (!cfg.startTls) return bad('502 5.5.1 Error: command not implemented');
      if (arg) return bad('501 5.5.4 Syntax: STARTTLS');
      step.startTls = true;
      return ok('220 2.0.0 Ready to start TLS');
    case 'AUTH': {
      // smtpd_helo_required = no (the default): AUTH and MAIL need no HELO first.
      if (st.mailFrom !== null) return bad('503 5.5.1 Error: MAIL transaction in progress');
      const [mechRaw = '', initial] = arg.split(/\s+/, 2);
      const mech = mechRaw.toUpperCase();
      step.events.push({ kind: 'command', data: { verb: 'AUTH', arg: mech.slice(0, 32) } });
      if (mech !== 'PLAIN' && mech !== 'LOGIN') {
        if (!mech) return bad('501 5.5.4 Syntax: AUTH mechanism');
        return bad('535 5.7.8 Error: authentication failed: Invalid authentication mechanism');
      }
      st.auth = { mech, username: null };
      if (initial === undefined) return ok(mech === 'PLAIN' ? '334 ' : `334 ${loginChallenges.username}`);
      // "=" is the RFC 4954 spelling of an empty initial response.
      authLine(initial === '=' ? '' : initial, st, step, true);
      return step;
    }
    case 'MAIL': {
      if (st.mailFrom !== null) return bad('503 5.5.1 Error: nested MAIL command');
      if (st.messages >= smtpLimits.maxMessages) return bad('452 4.3.1 Insufficient system storage');
      const m = /^FROM:\s*(.*)$/i.exec(arg);
      if (!m) return bad('501 5.5.4 Syntax: MAIL FROM:<address>');
      const from = parsePath(m[1] ?? '');
      if (from === null) return bad('501 5.1.7 Bad sender address syntax');
      const params = (m[1] ?? '').replace(/^\s*(<[^>]*>|\S+)/, '');
      const unsupported = unsupportedMailParam(params);
      if (unsupported) return bad(`555 5.5.4 Unsupported option: ${unsupported}`);
      const size = /\bSIZE=(\d+)/i.exec(params);
      if (size && Number(size[1]) > smtpLimits.messageSizeLimit)
        return bad('552 5.3.4 Message size exceeds fixed limit');
      st.mailFrom = from;
      return ok('250 2.1.0 Ok');
    }
    case 'RCPT': {
      if (st.mailFrom === null) return bad('503 5.5.1 Error: need MAIL command');
      const m = /^TO:\s*(.*)$/i.exec(arg);
      if (!m) return bad('501 5.5.4 Syntax: RCPT TO:<address>');
      const to = parsePath(m[1] ?? '');
      if (to === null || to === '') return bad('501 5.1.3 Bad recipient address syntax');
      if (st.rcpts.length >= smtpLimits.maxRecipients) return bad('452 4.5.3 Error: too many recipients');
      if (!cfg.relay && !isLocal(to, cfg.hostname)) return bad(`454 4.7.1 <${to}>: Relay access denied`);
      st.rcpts.push(to);
      return ok('250 2.1.5 Ok');
    }
    case 'DATA':
      if (st.mailFrom === null) return bad('503 5.5.1 Error: need RCPT command');
      if (st.rcpts.length === 0) return bad('554 5.5.1 Error: no valid recipients');
      if (arg) return bad('501 5.5.4 Syntax: DATA');
      st.inData = true;
      return ok('354 End data with <CR><LF>.<CR><LF>');
    case 'BDAT': {
      const b = parseBdat(arg);
      if (!b) {
        step.close = true;
        return ok(bdatSyntax);
      }
      st.bdat = { remaining: b.count, last: b.last, size: b.count };
      if (b.count === 0) bdatDone(st, step);
      return step;
    }
    case 'RSET':
      if (arg) return bad('501 5.5.4 Syntax: RSET');
      resetTransaction(st);
      return ok('250 2.0.0 Ok');
    case 'NOOP':
      return ok('250 2.0.0 Ok');
    case 'VRFY': {
      if (!arg) return bad('501 5.5.4 Syntax: VRFY address [SMTPUTF8]');
      // smtpd runs the recipient checks: a foreign domain is a relay attempt.
      const addr = vrfyAddress(arg);
      if (addr === null) return bad('501 5.1.3 Bad recipient address syntax');
      if (!cfg.relay && !isLocal(addr, cfg.hostname)) return bad(`454 4.7.1 <${addr}>: Relay access denied`);
      return ok(`252 2.0.0 ${arg.slice(0, 256)}`);
    }
    case 'ETRN':
      if (!arg) return bad('500 Syntax: ETRN domain');
      // fast_flush_domains is $relay_domains, empty at compatibility level 3.6.
      return bad(`459 <${arg.slice(0, 256)}>: service unavailable`);
    case 'XCLIENT':
    case 'XFORWARD':
      return bad('550 5.7.0 Error: insufficient authorization');
    case 'QUIT':
      step.close = true;
      return ok('221 2.0.0 Bye');
    case 'CONNECT':
    case 'GET':
    case 'POST':
      // smtpd_forbidden_commands: a web client or proxy probe talking to the mail port.
      step.close = true;
      return ok(forbiddenReply);
    case '':
      return bad('500 5.5.2 Error: bad syntax');
    default:
      if (forbiddenCommand(word)) {
        step.close = true;
        return ok(forbiddenReply);
      }
      return bad('500 5.5.2 Error: command not recognized');
  }
}
