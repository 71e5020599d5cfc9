import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { AppError } from '../../../shared/errors';

export type BundleFile = Readonly<{ name: string; mode: number; data: string }>;

const BLOCK = 512;

/**
 * A gzip'd ustar archive built in memory, so the worker's private key is never written to the
 * master's disk on its way into the bundle.
 */
export function buildTarGz(files: readonly BundleFile[], mtime = new Date()): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data, 'utf8');
    const header = new Header({
      path: f.name,
      mode: f.mode,
      size: data.length,
      mtime,
      type: 'File',
      uid: 0,
      gid: 0,
      uname: 'root',
      gname: 'root',
    });
    const block = Buffer.alloc(BLOCK);
    header.encode(block, 0);
    if (header.needPax)
      throw new AppError('INTERNAL', `bundle entry name ${f.name} is too long for a plain tar header`);
    parts.push(block, data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}
