// Runs the real electron-log (its Node build: same transports, no Electron) against a temp file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import log from 'electron-log/node.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveLog, configureElectronLog, electronLogger } from '../../../main/shell/log-setup';
import { makeTmpDir } from '../../helpers/tmp-dir';

describe('electron-log setup', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => (tmp = await makeTmpDir('decnet-elog-')));
  afterAll(() => tmp.remove());

  it('applies the level, keeps fields and child bindings, and rotates by size', () => {
    const file = join(tmp.dir, 'logs', 'main.log');
    log.transports.console.level = false;
    configureElectronLog(log, { level: 'warn', file, maxBytes: 2000, archives: 2 });
    log.transports.console.level = false;
    expect(log.transports.file.level).toBe('warn');
    const logger = electronLogger(log).child({ component: 'local-agent' });
    logger.info('dropped at warn');
    logger.debug('dropped too');
    logger.warn('agent exited', { code: 3 });
    logger.child({ part: 'runtime' }).critical('disk full');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('dropped');
    expect(text).toMatch(/agent exited.*component: 'local-agent'.*code: 3/);
    expect(text).toMatch(/CRITICAL disk full.*component: 'local-agent'.*part: 'runtime'/);
    for (let i = 0; i < 60; i++) logger.error('x'.repeat(100), { i });
    expect(existsSync(join(tmp.dir, 'logs', 'main.1.log'))).toBe(true);
    expect(readFileSync(file).length).toBeLessThanOrEqual(2000 + 400);
  });

  it('archives shift by one and the oldest is dropped', () => {
    const p = join(tmp.dir, 'a.log');
    for (const [f, c] of [
      [p, 'current'],
      [join(tmp.dir, 'a.1.log'), 'one'],
      [join(tmp.dir, 'a.2.log'), 'two'],
    ] as const)
      writeFileSync(f, c);
    archiveLog(p, 2);
    expect(existsSync(p)).toBe(false);
    expect(readFileSync(join(tmp.dir, 'a.1.log'), 'utf8')).toBe('current');
    expect(readFileSync(join(tmp.dir, 'a.2.log'), 'utf8')).toBe('one');
    expect(existsSync(join(tmp.dir, 'a.3.log'))).toBe(false);
  });
});
