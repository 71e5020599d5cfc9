/**
 * What a captured file is, from its first bytes (as `file(1)` would say it, in one word), never
 * from its name: droppers name an ELF `x.sh` and a script `.jpg`.
 */
export const fileTypes = [
  'elf',
  'pe',
  'mach-o',
  'shell-script',
  'python-script',
  'perl-script',
  'script',
  'gzip',
  'bzip2',
  'xz',
  'zip',
  'tar',
  '7z',
  'rar',
  'jar-class',
  'empty',
  'text',
  'data',
] as const;
export type FileType = (typeof fileTypes)[number];

const starts = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);

export function fileTypeOf(b: Uint8Array): FileType {
  if (b.length === 0) return 'empty';
  if (starts(b, [0x7f, 0x45, 0x4c, 0x46])) return 'elf';
  if (starts(b, [0x4d, 0x5a])) return 'pe';
  if (
    starts(b, [0xcf, 0xfa, 0xed, 0xfe]) ||
    starts(b, [0xce, 0xfa, 0xed, 0xfe]) ||
    starts(b, [0xfe, 0xed, 0xfa, 0xcf]) ||
    starts(b, [0xfe, 0xed, 0xfa, 0xce])
  )
    return 'mach-o';
  if (starts(b, [0xca, 0xfe, 0xba, 0xbe])) return 'jar-class';
  if (starts(b, [0x1f, 0x8b])) return 'gzip';
  if (starts(b, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts(b, [0x50, 0x4b, 0x03, 0x04]) || starts(b, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (starts(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7z';
  if (starts(b, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'rar';
  // ustar magic at offset 257
  if (starts(b, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) return 'tar';
  if (starts(b, [0x23, 0x21])) {
    const line =
      Buffer.from(b.subarray(0, Math.min(b.length, 128)))
        .toString('latin1')
        .split('\n')[0] ?? '';
    if (/\b(ba|da|k|z|a)?sh\b/.test(line)) return 'shell-script';
    if (/python/.test(line)) return 'python-script';
    if (/perl/.test(line)) return 'perl-script';
    return 'script';
  }
  return looksLikeText(b) ? 'text' : 'data';
}

/** Text when the first 4 KiB hold no NUL and almost only printable bytes (UTF-8 passes). */
function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return false;
    if (c < 0x09 || (c > 0x0d && c < 0x20 && c !== 0x1b)) odd += 1;
  }
  return odd * 100 <= n;
}
