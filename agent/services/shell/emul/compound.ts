import { expandString, expandWord, globToRegExp } from './expand';
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
  if (c.t === 'brace') return sh.runScript(c.body, io);
  if (c.t === 'fundef') {
    sh.functions.set(c.name, c.body);
    return 0;
  }
  if (c.t === 'case') {
    const word = expandString(sh, c.word, io);
    for (const clause of c.clauses)
      if (clause.patterns.some((p) => globToRegExp(expandString(sh, p, io)).test(word)))
        return sh.runScript(clause.body, io);
    return 0;
  }
  if (c.t === 'if') {
    for (const clause of c.clauses) if (sh.runScript(clause.cond, io) === 0) return sh.runScript(clause.body, io);
    return c.otherwise ? sh.runScript(c.otherwise, io) : 0;
  }
  sh.loop.depth++;
  try {
    if (c.t === 'for') {
      const items = c.items === null ? [] : c.items.flatMap((w) => expandWord(sh, w, io));
      for (const [i, v] of items.entries()) {
        if (i >= maxLoopIterations || sh.exited || !sh.budgetLeft()) break;
        sh.setVar(c.name, v);
        code = sh.runScript(c.body, io);
        if (leaveLoop(sh)) break;
      }
      return code;
    }
    for (let i = 0; i < maxLoopIterations && !sh.exited && sh.budgetLeft(); i++) {
      const cond = sh.runScript(c.cond, io);
      if (c.until ? cond === 0 : cond !== 0) break;
      code = sh.runScript(c.body, io);
      if (leaveLoop(sh)) break;
    }
    return code;
  } finally {
    sh.loop.depth--;
  }
}

/**
 * After a body ran: does a pending `break`/`continue` end this loop? `break N`/`continue N` count
 * down one level per loop they leave; the last level's `continue` goes on with the next iteration.
 */
function leaveLoop(sh: ScriptRunner): boolean {
  const ctl = sh.loop.ctl;
  if (!ctl) return false;
  // `return` leaves every loop up to its function call, which clears it.
  if (ctl.kind === 'return') return true;
  if (ctl.n > 1) {
    ctl.n--;
    return true;
  }
  sh.loop.ctl = null;
  return ctl.kind === 'break';
}

/** bash's `break [n]` / `continue [n]`. */
export function loopControl(kind: 'break' | 'continue') {
  return (sh: ShellState, args: readonly string[], io: Io): number => {
    const p = sh.builtinPrefix();
    const n = args[0] === undefined ? 1 : Number(args[0]);
    if (!Number.isInteger(n) || n < 1) {
      io.err(`${p}${kind}: ${args[0]}: loop count out of range\n`);
      // bash then leaves every enclosing loop (`breaking = loop_level` in break.def).
      if (sh.loop.depth > 0) sh.loop.ctl = { kind: 'break', n: sh.loop.depth };
      return 1;
    }
    if (sh.loop.depth === 0) {
      io.err(`${p}${kind}: only meaningful in a \`for', \`while', or \`until' loop\n`);
      return 0;
    }
    sh.loop.ctl = { kind, n: Math.min(n, sh.loop.depth) };
    return 0;
  };
}
