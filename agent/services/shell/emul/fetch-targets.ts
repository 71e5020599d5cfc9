import { curlArgs, urlParts, wgetArgs } from './commands/fetch';
import { tokenize, type Token } from './tokenizer';

/** URLs fetched per line at most; past it the rest of the line's fetches are faked. */
export const MAX_FETCHES_PER_LINE = 4;

/**
 * The URLs a line would fetch with wget or curl, read from its literal words only (no expansion,
 * so nothing runs twice): what the service fetches for real before running the line. A line it
 * cannot tokenize yields none (the shell reports the syntax error itself).
 */
export function fetchTargets(line: string): string[] {
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch {
    return [];
  }
  const out: string[] = [];
  let words: (string | null)[] = [];
  const flush = () => {
    let at = 0;
    while (at < words.length && (words[at] === 'busybox' || words[at] === 'sudo' || words[at] === 'nohup')) at++;
    const tool = words[at]?.replace(/^.*\//, '');
    const rest = words.slice(at + 1);
    words = [];
    if (tool !== 'wget' && tool !== 'curl') return;
    // A word built from a variable or $(…) is not known before the line runs: left to the fake path.
    const literal = rest.map((w) => w ?? '\0');
    const { urls } = tool === 'wget' ? wgetArgs(literal) : curlArgs(literal);
    for (const raw of urls) {
      if (raw.includes('\0')) continue;
      const u = urlParts(raw);
      if (u && /^https?:/.test(u.url) && !out.includes(u.url) && out.length < MAX_FETCHES_PER_LINE) out.push(u.url);
    }
  };
  for (const t of tokens) {
    if (t.k === 'op') flush();
    else words.push(t.w.every((p) => p.t === 'lit') ? t.w.map((p) => (p.t === 'lit' ? p.s : '')).join('') : null);
  }
  flush();
  return out;
}
