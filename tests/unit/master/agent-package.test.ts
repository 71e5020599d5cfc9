import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAgentPackage } from '../../../main/core/hosts/agent-package';
import { makeTmpDir } from '../../helpers/tmp-dir';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => cleanup?.());

describe('readAgentPackage', () => {
  it('hands out the newest worker tarball with its checksum and install line', async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    await writeFile(join(tmp.dir, 'decnet-agent-0.9.0-linux-x64.tar.gz'), 'old');
    await writeFile(join(tmp.dir, 'decnet-agent-0.10.0-linux-x64.tar.gz'), 'new');
    await writeFile(join(tmp.dir, 'unrelated.tar.gz'), 'x');
    const pkg = await readAgentPackage(tmp.dir);
    expect(pkg.fileName).toBe('decnet-agent-0.10.0-linux-x64.tar.gz');
    expect(Buffer.from(pkg.packageBase64, 'base64').toString()).toBe('new');
    expect(pkg.sha256).toBe(createHash('sha256').update('new').digest('hex'));
    expect(pkg.command).toBe('tar xzf decnet-agent-0.10.0-linux-x64.tar.gz && sudo ./decnet-agent-0.10.0/install.sh');
  });

  it('says how to build the package when there is none', async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    await expect(readAgentPackage(join(tmp.dir, 'missing'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('npm run package:agent'),
    });
  });
});
