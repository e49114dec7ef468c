/**
 * Snowflake SQL -> DuckDB SQL helpers for the fake Snowflake server: a small lexer that
 * understands Snowflake's literal/identifier syntax, bind substitution, statement
 * analysis (kind, written target, read objects) and the rewrites DuckDB needs.
 */

export type TokenKind = 'ws' | 'comment' | 'word' | 'qident' | 'string' | 'number' | 'param' | 'op' | 'punct' | 'raw';

export interface Token {
  kind: TokenKind;
  /** Source text (for 'raw': the DuckDB SQL to emit). */
  text: string;
  /** word: upper-cased text; qident: unescaped name; string: decoded value. */
  value: string;
  /** Offset in the statement text, for error positions. */
  pos: number;
}

/** An error answered to the client in Snowflake's shape. */
export class SfError extends Error {
  constructor(
    readonly code: string,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
    this.name = 'SfError';
  }
}

export function syntaxError(pos: number, near: string): SfError {
  return new SfError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position ${pos} unexpected '${near}'.`);
}

const OPS = ['->>', '::', '||', '<=', '>=', '<>', '!=', '=>', '->'];

/** Decodes Snowflake's backslash escapes inside single-quoted literals. */
function readEscape(sql: string, i: number): { ch: string; next: number } {
  const c = sql[i] ?? '';
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0', Z: '\x1a' };
  if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(sql.slice(i + 1, i + 3))) {
    return { ch: String.fromCharCode(parseInt(sql.slice(i + 1, i + 3), 16)), next: i + 3 };
  }
  if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(sql.slice(i + 1, i + 5))) {
    return { ch: String.fromCharCode(parseInt(sql.slice(i + 1, i + 5), 16)), next: i + 5 };
  }
  if (/^[0-7]{3}$/.test(sql.slice(i, i + 3))) {
    return { ch: String.fromCharCode(parseInt(sql.slice(i, i + 3), 8)), next: i + 3 };
  }
  return { ch: simple[c] ?? c, next: i + 1 };
}

export function lex(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string): void => {
    const text = sql.slice(start, end);
    out.push({ kind, text, value: value ?? text, pos: start });
  };
  while (i < sql.length) {
    const c = sql[i] ?? '';
    const two = sql.slice(i, i + 2);
    const start = i;
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i] ?? '')) i++;
      push('ws', start, i);
    } else if (two === '--' || two === '//') {
      // Snowflake accepts // line comments too.
      while (i < sql.length && sql[i] !== '\n') i++;
      push('comment', start, i);
    } else if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      push('comment', start, i);
    } else if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      // X'ABCD' is Snowflake's hex binary literal.
      const end = sql.indexOf("'", i + 2);
      const hex = sql.slice(i + 2, end < 0 ? sql.length : end);
      if (end < 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw syntaxError(start, sql.slice(start, start + 10));
      i = end + 1;
      out.push({ kind: 'raw', text: `from_hex('${hex}')`, value: hex, pos: start });
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SfError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position ${start} unexpected '<EOF>'.`);
        const ch = sql[i] ?? '';
        if (ch === '\\') {
          const esc = readEscape(sql, i + 1);
          value += esc.ch;
          i = esc.next;
        } else if (ch === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += ch;
          i++;
        }
      }
      push('string', start, i, value);
    } else if (two === '$$') {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw new SfError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position ${start} unexpected '<EOF>'.`);
      i = end + 2;
      push('string', start, i, sql.slice(start + 2, end));
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SfError('001003', '42000', `SQL compilation error:\nsyntax error line 1 at position ${start} unexpected '<EOF>'.`);
        const ch = sql[i] ?? '';
        if (ch === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += ch;
          i++;
        }
      }
      push('qident', start, i, value);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i));
      i += m ? m[0].length : 1;
      push('number', start, i);
    } else if (/[A-Za-z_]/.test(c) || (c === '$' && /[0-9A-Za-z_]/.test(sql[i + 1] ?? ''))) {
      i++;
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i] ?? '')) i++;
      push('word', start, i, sql.slice(start, i).toUpperCase());
    } else if (c === '?') {
      i++;
      push('param', start, i);
    } else if (c === ':' && sql[i + 1] !== ':' && /[0-9]/.test(sql[i + 1] ?? '') && out.at(-1)?.text !== ':') {
      i++;
      while (/[0-9]/.test(sql[i] ?? '')) i++;
      push('param', start, i);
    } else {
      const op = OPS.find((o) => sql.startsWith(o, i));
      i += op ? op.length : 1;
      push(op ? 'op' : 'punct', start, i);
    }
  }
  return out;
}

export const isSig = (t: Token): boolean => t.kind !== 'ws' && t.kind !== 'comment';

/** Splits on top-level semicolons; drops empty statements. */
export function splitStatements(tokens: Token[]): Token[][] {
  const stmts: Token[][] = [];
  let cur: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') {
      if (cur.some(isSig)) stmts.push(cur);
      cur = [];
    } else {
      cur.push(t);
    }
  }
  if (cur.some(isSig)) stmts.push(cur);
  return stmts;
}

export interface Binding {
  type: string;
  value: unknown;
}

export const quoteString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** Turns one Snowflake bind into a DuckDB literal token (Snowflake coerces binds like literals). */
function bindToken(b: Binding, pos: number): Token {
  const raw = (text: string): Token => ({ kind: 'raw', text, value: text, pos });
  const v = b.value;
  if (v === null || v === undefined) return raw('NULL');
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  switch (b.type.toUpperCase()) {
    case 'FIXED':
      if (/^[+-]?\d+$/.test(s)) return raw(s.startsWith('+') ? s.slice(1) : s);
      break;
    case 'REAL':
      if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i.test(s)) return raw(`CAST(${quoteString(s)} AS DOUBLE)`);
      break;
    case 'BOOLEAN':
      if (/^(true|1)$/i.test(s)) return raw('TRUE');
      if (/^(false|0)$/i.test(s)) return raw('FALSE');
      break;
    default:
      break;
  }
  return { kind: 'string', text: quoteString(s), value: s, pos };
}

/**
 * Replaces ? and :N placeholders with literals. `row` selects the element of array binds.
 * `counter` carries the ? position across the statements of one request.
 */
export function substituteBinds(tokens: Token[], bindings: Record<string, Binding>, row: number | null, counter: { n: number }): Token[] {
  // Copies: later rewrites mutate tokens in place.
  return tokens.map((t) => {
    if (t.kind !== 'param') return { ...t };
    const index = t.text === '?' ? ++counter.n : Number(t.text.slice(1));
    const b = bindings[String(index)];
    if (!b) throw new SfError('002049', '42601', `SQL compilation error: error line 1 at position ${t.pos}\nBind variable ${t.text} not set.`);
    const value = row !== null && Array.isArray(b.value) ? (b.value[row] as unknown) : b.value;
    return bindToken({ type: b.type, value }, t.pos);
  });
}

/** Parses a Snowflake object name string ('db.schema."Tbl"') into identifier parts. */
export function parseNameString(s: string): string[] {
  const parts: string[] = [];
  for (const t of lex(s).filter(isSig)) {
    if (t.kind === 'word') parts.push(t.value);
    else if (t.kind === 'qident') parts.push(t.value);
    else if (!(t.kind === 'punct' && t.text === '.')) throw new SfError('002003', '02000', `SQL compilation error:\nInvalid identifier '${s}'.`);
  }
  return parts;
}

/** Expands IDENTIFIER('name') (after bind substitution) into identifier tokens. */
export function expandIdentifierCalls(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'word' && t.value === 'IDENTIFIER') {
      const rest = tokens.slice(i + 1);
      const sigIdx: number[] = [];
      rest.forEach((r, k) => {
        if (isSig(r) && sigIdx.length < 3) sigIdx.push(k);
      });
      const [a, b, c] = sigIdx.map((k) => rest[k] as Token);
      if (a?.text === '(' && b?.kind === 'string' && c?.text === ')') {
        parseNameString(b.value).forEach((p, k) => {
          if (k > 0) out.push({ kind: 'punct', text: '.', value: '.', pos: t.pos });
          out.push({ kind: 'qident', text: quoteIdent(p), value: p, pos: t.pos });
        });
        i += (sigIdx[2] ?? 0) + 1;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

export function render(tokens: Token[]): string {
  return tokens
    .map((t) => {
      switch (t.kind) {
        case 'word':
          // Snowflake upper-cases unquoted identifiers; DuckDB keywords don't care.
          return t.value;
        case 'qident':
          return quoteIdent(t.value);
        case 'string':
          return quoteString(t.value);
        case 'comment':
          // DuckDB has no // comments; drop them all.
          return ' ';
        default:
          return t.text;
      }
    })
    .join('');
}

// ---------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------

export type StatementKind =
  | 'select'
  | 'insert'
  | 'update'
  | 'delete'
  | 'merge'
  | 'create'
  | 'drop'
  | 'alter'
  | 'truncate'
  | 'copy'
  | 'use'
  | 'show'
  | 'describe'
  | 'tx'
  | 'grant'
  | 'set'
  | 'other';

export interface NameRef {
  parts: string[];
  /** Index range [start, end) in `sig`. */
  start: number;
  end: number;
}

export interface Analysis {
  sig: Token[];
  kind: StatementKind;
  /** CREATE/DROP/ALTER object kind, e.g. TABLE, SCHEMA, DATABASE. */
  objectKind: string | null;
  /** Object written by a write statement. */
  target: NameRef | null;
  ifExists: boolean;
  ifNotExists: boolean;
  /** Objects read (FROM/JOIN/...), CTE names excluded. */
  reads: NameRef[];
  /** <db>.INFORMATION_SCHEMA.<view> references (parts as written). */
  infoSchema: NameRef[];
}

const isWord = (t: Token | undefined, ...vals: string[]): boolean =>
  t !== undefined && t.kind === 'word' && (vals.length === 0 || vals.includes(t.value));
const isPunct = (t: Token | undefined, p: string): boolean => t !== undefined && t.kind === 'punct' && t.text === p;
export const isIdent = (t: Token | undefined): boolean => t !== undefined && (t.kind === 'word' || t.kind === 'qident');

export function readName(sig: Token[], i: number): NameRef | null {
  const first = sig[i];
  if (!first || !isIdent(first)) return null;
  const parts = [first.value];
  let j = i + 1;
  while (isPunct(sig[j], '.') && isIdent(sig[j + 1])) {
    parts.push((sig[j + 1] as Token).value);
    j += 2;
  }
  return { parts, start: i, end: j };
}

/** Words that end a table reference rather than alias it. */
const CLAUSE_WORDS = new Set([
  'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'ON', 'USING',
  'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'HAVING', 'QUALIFY', 'WINDOW', 'OFFSET', 'FETCH', 'LATERAL', 'ASOF',
  'POSITIONAL', 'ANTI', 'SEMI', 'SET', 'VALUES', 'SAMPLE', 'TABLESAMPLE', 'PIVOT', 'UNPIVOT', 'MATCH_RECOGNIZE',
  'CONNECT', 'START', 'WHEN', 'RETURNING', 'SELECT', 'AT', 'BEFORE', 'CHANGES',
]);

/** Functions whose argument syntax contains FROM. */
const FROM_ARG_FUNCTIONS = new Set(['EXTRACT', 'TRIM', 'SUBSTRING', 'SUBSTR', 'POSITION', 'OVERLAY', 'DATE_PART']);

const isInfoSchemaRef = (ref: NameRef): boolean => {
  const n = ref.parts.length;
  return (n === 2 || n === 3) && (ref.parts[n - 2] ?? '').toUpperCase() === 'INFORMATION_SCHEMA';
};

const CREATE_MODIFIERS = new Set([
  'OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'TRANSIENT', 'VOLATILE', 'LOCAL', 'GLOBAL', 'SECURE', 'RECURSIVE',
  'MATERIALIZED', 'EXTERNAL', 'DYNAMIC', 'HYBRID', 'ICEBERG', 'EVENT', 'UNIQUE',
]);

function statementKind(sig: Token[]): StatementKind {
  let k = 0;
  while (isPunct(sig[k], '(')) k++;
  const first = sig[k];
  if (!first || first.kind !== 'word') return 'other';
  switch (first.value) {
    case 'SELECT':
    case 'VALUES':
    case 'FROM':
    case 'EXPLAIN':
    case 'TABLE':
      return 'select';
    case 'WITH': {
      // The statement after the CTEs decides (WITH ... INSERT/DELETE is rare but valid).
      let depth = 0;
      for (const t of sig) {
        if (isPunct(t, '(')) depth++;
        else if (isPunct(t, ')')) depth--;
        else if (depth === 0 && isWord(t, 'INSERT', 'UPDATE', 'DELETE', 'MERGE')) return t.value.toLowerCase() as StatementKind;
      }
      return 'select';
    }
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
    case 'CREATE':
    case 'DROP':
    case 'ALTER':
    case 'TRUNCATE':
    case 'COPY':
    case 'USE':
    case 'SHOW':
      return first.value.toLowerCase() as StatementKind;
    case 'DESC':
    case 'DESCRIBE':
      return 'describe';
    case 'BEGIN':
    case 'START':
    case 'COMMIT':
    case 'ROLLBACK':
      return 'tx';
    case 'GRANT':
    case 'REVOKE':
      return 'grant';
    case 'SET':
    case 'UNSET':
      return 'set';
    default:
      return 'other';
  }
}

function cteNames(sig: Token[]): Set<string> {
  const names = new Set<string>();
  if (!isWord(sig[0], 'WITH')) return names;
  let depth = 0;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i] as Token;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isIdent(t)) {
      const prev = sig[i - 1];
      const prevOk = isWord(prev, 'WITH', 'RECURSIVE') || isPunct(prev, ',');
      if (prevOk && (isWord(sig[i + 1], 'AS') || isPunct(sig[i + 1], '('))) names.add(t.value);
      if (depth === 0 && isWord(t, 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE') && i > 0) break;
    }
  }
  return names;
}

export function analyze(tokens: Token[]): Analysis {
  const sig = tokens.filter(isSig);
  const kind = statementKind(sig);
  const a: Analysis = { sig, kind, objectKind: null, target: null, ifExists: false, ifNotExists: false, reads: [], infoSchema: [] };

  // Written object.
  let i = 1;
  const skipIf = (): void => {
    if (isWord(sig[i], 'IF') && isWord(sig[i + 1], 'NOT') && isWord(sig[i + 2], 'EXISTS')) {
      a.ifNotExists = true;
      i += 3;
    } else if (isWord(sig[i], 'IF') && isWord(sig[i + 1], 'EXISTS')) {
      a.ifExists = true;
      i += 2;
    }
  };
  if (kind === 'create' || kind === 'drop' || kind === 'alter' || kind === 'describe') {
    while (kind === 'create' && isWord(sig[i]) && CREATE_MODIFIERS.has((sig[i] as Token).value)) i++;
    const w = sig[i];
    if (isWord(w, 'FILE') && isWord(sig[i + 1], 'FORMAT')) {
      a.objectKind = 'FILE FORMAT';
      i += 2;
    } else if (isWord(w, 'MATERIALIZED') && isWord(sig[i + 1], 'VIEW')) {
      a.objectKind = 'VIEW';
      i += 2;
    } else if (kind === 'describe' && !isWord(w, 'TABLE', 'VIEW', 'SCHEMA', 'DATABASE', 'RESULT', 'WAREHOUSE')) {
      a.objectKind = 'TABLE';
    } else if (w && w.kind === 'word') {
      a.objectKind = w.value;
      i++;
    }
    skipIf();
    a.target = readName(sig, i);
    if (a.target) i = a.target.end;
  } else if (kind === 'insert') {
    while (isWord(sig[i], 'OVERWRITE', 'INTO', 'OR', 'REPLACE', 'IGNORE')) i++;
    a.target = readName(sig, i);
  } else if (kind === 'update') {
    a.target = readName(sig, i);
  } else if (kind === 'delete' || kind === 'merge' || kind === 'copy') {
    while (isWord(sig[i], 'FROM', 'INTO')) i++;
    a.target = readName(sig, i);
  } else if (kind === 'truncate') {
    if (isWord(sig[i], 'TABLE')) i++;
    skipIf();
    a.target = readName(sig, i);
  }
  if (a.target && (kind === 'insert' || kind === 'update' || kind === 'delete' || kind === 'merge' || kind === 'truncate' || kind === 'copy')) {
    a.objectKind = 'TABLE';
  }

  // Read objects.
  const ctes = cteNames(sig);
  const targetStart = a.target?.start ?? -1;
  // Word before each open paren, so FROM inside EXTRACT(x FROM y) etc. is not taken for a table.
  const parens: string[] = [];
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k] as Token;
    if (isPunct(t, '(')) parens.push(sig[k - 1]?.kind === 'word' ? (sig[k - 1] as Token).value : '');
    else if (isPunct(t, ')')) parens.pop();
    if (isWord(t, 'FROM') && FROM_ARG_FUNCTIONS.has(parens.at(-1) ?? '')) continue;
    const readCtx =
      isWord(t, 'FROM', 'JOIN') ||
      (kind === 'merge' && isWord(t, 'USING')) ||
      (kind === 'create' && isWord(t, 'LIKE', 'CLONE'));
    if (!readCtx) continue;
    let j = k + 1;
    for (;;) {
      if (isWord(sig[j], 'LATERAL', 'TABLE')) break;
      const ref = readName(sig, j);
      if (!ref || isPunct(sig[ref.end], '(')) break;
      const isCte = ref.parts.length === 1 && ctes.has(ref.parts[0] as string);
      if (ref.start !== targetStart && !isCte && !isInfoSchemaRef(ref)) a.reads.push(ref);
      j = ref.end;
      if (isWord(sig[j], 'AS')) j++;
      if (isIdent(sig[j]) && !(isWord(sig[j]) && CLAUSE_WORDS.has((sig[j] as Token).value))) j++;
      if (!isPunct(sig[j], ',')) break;
      j++;
    }
  }

  // INFORMATION_SCHEMA references anywhere.
  for (let k = 0; k < sig.length; k++) {
    if (isPunct(sig[k - 1], '.')) continue;
    const ref = readName(sig, k);
    if (!ref) continue;
    if (isInfoSchemaRef(ref)) a.infoSchema.push(ref);
    k = ref.end - 1;
  }
  return a;
}

export const isWriteKind = (k: StatementKind): boolean =>
  ['insert', 'update', 'delete', 'merge', 'create', 'drop', 'alter', 'truncate', 'copy'].includes(k);

/** Object kinds that live inside a schema. */
export const SCHEMA_OBJECT_KINDS = new Set([
  'TABLE', 'VIEW', 'SEQUENCE', 'STAGE', 'FUNCTION', 'PROCEDURE', 'MACRO', 'INDEX', 'TYPE', 'STREAM', 'TASK',
  'FILE FORMAT', 'PIPE', 'TAG',
]);

// ---------------------------------------------------------------------------
// Rewrites
// ---------------------------------------------------------------------------

interface TypeMap {
  sql: string;
  keepParams: boolean;
  /** Used when the type has no parameters. */
  bare?: string;
}

const TYPE_MAP: Record<string, TypeMap> = {
  NUMBER: { sql: 'DECIMAL', keepParams: true, bare: 'DECIMAL(38,0)' },
  NUMERIC: { sql: 'DECIMAL', keepParams: true, bare: 'DECIMAL(38,0)' },
  DECIMAL: { sql: 'DECIMAL', keepParams: true, bare: 'DECIMAL(38,0)' },
  // Snowflake integers are NUMBER(38,0); BIGINT holds every value tests are likely to use.
  INT: { sql: 'BIGINT', keepParams: false },
  INTEGER: { sql: 'BIGINT', keepParams: false },
  BIGINT: { sql: 'BIGINT', keepParams: false },
  SMALLINT: { sql: 'BIGINT', keepParams: false },
  TINYINT: { sql: 'BIGINT', keepParams: false },
  BYTEINT: { sql: 'BIGINT', keepParams: false },
  FLOAT: { sql: 'DOUBLE', keepParams: false },
  FLOAT4: { sql: 'DOUBLE', keepParams: false },
  FLOAT8: { sql: 'DOUBLE', keepParams: false },
  DOUBLE: { sql: 'DOUBLE', keepParams: false },
  REAL: { sql: 'DOUBLE', keepParams: false },
  VARCHAR: { sql: 'VARCHAR', keepParams: false },
  STRING: { sql: 'VARCHAR', keepParams: false },
  TEXT: { sql: 'VARCHAR', keepParams: false },
  CHAR: { sql: 'VARCHAR', keepParams: false },
  CHARACTER: { sql: 'VARCHAR', keepParams: false },
  NCHAR: { sql: 'VARCHAR', keepParams: false },
  NVARCHAR: { sql: 'VARCHAR', keepParams: false },
  NVARCHAR2: { sql: 'VARCHAR', keepParams: false },
  BINARY: { sql: 'BLOB', keepParams: false },
  VARBINARY: { sql: 'BLOB', keepParams: false },
  BOOLEAN: { sql: 'BOOLEAN', keepParams: false },
  DATE: { sql: 'DATE', keepParams: false },
  DATETIME: { sql: 'TIMESTAMP', keepParams: false },
  TIMESTAMP: { sql: 'TIMESTAMP', keepParams: false },
  TIMESTAMP_NTZ: { sql: 'TIMESTAMP', keepParams: false },
  TIMESTAMP_LTZ: { sql: 'TIMESTAMPTZ', keepParams: false },
  TIMESTAMP_TZ: { sql: 'TIMESTAMPTZ', keepParams: false },
  TIME: { sql: 'TIME', keepParams: false },
  VARIANT: { sql: 'JSON', keepParams: false },
  OBJECT: { sql: 'JSON', keepParams: false },
  ARRAY: { sql: 'JSON', keepParams: false },
  GEOGRAPHY: { sql: 'VARCHAR', keepParams: false },
  GEOMETRY: { sql: 'VARCHAR', keepParams: false },
};

export const blankToken = (t: Token): void => {
  t.kind = 'raw';
  t.text = '';
};
const blank = blankToken;
const setRaw = (t: Token, text: string): void => {
  t.kind = 'raw';
  t.text = text;
};

function matchingParen(sig: Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < sig.length; k++) {
    if (isPunct(sig[k], '(')) depth++;
    else if (isPunct(sig[k], ')') && --depth === 0) return k;
  }
  return sig.length - 1;
}

function rewriteTypeAt(sig: Token[], k: number): void {
  const t = sig[k];
  if (!t || t.kind !== 'word') return;
  // TIMESTAMP WITH/WITHOUT TIME ZONE is valid DuckDB already.
  if (t.value === 'TIMESTAMP' && isWord(sig[k + 1], 'WITH', 'WITHOUT')) return;
  const m = TYPE_MAP[t.value];
  if (!m) return;
  if (t.value === 'DOUBLE' && isWord(sig[k + 1], 'PRECISION')) blank(sig[k + 1] as Token);
  if ((t.value === 'CHAR' || t.value === 'CHARACTER') && isWord(sig[k + 1], 'VARYING')) blank(sig[k + 1] as Token);
  const hasParams = isPunct(sig[k + 1], '(');
  if (hasParams && !m.keepParams) {
    const close = matchingParen(sig, k + 1);
    for (let j = k + 1; j <= close; j++) blank(sig[j] as Token);
  }
  setRaw(t, hasParams || !m.bare ? m.sql : m.bare);
}

/** Maps Snowflake type names to DuckDB ones where a type is expected. */
export function rewriteTypes(a: Analysis): void {
  const sig = a.sig;
  const parenStack: boolean[] = [];
  for (let k = 0; k < sig.length; k++) {
    const t = sig[k] as Token;
    if (t.kind === 'op' && t.text === '::') rewriteTypeAt(sig, k + 1);
    else if (isPunct(t, '(')) parenStack.push(isWord(sig[k - 1], 'CAST', 'TRY_CAST'));
    else if (isPunct(t, ')')) parenStack.pop();
    else if (isWord(t, 'AS') && parenStack.at(-1) === true) rewriteTypeAt(sig, k + 1);
  }
  if (a.kind === 'create' && a.objectKind === 'TABLE' && a.target && isPunct(sig[a.target.end], '(')) {
    const open = a.target.end;
    const close = matchingParen(sig, open);
    let depth = 0;
    for (let k = open; k < close; k++) {
      if (isPunct(sig[k], '(')) depth++;
      else if (isPunct(sig[k], ')')) depth--;
      if (depth === 1 && (k === open || isPunct(sig[k], ','))) {
        const colName = sig[k + 1];
        if (isIdent(colName) && !isWord(colName, 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK')) rewriteTypeAt(sig, k + 2);
      }
    }
  }
  if (a.kind === 'alter' && a.objectKind === 'TABLE') {
    for (let k = 0; k < sig.length; k++) {
      if (isWord(sig[k], 'ADD')) {
        let j = k + 1;
        if (isWord(sig[j], 'COLUMN')) j++;
        if (isWord(sig[j], 'IF') && isWord(sig[j + 1], 'NOT') && isWord(sig[j + 2], 'EXISTS')) j += 3;
        if (isIdent(sig[j]) && !isWord(sig[j], 'CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK')) rewriteTypeAt(sig, j + 1);
      } else if (isWord(sig[k], 'TYPE')) {
        // ALTER [COLUMN] c [SET DATA] TYPE <type>
        rewriteTypeAt(sig, k + 1);
      }
    }
  }
  // DuckDB knows neither TRANSIENT nor VOLATILE tables.
  if (a.kind === 'create') {
    for (let k = 1; k < sig.length && !isWord(sig[k], 'TABLE'); k++) {
      if (isWord(sig[k], 'TRANSIENT', 'VOLATILE')) blank(sig[k] as Token);
    }
  }
}

/** Replaces a name reference with a subquery, keeping an alias so qualified columns still resolve. */
export function replaceRef(sig: Token[], ref: NameRef, subquery: string, alias: string): void {
  const next = sig[ref.end];
  const hasAlias = isWord(next, 'AS') || (isIdent(next) && !(isWord(next) && CLAUSE_WORDS.has((next as Token).value)));
  setRaw(sig[ref.start] as Token, `(${subquery})${hasAlias ? '' : ` AS ${quoteIdent(alias)}`}`);
  for (let k = ref.start + 1; k < ref.end; k++) blank(sig[k] as Token);
}
