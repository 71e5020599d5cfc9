import type { FsNode } from '../vfs';
import { sizeOf } from '../vfs';
import type { ShellState } from '../types';

/** `ls -l` columns as GNU ls prints them: mode, links, owner, group, size, date, name. */
export function modeString(node: FsNode): string {
  if (node.link !== undefined) return 'lrwxrwxrwx';
  const m = node.mode;
  const bit = (mask: number, c: string) => (m & mask ? c : '-');
  let s = node.kind === 'dir' ? 'd' : '-';
  s += bit(0o400, 'r') + bit(0o200, 'w') + bit(0o100, 'x');
  s += bit(0o040, 'r') + bit(0o020, 'w') + bit(0o010, 'x');
  s += bit(0o004, 'r') + bit(0o002, 'w');
  s += m & 0o1000 ? (m & 0o001 ? 't' : 'T') : bit(0o001, 'x');
  return s;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** `Mar  3 09:14` within six months of now, `Jan 14  2025` otherwise (ls's recent/old formats). */
export function lsDate(ms: number, now: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const recent = now - ms < 182 * 86_400_000 && ms <= now + 3_600_000;
  const tail = recent
    ? `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
    : ` ${d.getUTCFullYear()}`;
  return `${months[d.getUTCMonth()]} ${day} ${tail}`;
}

export function ownerName(sh: ShellState, uid: number): string {
  return (
    sh.users.find((u) => u.uid === uid)?.name ??
    ({ 33: 'www-data', 65534: 'nobody' } as Record<number, string>)[uid] ??
    String(uid)
  );
}

export function groupName(sh: ShellState, gid: number): string {
  return (
    sh.users.find((u) => u.gid === gid)?.name ??
    ({ 4: 'adm', 42: 'shadow', 33: 'www-data' } as Record<number, string>)[gid] ??
    String(gid)
  );
}

export function longListing(
  sh: ShellState,
  entries: readonly (readonly [string, FsNode, string])[],
  human: boolean,
): string[] {
  const now = sh.now();
  const rows = entries.map(([name, n, path]) => {
    const size = sizeOf(n);
    const subdirs =
      n.kind === 'dir'
        ? sh.fs.list(path).filter((k) => sh.fs.stat(`${path === '/' ? '' : path}/${k}`)?.kind === 'dir').length
        : 0;
    const links = n.kind === 'dir' && n.link === undefined ? String(2 + subdirs) : '1';
    return [
      modeString(n),
      links,
      ownerName(sh, n.uid),
      groupName(sh, n.gid),
      human ? humanSize(size) : String(size),
      lsDate(n.mtime, now),
      n.link !== undefined ? `${name} -> ${n.link}` : name,
    ] as const;
  });
  const w = [1, 2, 3, 4].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      `${r[0]} ${r[1].padStart(w[0]!)} ${r[2].padEnd(w[1]!)} ${r[3].padEnd(w[2]!)} ${r[4].padStart(w[3]!)} ${r[5]} ${r[6]}`,
  );
}

/** Blocks (1K units, 4K allocation) for `total`. */
export function blocks(n: FsNode): number {
  if (n.link !== undefined) return 0;
  return Math.ceil(sizeOf(n) / 4096) * 4;
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  const units = ['K', 'M', 'G', 'T'];
  let v = bytes;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return v < 10 ? `${(Math.ceil(v * 10) / 10).toFixed(1)}${units[u]}` : `${Math.ceil(v)}${units[u]}`;
}

/** GNU ls's column layout (-C) for a terminal `width` wide, column-major. */
export function columns(names: readonly string[], width = 80): string {
  if (!names.length) return '';
  for (let cols = Math.min(names.length, Math.floor(width / 3)); cols >= 1; cols--) {
    const rows = Math.ceil(names.length / cols);
    const widths: number[] = [];
    for (let c = 0; c < cols; c++) {
      const col = names.slice(c * rows, (c + 1) * rows);
      widths.push(Math.max(0, ...col.map((n) => n.length)) + 2);
    }
    if (widths.length && widths.reduce((a, b) => a + b, 0) - 2 > width && cols > 1) continue;
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      let line = '';
      for (let c = 0; c < cols; c++) {
        const name = names[c * rows + r];
        if (name === undefined) continue;
        const nextExists = names[(c + 1) * rows + r] !== undefined;
        line += nextExists ? name.padEnd(widths[c]!) : name;
      }
      lines.push(line);
    }
    return lines.join('\n') + '\n';
  }
  return names.join('\n') + '\n';
}
