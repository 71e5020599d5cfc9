import { decodeBase64, decodeSaslPlain, decodeSaslText, loginChallenges } from './sasl';
import {
  authFailed,
  authFailureDelayMs,
  postfixQueueId,
  smtpLimits,
  type SmtpState,
  type SmtpStep,
} from './smtp-state';

/** The parts of the dialogue that carry a transaction: DATA, BDAT chunks, AUTH exchanges, errors. */
export function resetTransaction(st: SmtpState): void {
  st.mailFrom = null;
  st.rcpts = [];
  st.inData = false;
  st.dataChunks = [];
  st.dataBytes = 0;
}

/** The recorded message event once the lone dot arrives. */
export function finishData(st: SmtpState, step: SmtpStep): void {
  const tooBig = st.dataBytes > smtpLimits.messageSizeLimit;
  const queueId = postfixQueueId();
  const message = Buffer.concat(st.dataChunks).toString('utf8');
  const subject = /^subject:[ \t]*(.*)$/im.exec(message.slice(0, 64 * 1024))?.[1]?.slice(0, 512) ?? '';
  step.events.push({
    kind: 'command',
    data: {
      verb: 'MESSAGE',
      mailFrom: st.mailFrom ?? '',
      rcptTo: st.rcpts.slice(0, smtpLimits.maxRecordedRecipients),
      rcptCount: st.rcpts.length,
      bytes: st.dataBytes,
      subject,
      message,
      truncated: st.dataBytes > smtpLimits.maxRecordedBytes,
      ...(tooBig ? {} : { queueId }),
    },
  });
  st.messages += 1;
  resetTransaction(st);
  step.replies.push(tooBig ? '552 5.3.4 Error: message file too big' : `250 2.0.0 Ok: queued as ${queueId}`);
}

export function dataLine(line: string, st: SmtpState, step: SmtpStep): void {
  if (line === '.') return finishData(st, step);
  // Dot-stuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
  const text = (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
  const bytes = Buffer.byteLength(text);
  const room = smtpLimits.maxRecordedBytes - st.dataBytes;
  if (room > 0) st.dataChunks.push(Buffer.from(text).subarray(0, room));
  st.dataBytes += bytes;
}

export function authLine(line: string, st: SmtpState, step: SmtpStep, initial = false): void {
  const auth = st.auth;
  if (!auth) return;
  if (line.trim() === '*') {
    st.auth = null;
    step.replies.push('501 5.7.0 Authentication aborted');
    return;
  }
  // Dovecot judges the base64 before the mechanism does, and says so at once.
  if (decodeBase64(line) === null) {
    st.auth = null;
    return fail(
      st,
      step,
      `535 5.7.8 Error: authentication failed: Invalid base64 data in ${initial ? 'initial' : 'continued'} response`,
    );
  }
  const refuse = () => {
    st.auth = null;
    step.delayMs = authFailureDelayMs;
    fail(st, step, authFailed);
  };
  if (auth.mech === 'PLAIN') {
    const creds = decodeSaslPlain(line);
    if (creds)
      step.events.push({
        kind: 'auth',
        data: {
          method: 'AUTH PLAIN',
          username: creds.username,
          password: creds.password,
          ...(creds.authzid ? { authzid: creds.authzid } : {}),
        },
      });
    return refuse();
  }
  const text = decodeSaslText(line) ?? '';
  if (auth.username === null) {
    auth.username = text;
    step.replies.push(`334 ${loginChallenges.password}`);
    return;
  }
  step.events.push({ kind: 'auth', data: { method: 'AUTH LOGIN', username: auth.username, password: text } });
  refuse();
}

/** An error reply, counted towards smtpd_hard_error_limit (checked before the next command). */
export function fail(st: SmtpState, step: SmtpStep, reply: string): void {
  st.errors += 1;
  step.replies.push(reply);
}

/** One line of a BDAT chunk (with its CR LF); the reply once the chunk's bytes are in. */
export function bdatLine(line: string, st: SmtpState, step: SmtpStep): void {
  const chunk = st.bdat!;
  const text = line + '\r\n';
  const bytes = Buffer.byteLength(text);
  // A chunk that ends inside a line takes only its share (the line reader works in lines).
  const take = Buffer.from(text).subarray(0, Math.min(bytes, chunk.remaining));
  chunk.remaining -= take.length;
  const room = smtpLimits.maxRecordedBytes - st.dataBytes;
  if (room > 0 && st.rcpts.length) st.dataChunks.push(take.subarray(0, room));
  st.dataBytes += take.length;
  if (chunk.remaining <= 0) bdatDone(st, step);
}

export function bdatDone(st: SmtpState, step: SmtpStep): void {
  const chunk = st.bdat!;
  st.bdat = null;
  if (!st.rcpts.length) {
    st.dataBytes = 0;
    return fail(st, step, '503 5.5.1 Error: need RCPT command');
  }
  if (!chunk.last) return void step.replies.push(`250 2.0.0 Ok: ${chunk.size} bytes`);
  const total = st.dataBytes;
  finishData(st, step);
  const queued = step.replies.pop()!;
  step.replies.push(queued.replace('Ok: queued', `Ok: ${total} bytes queued`));
}
