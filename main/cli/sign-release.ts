// Signs a built agent tarball with the console's release key (created on first use beside its CA
// key): writes <tarball>.sha256 (sha256sum format) and <tarball>.sig (base64 Ed25519 signature).
// Run by scripts/package-agent.mjs through tsx (not part of the decnet-master bin), so signing has one implementation (release-key.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { ensureReleaseKey, signRelease } from '../core/updater/release-key';

const [tarball] = process.argv.slice(2);
if (!tarball) throw new Error('usage: sign-release.ts <tarball>');
const dataDir = process.env['DECNET_DATA_DIR'] ?? join(homedir(), '.local', 'share', 'decnet');
const key = await ensureReleaseKey(join(dataDir, 'ca'));
const sig = signRelease(await readFile(tarball), key);
await writeFile(`${tarball}.sha256`, `${sig.sha256}  ${basename(tarball)}\n`);
await writeFile(`${tarball}.sig`, `${sig.signatureBase64}\n`);
console.log(`signed with ${key.path}`);
