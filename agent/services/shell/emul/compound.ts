import { expandWord } from './expand';
import type { Compound, Script } from './parser';
import type { Io, ShellState } from './types';

/**
 * Runs `for`, `while`/`until` and `if`. Loops are bounded twice: by the per-line count of simple
 * commands (every body command counts) and by an iteration cap for bodies that run nothing.
 */
export const maxLoopIterations = 1_000;

export type ScriptRunner = ShellState &
  Readonly<{
    runScript: (s: Script, io: Io) => number;
    setVar: (k: string, v: string) => void;
    budgetLeft: () => boolean;
  }>;

export function runCompound(sh: ScriptRunner, c: Compound, io: Io): number {
  let code = 0;
  if (c.t === 'if') {
    for (const clause of c.clauses) if (sh.runScript(clause.cond, io) === 0) return sh.runScript(clause.body, io);
    return c.otherwise ? sh.runScript(c.otherwise, io) : 0;
  }
  if (c.t === 'for') {
    const items = c.items === null ? [] : c.items.flatMap((w) => expandWord(sh, w, io));
    for (const [i, v] of items.entries()) {
      if (i >= maxLoopIterations || sh.exited || !sh.budgetLeft()) break;
      sh.setVar(c.name, v);
      code = sh.runScript(c.body, io);
    }
    return code;
  }
  for (let i = 0; i < maxLoopIterations && !sh.exited && sh.budgetLeft(); i++) {
    const cond = sh.runScript(c.cond, io);
    if (c.until ? cond === 0 : cond !== 0) break;
    code = sh.runScript(c.body, io);
  }
  return code;
}
