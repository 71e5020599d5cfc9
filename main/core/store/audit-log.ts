import { open, readFile, rename, stat } from 'node:fs/promises';
import type { AuditEntry } from '../../../shared/ipc/contract';
import { createSerial } from '../../../shared/node/serial';

/** Where audit entries go; the dispatcher calls it after each state-changing command (the log stamps the time). */
export type AuditRecorder = (entry: Omit<AuditEntry, 'at'>) => Promise<void>;

export type AuditLog = Readonly<{
  record: AuditRecorder;
  /** The newest entries first (at most `limit`, from the current file and the rotated one). */
  list(limit: number): Promise<AuditEntry[]>;
}>;

export const auditLimits = {
  /** The file rotates to `audit.jsonl.1` at this size (one older generation is kept). */
  rotateBytes: 8 * 1024 * 1024,
  /** A masked or oversized input is cut to this many characters of JSON. */
  inputChars: 4096,
} as const;

/** Field names whose values never enter the trail (join tokens, webhook secrets, SMTP passwords, keys). */
const SECRET = /secret|password|token|key|pem/i;

/** A copy of `input` with secret-named fields masked, bounded in size. */
export function maskInput(input: unknown): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 8) return '…';
    // IPC carries structured-clone values JSON cannot: a BigInt would make the line unwritable.
    if (typeof v === 'bigint') return `${v}n`;
    if (Array.isArray(v)) return v.slice(0, 64).map((x) => walk(x, depth + 1));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET.test(k) ? '***' : walk(x, depth + 1)]),
      );
    return v;
  };
  const masked = walk(input, 0);
  const text = JSON.stringify(masked) ?? 'null';
  return text.length <= auditLimits.inputChars ? masked : `${text.slice(0, auditLimits.inputChars)}…`;
}

/**
 * The audit trail: one JSON line per state-changing command, appended and fsynced before the
 * command's answer leaves (they are rare: a human's clicks), so an acknowledged change is on disk
 * with who made it. Append-only; rotated by size with one older generation.
 */
export function openAuditLog(path: string, now: () => string): AuditLog {
  const serial = createSerial();
  const append = async (line: string): Promise<void> => {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size + line.length > auditLimits.rotateBytes && size > 0) await rename(path, `${path}.1`);
    const fh = await open(path, 'a', 0o600);
    try {
      await fh.appendFile(line);
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  const readLines = async (p: string): Promise<AuditEntry[]> => {
    const text = await readFile(p, 'utf8').catch(() => '');
    const out: AuditEntry[] = [];
    for (const l of text.split('\n')) {
      if (!l.trim()) continue;
      try {
        out.push(JSON.parse(l) as AuditEntry);
      } catch {
        continue; // a torn last line after a crash: the rest stands
      }
    }
    return out;
  };
  return {
    record(entry) {
      const line = JSON.stringify({ at: now(), ...entry, input: maskInput(entry.input) }) + '\n';
      return serial(() => append(line));
    },
    async list(limit) {
      const current = await readLines(path);
      const older = current.length >= limit ? [] : await readLines(`${path}.1`);
      return [...older, ...current].slice(-limit).reverse();
    },
  };
}
