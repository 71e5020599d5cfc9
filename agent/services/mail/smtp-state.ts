import { randomBytes } from 'node:crypto';

/** The SMTP session's limits, configuration and state (smtp-session.ts drives them). */
export const smtpLimits = {
  /** Longest line accepted while reading DATA before the connection is dropped as malformed. */
  maxLineBytes: 64 * 1024,
  /** Bytes of one message kept for the analyst. */
  maxRecordedBytes: 1024 * 1024,
  /** Advertised SIZE (Postfix default message_size_limit). */
  messageSizeLimit: 10_240_000,
  /** smtpd_hard_error_limit */
  maxErrors: 20,
  /** smtpd_recipient_limit */
  maxRecipients: 1000,
  maxRecordedRecipients: 100,
  maxMessages: 50,
  maxCommands: 500,
  /** smtpd_timeout */
  idleMs: 300_000,
} as const;

export type SmtpConfig = Readonly<{
  hostname: string;
  /** Open relay: every recipient is accepted. */
  relay: boolean;
  /** STARTTLS is offered (a certificate exists). */
  startTls: boolean;
}>;

type AuthStep = { mech: 'PLAIN' | 'LOGIN'; username: string | null };

export type SmtpState = {
  helo: string | null;
  tls: boolean;
  mailFrom: string | null;
  rcpts: string[];
  inData: boolean;
  dataChunks: Buffer[];
  dataBytes: number;
  auth: AuthStep | null;
  /** A BDAT chunk still being read (bytes left), and whether it is the LAST one. */
  bdat: { remaining: number; last: boolean; size: number } | null;
  errors: number;
  messages: number;
};

export function newSmtpState(tls = false): SmtpState {
  return {
    helo: null,
    tls,
    mailFrom: null,
    rcpts: [],
    inData: false,
    dataChunks: [],
    dataBytes: 0,
    auth: null,
    bdat: null,
    errors: 0,
    messages: 0,
  };
}

export type SmtpEvent = Readonly<{ kind: 'command' | 'auth'; data: Record<string, unknown> }>;
/** `delayMs`: hold the replies back (Dovecot's auth_failure_delay behind a failed AUTH). */
export type SmtpStep = { replies: string[]; close: boolean; startTls: boolean; events: SmtpEvent[]; delayMs?: number };

/** Dovecot's auth_failure_delay: smtpd's 535 waits for Dovecot's answer (SASL type dovecot). */
export const authFailureDelayMs = 2_000;
export const authFailed = '535 5.7.8 Error: authentication failed: (reason unavailable)';

/** Postfix's short queue id: 10 to 12 upper-case hex digits. */
export function postfixQueueId(): string {
  return randomBytes(6)
    .toString('hex')
    .toUpperCase()
    .slice(0, 10 + ((randomBytes(1)[0] ?? 0) % 3));
}
