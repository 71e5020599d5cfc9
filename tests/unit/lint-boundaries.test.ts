import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The boundary rules from eslint.config.mjs, applied to probe sources at the paths they would live.
const root = join(import.meta.dirname, '..', '..');

async function lint(relPath: string, code: string): Promise<string[]> {
  // A computed specifier: the config is plain JS without type declarations.
  const configModule: string = '../../eslint.config.mjs';
  const { boundaryConfig } = (await import(configModule)) as { boundaryConfig: ESLint.Options['overrideConfig'] };
  const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: boundaryConfig });
  const [result] = await eslint.lintText(code, { filePath: join(root, relPath) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('import boundaries (DESIGN.md §2)', () => {
  it('refuses electron in main/core', async () => {
    const msgs = await lint('main/core/probe.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports.*Only main\/shell and main\/preload may import electron/);
  });

  it('refuses node modules in renderer and in pure shared', async () => {
    expect(
      (await lint('renderer/src/probe.ts', "import { readFile } from 'node:fs';\nexport const r = readFile;\n")).join(
        '\n',
      ),
    ).toMatch(/renderer never imports Node/);
    expect(
      (await lint('shared/probe.ts', "import { createHash } from 'node:crypto';\nexport const h = createHash;\n")).join(
        '\n',
      ),
    ).toMatch(/shared\/ has no Node/);
  });

  it('refuses main/ from the renderer and the agent', async () => {
    expect(
      (
        await lint('renderer/src/probe.ts', "import { x } from '../../shared/node/logger';\nexport const y = x;\n")
      ).join('\n'),
    ).toMatch(/no-restricted-paths/);
    expect(
      (await lint('agent/probe.ts', "import x from '../main/core/tsconfig.json';\nexport const y = x;\n")).join('\n'),
    ).toMatch(/agent never imports the master/);
  });

  it('keeps a service family to its own folder, kit/, codecs/ and shared/', async () => {
    const other = "import { listenAll } from '../mail/mail-common';\nexport const y = listenAll;\n";
    expect((await lint('agent/services/http/probe.ts', other)).join('\n')).toMatch(
      /a service imports only its own family folder/,
    );
    const agentRoot = "import { x } from '../../fleet';\nexport const y = x;\n";
    expect((await lint('agent/services/kit/probe.ts', agentRoot)).join('\n')).toMatch(
      /a service imports only its own family folder/,
    );
    const allowed =
      "import { a } from '../kit/listen-all';\nimport { b } from '../codecs/ber-codec';\nimport { c } from './mail-common';\nimport { d } from '../../../shared/errors';\nexport const y = [a, b, c, d];\n";
    expect(await lint('agent/services/mail/probe.ts', allowed)).toEqual([]);
  });

  it('allows what the design allows', async () => {
    expect(
      await lint(
        'main/core/probe.ts',
        "import { readFile } from 'node:fs';\nimport { z } from 'zod';\nexport const a = [readFile, z];\n",
      ),
    ).toEqual([]);
    expect(await lint('main/shell/probe.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
  });
});
