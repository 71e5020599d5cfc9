import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invokeCommand } from '../../../main/core/dispatch';
import { maskInput, openAuditLog } from '../../../main/core/store/audit-log';
import type { CommandHandlers } from '../../../shared/ipc/types';
import { silentLogger } from '../../../shared/node/logger';
import { makeTmpDir } from '../../helpers/tmp-dir';

// Found by the hostile fuzzer: over Electron IPC a command's input is a structured clone, which
// can hold a BigInt; JSON.stringify threw inside the audit recorder, synchronously, so the
// dispatcher rejected instead of resolving a Result and the attempt never reached the trail.
describe('audit trail with structured-clone input', () => {
  it('masks a BigInt as text, and the dispatcher records the refused attempt', async () => {
    expect(maskInput({ replace: { '': 0n }, token: 1n })).toEqual({ replace: { '': '0n' }, token: '***' });
    const tmp = await makeTmpDir('decnet-audit-bigint-');
    try {
      const path = join(tmp.dir, 'audit.jsonl');
      const log = openAuditLog(path, () => '2026-12-04T00:00:00.000Z');
      const result = await invokeCommand({} as CommandHandlers, 'hosts.enroll', { replace: { '': 0n } }, silentLogger, {
        actor: 'desktop',
        record: log.record,
      });
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      const line = JSON.parse((await readFile(path, 'utf8')).trim()) as Record<string, unknown>;
      expect(line).toMatchObject({
        actor: 'desktop',
        command: 'hosts.enroll',
        ok: false,
        input: { replace: { '': '0n' } },
      });
    } finally {
      await tmp.remove();
    }
  });
});
