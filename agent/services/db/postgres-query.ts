import { pgMessage } from './postgres-codec';
import type { PgSites } from './postgres-sites';
import { answerMessages, answerPgQuery, type PgAnswer, type PgSession } from './postgres-session';

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');

/** A WARNING NoticeResponse from xact.c. */
function warning(code: string, message: string, line: number, routine: string): Buffer {
  const fields = ['SWARNING', 'VWARNING', `C${code}`, `M${message}`, 'Fxact.c', `L${line}`, `R${routine}`];
  return pgMessage('N', Buffer.concat([...fields.map(cstr), Buffer.from([0])]));
}

/**
 * One simple-query message: the whole string is parsed first, so a syntax error anywhere runs
 * nothing; then each statement in turn, the first error ending the batch (and a transaction block
 * it is in). Transaction blocks: BEGIN/COMMIT/ROLLBACK and their warnings, ReadyForQuery's status.
 */
export function runPgQuery(
  query: string,
  s: PgSession,
  decky: string,
  sites: PgSites,
  statements: readonly string[],
): { bytes: Buffer; answered: { stmt: string; answer: PgAnswer }[] } {
  const located: { stmt: string; offset: number; answer: PgAnswer }[] = [];
  let from = 0;
  for (const stmt of statements) {
    const offset = Math.max(0, query.indexOf(stmt, from));
    from = offset + stmt.length;
    located.push({ stmt, offset, answer: answerPgQuery(stmt, s, decky) });
  }
  const syntax = located.find((l) => l.answer.kind === 'err' && l.answer.code === '42601');
  const out: Buffer[] = [];
  const answered: { stmt: string; answer: PgAnswer }[] = [];
  const fail = (l: (typeof located)[number]) => {
    out.push(answerMessages(l.answer, sites, query, l.offset));
    answered.push(l);
    if (s.tx === 'T') s.tx = 'E';
  };
  if (syntax) fail(syntax);
  else
    for (const l of located) {
      const word = l.stmt.trim().split(/\s+/)[0]!.toLowerCase();
      if (s.tx === 'E' && word !== 'commit' && word !== 'rollback' && word !== 'end' && word !== 'abort') {
        const message = 'current transaction is aborted, commands ignored until end of transaction block';
        const aborted: PgAnswer = {
          kind: 'err',
          code: '25P02',
          message,
          routine: 'exec_simple_query',
          where: { file: 'postgres.c', site: 'abortedTx' },
        };
        out.push(answerMessages(aborted, sites));
        answered.push({ stmt: l.stmt, answer: aborted });
        break;
      }
      if (l.answer.kind === 'err') {
        fail(l);
        break;
      }
      if (word === 'begin' || word === 'start') {
        if (s.tx === 'T')
          out.push(
            warning('25001', 'there is already a transaction in progress', sites.alreadyInTx, 'BeginTransactionBlock'),
          );
        s.tx = 'T';
      } else if (['commit', 'end', 'rollback', 'abort'].includes(word)) {
        const commit = word === 'commit' || word === 'end';
        if (!s.tx || s.tx === 'I')
          out.push(
            commit
              ? warning('25P01', 'there is no transaction in progress', sites.noTxCommit, 'EndTransactionBlock')
              : warning(
                  '25P01',
                  'there is no transaction in progress',
                  sites.noTxRollback,
                  'UserAbortTransactionBlock',
                ),
          );
        // COMMIT of a failed block is a rollback.
        const answer: PgAnswer = commit && s.tx === 'E' ? { kind: 'tag', tag: 'ROLLBACK' } : l.answer;
        s.tx = 'I';
        out.push(answerMessages(answer, sites));
        answered.push({ stmt: l.stmt, answer });
        continue;
      }
      out.push(answerMessages(l.answer, sites, query, l.offset));
      answered.push(l);
    }
  out.push(pgMessage('Z', Buffer.from(s.tx ?? 'I')));
  return { bytes: Buffer.concat(out), answered };
}
