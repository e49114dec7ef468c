// Databricks SQL (Spark dialect) -> DuckDB text, done on a token stream so that
// string literals, backtick identifiers and comments are never rewritten by accident.

export class SqlError extends Error {
  constructor(
    message: string,
    readonly sqlState: string,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

export type TokKind = 'ws' | 'comment' | 'str' | 'ident' | 'qident' | 'num' | 'param' | 'qmark' | 'op' | 'raw';

export interface Tok {
  kind: TokKind;
  /** Source text (ident/num/op/ws/comment) or final DuckDB text (raw). */
  text: string;
  /** Decoded value: string literal contents, identifier name, parameter name. */
  value: string;
}

export function syntaxError(near: string): SqlError {
  return new SqlError(`[PARSE_SYNTAX_ERROR] Syntax error at or near ${near}. SQLSTATE: 42601`, '42601');
}

const MULTI_OPS = ['<=>', '<=', '>=', '<>', '!=', '==', '||', '::', '->', '=>'];
const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_$]/u;

// Spark unescapes backslash sequences in regular literals (see the STRING type docs).
function decodeSparkString(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\' || i === body.length - 1) {
      out += c;
      continue;
    }
    const n = body[++i] as string;
    switch (n) {
      case '0': out += '\u0000'; break;
      case 'b': out += '\b'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'Z': out += '\u001A'; break;
      case '%': out += '\\%'; break;
      case '_': out += '\\_'; break;
      case 'u': {
        const hex = body.slice(i + 1, i + 5);
        if (/^[0-9a-fA-F]{4}$/.test(hex)) {
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
        } else {
          out += 'u';
        }
        break;
      }
      default: out += n;
    }
  }
  return out;
}

export function tokenize(sql: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const push = (kind: TokKind, text: string, value = text): void => {
    toks.push({ kind, text, value });
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const rest = sql.slice(i);
    if (/\s/.test(c)) {
      const m = /^\s+/.exec(rest);
      const t = m ? m[0] : c;
      push('ws', t);
      i += t.length;
      continue;
    }
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      const t = end === -1 ? rest : sql.slice(i, end);
      push('comment', t);
      i += t.length;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw syntaxError('end of input');
      const t = sql.slice(i, end + 2);
      push('comment', t);
      i += t.length;
      continue;
    }
    const hex = /^[xX]'([0-9a-fA-F]*)'/.exec(rest);
    if (hex) {
      // X'0102' binary literal
      push('raw', `from_hex('${hex[1]}')`);
      i += hex[0].length;
      continue;
    }
    const raw = (c === 'r' || c === 'R') && (sql[i + 1] === "'" || sql[i + 1] === '"');
    if (c === "'" || c === '"' || raw) {
      const q = raw ? (sql[i + 1] as string) : c;
      let j = raw ? i + 2 : i + 1;
      let body = '';
      for (;;) {
        if (j >= sql.length) throw syntaxError('end of input');
        const d = sql[j] as string;
        if (d === '\\' && !raw && j + 1 < sql.length) {
          body += d + (sql[j + 1] as string);
          j += 2;
          continue;
        }
        if (d === q) break;
        body += d;
        j++;
      }
      push('str', sql.slice(i, j + 1), raw ? body : decodeSparkString(body));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      let j = i + 1;
      let name = '';
      for (;;) {
        if (j >= sql.length) throw syntaxError('end of input');
        if (sql[j] === '`') {
          if (sql[j + 1] === '`') {
            name += '`';
            j += 2;
            continue;
          }
          break;
        }
        name += sql[j];
        j++;
      }
      push('qident', sql.slice(i, j + 1), name);
      i = j + 1;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
    if (num && (c !== '.' || /^\.\d/.test(rest))) {
      // Spark's typed numeric suffixes: 10L, 1S, 1Y, 1.5D, 1.5F, 1.5BD
      const suffix = /^(?:BD|[LSYDF])(?![\p{L}\p{N}_])/iu.exec(sql.slice(i + num[0].length));
      const text = num[0] + (suffix ? suffix[0] : '');
      push('num', text);
      i += text.length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && IDENT_PART.test(sql[j] as string)) j++;
      push('ident', sql.slice(i, j));
      i = j;
      continue;
    }
    if (c === ':' && sql[i + 1] !== ':' && sql[i - 1] !== ':' && IDENT_START.test(sql[i + 1] ?? '')) {
      let j = i + 2;
      while (j < sql.length && IDENT_PART.test(sql[j] as string)) j++;
      push('param', sql.slice(i, j), sql.slice(i + 1, j));
      i = j;
      continue;
    }
    if (c === '?') {
      push('qmark', '?');
      i++;
      continue;
    }
    const op = MULTI_OPS.find((o) => rest.startsWith(o)) ?? c;
    push('op', op);
    i += op.length;
  }
  // Spark concatenates adjacent string literals ('a' 'b' = 'ab'; so 'it''s' is "its").
  const merged: Tok[] = [];
  for (const t of toks) {
    if (t.kind === 'str') {
      let k = merged.length - 1;
      while (k >= 0 && (merged[k]?.kind === 'ws' || merged[k]?.kind === 'comment')) k--;
      const prev = merged[k];
      if (prev && prev.kind === 'str') {
        prev.value += t.value;
        prev.text += t.text;
        merged.length = k + 1;
        continue;
      }
    }
    merged.push(t);
  }
  return merged;
}

export const sig = (t: Tok | undefined): boolean => t !== undefined && t.kind !== 'ws' && t.kind !== 'comment';
export const isWord = (t: Tok | undefined, ...words: string[]): boolean =>
  t !== undefined && t.kind === 'ident' && words.includes(t.text.toUpperCase());
export const isOp = (t: Tok | undefined, op: string): boolean => t !== undefined && t.kind === 'op' && t.text === op;
const isName = (t: Tok | undefined): boolean => t !== undefined && (t.kind === 'ident' || t.kind === 'qident');

/** Statements separated by top-level semicolons; empty ones dropped. */
export function splitStatements(toks: Tok[]): Tok[][] {
  const out: Tok[][] = [];
  let cur: Tok[] = [];
  for (const t of toks) {
    if (isOp(t, ';')) {
      out.push(cur);
      cur = [];
    } else {
      cur.push(t);
    }
  }
  out.push(cur);
  return out.filter((s) => s.some(sig));
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function backticks(parts: string[]): string {
  return parts.map((p) => `\`${p.replace(/`/g, '``')}\``).join('.');
}

// ---------------------------------------------------------------------------
// Parameters

export interface SparkParam {
  name?: string | null;
  ordinal?: number | null;
  type?: string | null;
  value?: { stringValue?: string | null; doubleValue?: number | null; booleanValue?: boolean | null } | null;
}

function paramLiteral(p: SparkParam): string {
  const v = p.value;
  const sv = v?.stringValue ?? (v?.doubleValue != null ? String(v.doubleValue) : v?.booleanValue != null ? String(v.booleanValue) : null);
  if (sv === null || sv === undefined) return 'NULL';
  const lit = quoteString(sv);
  const type = (p.type ?? 'STRING').toUpperCase();
  switch (type) {
    case 'STRING':
    case 'VOID':
      return type === 'VOID' ? 'NULL' : lit;
    case 'INT':
    case 'INTEGER':
      return `CAST(${lit} AS INTEGER)`;
    case 'BIGINT':
    case 'LONG':
    case 'SMALLINT':
    case 'TINYINT':
    case 'DOUBLE':
    case 'FLOAT':
    case 'BOOLEAN':
    case 'DATE':
      return `CAST(${lit} AS ${type === 'LONG' ? 'BIGINT' : type})`;
    case 'DECIMAL': {
      const scale = Math.min(sv.includes('.') ? sv.split('.')[1]?.replace(/[eE].*$/, '').length ?? 0 : 0, 37);
      return `CAST(${lit} AS DECIMAL(38, ${scale}))`;
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      // Spark TIMESTAMP is an instant; the fake keeps UTC wall-clock values.
      return `CAST(CAST(${lit} AS TIMESTAMPTZ) AS TIMESTAMP)`;
    case 'TIMESTAMP_NTZ':
      return `CAST(${lit} AS TIMESTAMP)`;
    default:
      if (type.startsWith('INTERVAL')) return `CAST(${lit} AS INTERVAL)`;
      return lit;
  }
}

function unbound(name: string): SqlError {
  return new SqlError(
    `[UNBOUND_SQL_PARAMETER] Found the unbound parameter: ${name}. Please, fix \`args\` and provide a mapping of the parameter to either a SQL literal or collection constructor functions such as \`map()\`, \`array()\`, \`struct()\`. SQLSTATE: 42P02`,
    '42P02',
  );
}

/** Inline bound parameters as typed literals (named `:name` and positional `?`). */
export function bindParams(toks: Tok[], params: SparkParam[]): Tok[] {
  const named = new Map<string, SparkParam>();
  const ordinal: SparkParam[] = [];
  params.forEach((p, i) => {
    if (p.name) named.set(p.name.toLowerCase(), p);
    else ordinal[(p.ordinal ?? i + 1) - 1] = p;
  });
  let next = 0;
  return toks.map((t) => {
    if (t.kind === 'param') {
      const p = named.get(t.value.toLowerCase());
      if (p) return { kind: 'raw', text: paramLiteral(p), value: '' };
      // Without any named parameters `a:b` is Spark's JSON path syntax; leave it alone.
      if (named.size > 0) throw unbound(t.value);
      return t;
    }
    if (t.kind === 'qmark') {
      const p = ordinal[next++];
      if (!p) throw unbound(`_${next}`);
      return { kind: 'raw', text: paramLiteral(p), value: '' };
    }
    return t;
  });
}

// ---------------------------------------------------------------------------
// Analysis (what the statement touches), used for permission simulation

export interface Analysis {
  /** First keyword, upper-case (SELECT, CREATE, ...). */
  verb: string;
  /** Second keyword when meaningful (CREATE TABLE -> TABLE). */
  object: string;
  isWrite: boolean;
  /** Identifier chains used as relations (FROM x, JOIN x, INTO x, TABLE x ...). */
  relations: string[][];
  /** Literal compared with table_schema, if any (information_schema filters). */
  schemaLiteral?: string;
}

const WRITE_VERBS = new Set([
  'CREATE', 'DROP', 'INSERT', 'ALTER', 'DELETE', 'UPDATE', 'MERGE', 'TRUNCATE', 'REPLACE', 'COPY',
  'OPTIMIZE', 'VACUUM', 'COMMENT', 'GRANT', 'REVOKE', 'MSCK', 'RESTORE',
]);
const RELATION_KEYWORDS = ['FROM', 'JOIN', 'INTO', 'OVERWRITE', 'TABLE', 'UPDATE', 'VIEW', 'DESCRIBE', 'DESC'];
const SKIP_AFTER_RELATION_KEYWORD = ['IF', 'NOT', 'EXISTS', 'TABLE', 'EXTENDED', 'FORMATTED', 'ONLY', 'LATERAL'];

/** Reads an identifier chain a.b.c starting at index i (of the significant-token list). */
export function readChain(s: Tok[], i: number): { parts: string[]; end: number } | undefined {
  if (!isName(s[i])) return undefined;
  const parts = [(s[i] as Tok).value];
  let j = i + 1;
  while (isOp(s[j], '.') && isName(s[j + 1])) {
    parts.push((s[j + 1] as Tok).value);
    j += 2;
  }
  return { parts, end: j };
}

export function analyze(toks: Tok[]): Analysis {
  const s = toks.filter(sig);
  const verb = s[0]?.kind === 'ident' ? s[0].text.toUpperCase() : '';
  let object = '';
  for (let k = 1; k < Math.min(s.length, 5); k++) {
    const w = s[k]?.kind === 'ident' ? (s[k] as Tok).text.toUpperCase() : '';
    if (['OR', 'REPLACE', 'IF', 'NOT', 'EXISTS', 'TEMPORARY', 'TEMP', 'EXTERNAL'].includes(w)) continue;
    object = w;
    break;
  }
  const relations: string[][] = [];
  let schemaLiteral: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const t = s[i] as Tok;
    if (isWord(t, ...RELATION_KEYWORDS) || (verb === 'MERGE' && isWord(t, 'USING'))) {
      let j = i + 1;
      while (isWord(s[j], ...SKIP_AFTER_RELATION_KEYWORD)) j++;
      const chain = readChain(s, j);
      // FROM f(...) is a table function; TABLE t (...) / INTO t (...) is a column list.
      const tableFunction = chain !== undefined && isOp(s[chain.end], '(') && isWord(t, 'FROM', 'JOIN', 'USING');
      if (chain && !tableFunction) relations.push(chain.parts);
    }
    if (isWord(t, 'TABLE_SCHEMA') && isOp(s[i + 1], '=') && s[i + 2]?.kind === 'str') {
      schemaLiteral = (s[i + 2] as Tok).value;
    }
  }
  const analysis: Analysis = { verb, object, isWrite: WRITE_VERBS.has(verb), relations };
  if (schemaLiteral !== undefined) analysis.schemaLiteral = schemaLiteral;
  return analysis;
}

// ---------------------------------------------------------------------------
// Translation

export interface TranslateContext {
  /** Maps a (case-insensitive) public catalog name to its DuckDB database name, if it exists. */
  internalCatalog(name: string): string | undefined;
  /** DuckDB schema-qualified location of a catalog's information_schema views. */
  informationSchema(catalog: string): string;
  currentCatalog: string;
  currentSchema: string;
  user: string;
}

const SCALAR_TYPES: Record<string, string> = {
  STRING: 'VARCHAR',
  INT: 'INTEGER',
  LONG: 'BIGINT',
  SHORT: 'SMALLINT',
  BYTE: 'TINYINT',
  BINARY: 'BLOB',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP',
  VARIANT: 'JSON',
};

/** Spark type names DuckDB lacks (STRING, INT, LONG, SHORT and BINARY it already accepts). */
const BARE_TYPE_RENAMES = new Set(['BYTE', 'TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'VARIANT']);

/** Parses a Spark type starting at s[i] (significant tokens) into DuckDB type text. */
function parseType(s: Tok[], i: number): { text: string; end: number } {
  const t = s[i];
  if (!t || t.kind !== 'ident') throw syntaxError(t ? `'${t.text}'` : 'end of input');
  const name = t.text.toUpperCase();
  if (isOp(s[i + 1], '<') && (name === 'ARRAY' || name === 'MAP' || name === 'STRUCT')) {
    let j = i + 2;
    if (name === 'ARRAY') {
      const inner = parseType(s, j);
      if (!isOp(s[inner.end], '>')) throw syntaxError("'>'");
      return { text: `${inner.text}[]`, end: inner.end + 1 };
    }
    if (name === 'MAP') {
      const k = parseType(s, j);
      if (!isOp(s[k.end], ',')) throw syntaxError("','");
      const v = parseType(s, k.end + 1);
      if (!isOp(s[v.end], '>')) throw syntaxError("'>'");
      return { text: `MAP(${k.text}, ${v.text})`, end: v.end + 1 };
    }
    const fields: string[] = [];
    while (!isOp(s[j], '>')) {
      const f = s[j];
      if (!isName(f)) throw syntaxError(f ? `'${f.text}'` : 'end of input');
      j++;
      if (isOp(s[j], ':')) j++;
      const ft = parseType(s, j);
      j = ft.end;
      if (isWord(s[j], 'NOT') && isWord(s[j + 1], 'NULL')) j += 2;
      if (isWord(s[j], 'COMMENT') && s[j + 1]?.kind === 'str') j += 2;
      fields.push(`${quoteIdent((f as Tok).value)} ${ft.text}`);
      if (isOp(s[j], ',')) j++;
    }
    return { text: `STRUCT(${fields.join(', ')})`, end: j + 1 };
  }
  let text = SCALAR_TYPES[name] ?? name;
  let j = i + 1;
  if (isOp(s[j], '(')) {
    const args: string[] = [];
    j++;
    while (j < s.length && !isOp(s[j], ')')) args.push((s[j++] as Tok).text);
    text += `(${args.join('')})`;
    j++;
  }
  return { text, end: j };
}

const SESSION_FUNCTIONS = new Set(['CURRENT_USER', 'USER', 'SESSION_USER', 'CURRENT_CATALOG', 'CURRENT_SCHEMA', 'CURRENT_DATABASE']);
const SELECT_ITEM_END = ['FROM', 'WHERE', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'ORDER', 'LIMIT', 'GROUP', 'HAVING', 'WINDOW', 'INTO'];
const SELECT_LIST_END = ['FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'WINDOW', 'QUALIFY', 'UNION', 'EXCEPT', 'INTERSECT'];
const CREATE_CLAUSES_WITH_PARENS = ['TBLPROPERTIES', 'OPTIONS'];
/** Spark functions DuckDB knows under another name (same arguments). */
const FUNCTION_RENAMES: Record<string, string> = { NVL: 'coalesce', ARRAY: 'list_value' };

function sessionValue(name: string, ctx: TranslateContext): string {
  switch (name) {
    case 'CURRENT_CATALOG':
      return ctx.currentCatalog;
    case 'CURRENT_SCHEMA':
    case 'CURRENT_DATABASE':
      return ctx.currentSchema;
    default:
      return ctx.user;
  }
}

/** Rewrites one statement's tokens into DuckDB SQL text. */
export function translate(toks: Tok[], ctx: TranslateContext, analysis: Analysis): string {
  const s = toks.filter(sig);
  const out: string[] = [];
  const isCreate = analysis.verb === 'CREATE' || analysis.verb === 'REPLACE';
  // One frame per parenthesis level: are we inside a SELECT list there?
  const frames: boolean[] = [false];
  const createTarget = isCreate ? createTargetIndex(s) : -1;
  const emit = (text: string): void => {
    out.push(text);
  };
  const prevSig = (i: number): Tok | undefined => s[i - 1];

  for (let i = 0; i < s.length; i++) {
    const t = s[i] as Tok;
    const depth = frames.length - 1;

    if (t.kind === 'op' && t.text === '(') {
      frames.push(false);
      emit('(');
      continue;
    }
    if (t.kind === 'op' && t.text === ')') {
      if (frames.length > 1) frames.pop();
      emit(')');
      continue;
    }
    if (isWord(t, 'SELECT')) frames[depth] = true;
    else if (isWord(t, ...SELECT_LIST_END)) frames[depth] = false;

    if (t.kind === 'op' && t.text === '<=>') {
      emit('IS NOT DISTINCT FROM');
      continue;
    }
    if (t.kind === 'str') {
      emit(quoteString(t.value));
      continue;
    }
    if (t.kind === 'num') {
      const m = /^(.*?)(BD|[LSYDF])?$/i.exec(t.text);
      const digits = m?.[1] ?? t.text;
      const suffix = (m?.[2] ?? '').toUpperCase();
      const cast: Record<string, string> = { L: 'BIGINT', S: 'SMALLINT', Y: 'TINYINT', D: 'DOUBLE', F: 'FLOAT', BD: 'DECIMAL(38, 18)' };
      emit(suffix && cast[suffix] ? `CAST(${digits} AS ${cast[suffix]})` : digits);
      continue;
    }
    if (t.kind === 'raw' || t.kind === 'op' || t.kind === 'param' || t.kind === 'qmark') {
      emit(t.text);
      continue;
    }

    // INSERT INTO TABLE t -> INSERT INTO t
    if (isWord(t, 'TABLE') && isWord(prevSig(i), 'INTO')) continue;

    if (isCreate && t.kind === 'ident') {
      const w = t.text.toUpperCase();
      // Delta/UC-only clauses DuckDB does not understand; they do not change the data.
      if (w === 'USING' && s[i + 1]?.kind === 'ident' && !isOp(s[i + 2], '.')) {
        i += 1;
        continue;
      }
      if ((w === 'LOCATION' || w === 'COMMENT') && s[i + 1]?.kind === 'str') {
        i += 1;
        continue;
      }
      if (CREATE_CLAUSES_WITH_PARENS.includes(w) && isOp(s[i + 1], '(')) {
        i = skipParens(s, i + 1);
        continue;
      }
      if ((w === 'PARTITIONED' || w === 'CLUSTER') && isWord(s[i + 1], 'BY')) {
        i = isOp(s[i + 2], '(') ? skipParens(s, i + 2) : i + 2;
        continue;
      }
    }

    // Spark generic types ARRAY<...>, MAP<...>, STRUCT<...>
    if (isWord(t, 'ARRAY', 'MAP', 'STRUCT') && isOp(s[i + 1], '<') && s[i + 2]?.kind === 'ident') {
      const parsed = parseType(s, i);
      emit(parsed.text);
      i = parsed.end - 1;
      continue;
    }

    const chain = readChain(s, i);
    if (!chain) {
      emit(t.text);
      continue;
    }
    if (i === createTarget) {
      // Unity Catalog stores object names in lower case.
      const parts = chain.parts.map((p, k) => (k === 0 && chain.parts.length >= 3 ? (ctx.internalCatalog(p) ?? p) : p.toLowerCase()));
      emit(parts.map(quoteIdent).join('.'));
      i = chain.end - 1;
      continue;
    }
    const followedByParen = isOp(s[chain.end], '(');
    const precededByDot = isOp(prevSig(i), '.');

    if (chain.parts.length === 1 && t.kind === 'ident' && !precededByDot) {
      const upper = t.text.toUpperCase();
      if (SESSION_FUNCTIONS.has(upper) && (followedByParen ? isOp(s[i + 2], ')') : upper !== 'USER')) {
        const end = followedByParen ? i + 3 : i + 1;
        let literal = quoteString(sessionValue(upper, ctx));
        // Keep Spark's column naming (`current_user()`) when used as a bare select item.
        const before = prevSig(i);
        const after = s[end];
        const selectItem =
          frames[depth] === true &&
          (isWord(before, 'SELECT', 'DISTINCT', 'ALL') || isOp(before, ',')) &&
          (after === undefined || isOp(after, ',') || isOp(after, ')') || isWord(after, ...SELECT_ITEM_END));
        if (selectItem) literal += ` AS ${quoteIdent(`${t.text.toLowerCase()}()`)}`;
        emit(literal);
        i = end - 1;
        continue;
      }
      if ((upper === 'CURRENT_TIMESTAMP' || upper === 'CURRENT_DATE') && followedByParen && isOp(s[i + 2], ')')) {
        emit(upper.toLowerCase());
        i += 2;
        continue;
      }
      if (followedByParen && (upper === 'MAP' || upper === 'NAMED_STRUCT')) {
        const close = skipParens(s, i + 1);
        const args = splitArgs(s.slice(i + 2, close)).map((arg) => translate(arg, ctx, analysis));
        if (upper === 'MAP') {
          // map(k1, v1, k2, v2) -> MAP([k1, k2], [v1, v2])
          const keys = args.filter((_, k) => k % 2 === 0);
          const values = args.filter((_, k) => k % 2 === 1);
          emit(`MAP([${keys.join(', ')}], [${values.join(', ')}])`);
        } else {
          // named_struct('a', x, 'b', y) -> struct_pack("a" := x, "b" := y)
          const fields: string[] = [];
          for (let k = 0; k + 1 < args.length; k += 2) {
            fields.push(`${quoteIdent((args[k] as string).replace(/^'|'$/g, '').replace(/''/g, "'"))} := ${args[k + 1]}`);
          }
          emit(`struct_pack(${fields.join(', ')})`);
        }
        i = close;
        continue;
      }
      if (followedByParen && FUNCTION_RENAMES[upper]) {
        emit(FUNCTION_RENAMES[upper] as string);
        continue;
      }
      if (BARE_TYPE_RENAMES.has(upper) && !followedByParen) {
        emit(SCALAR_TYPES[upper] as string);
        continue;
      }
      emit(t.text);
      continue;
    }

    let parts = chain.parts;
    const isIdx = parts.findIndex((p) => p.toLowerCase() === 'information_schema');
    let prefix: string | undefined;
    if (!precededByDot && !followedByParen && isIdx === 1 && parts.length >= 3) {
      const internal = ctx.internalCatalog(parts[0] as string);
      if (internal) {
        prefix = ctx.informationSchema(parts[0] as string);
        parts = parts.slice(2);
      }
    } else if (!precededByDot && !followedByParen && isIdx === 0 && parts.length >= 2 && !ctx.internalCatalog('information_schema')) {
      prefix = ctx.informationSchema(ctx.currentCatalog);
      parts = parts.slice(1);
    }
    if (prefix === undefined && !precededByDot && parts.length >= 3) {
      const internal = ctx.internalCatalog(parts[0] as string);
      if (internal) parts = [internal, ...parts.slice(1)];
    }
    const text = parts.map(quoteIdent).join('.');
    emit(prefix ? `${prefix}.${text}` : text);
    i = chain.end - 1;
  }
  return joinTokens(out);
}

/** Index (in significant tokens) of the object name in CREATE [OR REPLACE] TABLE|VIEW [IF NOT EXISTS] name. */
function createTargetIndex(s: Tok[]): number {
  for (let k = 1; k < Math.min(s.length, 6); k++) {
    if (isWord(s[k], 'TABLE', 'VIEW')) {
      let j = k + 1;
      while (isWord(s[j], 'IF', 'NOT', 'EXISTS')) j++;
      return j;
    }
  }
  return -1;
}

/** Splits call arguments at top-level commas. */
function splitArgs(s: Tok[]): Tok[][] {
  const out: Tok[][] = [[]];
  let depth = 0;
  for (const t of s) {
    if (isOp(t, '(')) depth++;
    if (isOp(t, ')')) depth--;
    if (depth === 0 && isOp(t, ',')) out.push([]);
    else out[out.length - 1]?.push(t);
  }
  return out.filter((a) => a.length > 0);
}

function skipParens(s: Tok[], open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (isOp(s[j], '(')) depth++;
    else if (isOp(s[j], ')')) {
      depth--;
      if (depth === 0) return j;
    }
  }
  return s.length;
}

function joinTokens(parts: string[]): string {
  let out = '';
  for (const p of parts) {
    if (out === '' || p === '.' || out.endsWith('.') || p === ',' || p === ')' || out.endsWith('(')) out += p;
    else out += ` ${p}`;
  }
  return out;
}

/** Databricks SHOW ... LIKE patterns: `*` wildcard and `|` alternatives, case-insensitive. */
export function likePattern(pattern: string): RegExp {
  const alts = pattern.split('|').map((a) => a.trim().replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  return new RegExp(`^(?:${alts.join('|')})$`, 'i');
}
