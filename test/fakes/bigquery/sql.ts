/**
 * Translation of BigQuery GoogleSQL onto DuckDB for the fake BigQuery server.
 *
 * Not a parser: a tokenizer plus targeted rewrites (backtick paths, INFORMATION_SCHEMA views, type
 * names in type positions, string literal syntax, query parameters, a few function spellings). It
 * covers what connector tests send; anything else is passed through for DuckDB to judge.
 */

/** A BigQuery schema field (the REST TableFieldSchema subset the fake understands). */
export interface BqField {
  name: string;
  type: string;
  mode?: string;
  fields?: BqField[];
  description?: string;
  precision?: string;
  scale?: string;
}

/** An error the server turns into Google's error body. */
export class BqError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const STATUS_BY_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
};

export const invalidQuery = (message: string): BqError =>
  new BqError(400, 'invalidQuery', message, { location: 'q', locationType: 'parameter' });

type Tok =
  | { k: 'ws'; text: string }
  | { k: 'str'; value: string; bytes: boolean }
  | { k: 'word'; text: string }
  | { k: 'qid'; parts: string[] }
  | { k: 'param'; name: string }
  | { k: 'qmark' }
  | { k: 'num'; text: string }
  | { k: 'op'; text: string };

const ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '?': '?', '"': '"', "'": "'", '`': '`',
};

function unescapeBq(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const nx = raw[++i] as string;
    if (nx in ESCAPES) out += ESCAPES[nx];
    else if (nx === 'x' || nx === 'X') {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (nx === 'u') {
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (nx === 'U') {
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 9), 16));
      i += 8;
    } else if (/[0-7]/.test(nx)) {
      out += String.fromCharCode(parseInt(raw.slice(i, i + 3), 8));
      i += 2;
    } else out += nx;
  }
  return out;
}

// No '<<'/'>>': they would swallow the closing brackets of ARRAY<STRUCT<...>>.
const MULTI_OPS = ['<=', '>=', '<>', '!=', '||', '::', '=>'];

export function tokenize(sql: string, projectId: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i] as string;
    const rest = sql.slice(i);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^\s+/))) {
      toks.push({ k: 'ws', text: m[0] });
      i += m[0].length;
    } else if (rest.startsWith('--') || ch === '#') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      // DuckDB has no `#` comments.
      toks.push({ k: 'ws', text: '--' + sql.slice(i + (ch === '#' ? 1 : 2), stop) });
      i = stop;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      toks.push({ k: 'ws', text: sql.slice(i, stop) });
      i = stop;
    } else if ((m = rest.match(/^([rRbB]{0,2})('''|"""|'|")/)) && /^(|r|b|rb|br)$/i.test(m[1] as string)) {
      const prefix = (m[1] as string).toLowerCase();
      const quote = m[2] as string;
      let j = i + m[0].length;
      let raw = '';
      for (;;) {
        if (j >= n) throw invalidQuery('Syntax error: Unclosed string literal');
        if (sql.startsWith(quote, j)) break;
        if (sql[j] === '\\' && !prefix.includes('r')) {
          raw += sql.slice(j, j + 2);
          j += 2;
          continue;
        }
        raw += sql[j];
        j++;
      }
      toks.push({ k: 'str', value: prefix.includes('r') ? raw : unescapeBq(raw), bytes: prefix.includes('b') });
      i = j + quote.length;
    } else if (ch === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw invalidQuery('Syntax error: Unclosed identifier literal');
      toks.push({ k: 'qid', parts: sql.slice(i + 1, end).split('.') });
      i = end + 1;
    } else if (rest.startsWith('@@')) {
      toks.push({ k: 'op', text: '@@' });
      i += 2;
    } else if ((m = rest.match(/^@([A-Za-z_][A-Za-z0-9_]*)/))) {
      toks.push({ k: 'param', name: m[1] as string });
      i += m[0].length;
    } else if (ch === '?') {
      toks.push({ k: 'qmark' });
      i++;
    } else if ((m = rest.match(/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/))) {
      toks.push({ k: 'num', text: m[0] });
      i += m[0].length;
    } else if (projectId.includes('-') && rest.startsWith(projectId) && /^[.\s]/.test(sql[i + projectId.length] ?? ' ')) {
      // BigQuery accepts an unquoted dashed project id in paths (FROM my-project.dataset.table).
      toks.push({ k: 'qid', parts: [projectId] });
      i += projectId.length;
    } else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      toks.push({ k: 'word', text: m[0] });
      i += m[0].length;
    } else {
      const op = MULTI_OPS.find((o) => rest.startsWith(o)) ?? ch;
      toks.push({ k: 'op', text: op });
      i += op.length;
    }
  }
  return toks;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function bytesLiteral(value: Buffer): string {
  return `CAST('${[...value].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('')}' AS BLOB)`;
}

// ---------------------------------------------------------------------------------------------
// Types

const SIMPLE_TYPES: Record<string, string> = {
  INT64: 'BIGINT', INTEGER: 'BIGINT', INT: 'BIGINT', SMALLINT: 'BIGINT', BIGINT: 'BIGINT', TINYINT: 'BIGINT', BYTEINT: 'BIGINT',
  FLOAT64: 'DOUBLE', FLOAT: 'DOUBLE',
  BOOL: 'BOOLEAN', BOOLEAN: 'BOOLEAN',
  STRING: 'VARCHAR', BYTES: 'BLOB',
  DATE: 'DATE', TIME: 'TIME', DATETIME: 'TIMESTAMP', TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON', GEOGRAPHY: 'VARCHAR', INTERVAL: 'INTERVAL',
};
const DECIMAL_TYPES = new Set(['NUMERIC', 'DECIMAL', 'BIGNUMERIC', 'BIGDECIMAL']);

export function isTypeWord(word: string): boolean {
  const u = word.toUpperCase();
  return u in SIMPLE_TYPES || DECIMAL_TYPES.has(u) || u === 'ARRAY' || u === 'STRUCT' || u === 'RECORD' || u === 'RANGE';
}

function decimalType(precision?: number, scale?: number): string {
  // DuckDB stops at 38 digits; BIGNUMERIC's 76 cannot be represented, NUMERIC's (38, 9) can.
  const p = Math.min(precision ?? 38, 38);
  const s = Math.min(scale ?? (precision === undefined ? 9 : 0), p);
  return `DECIMAL(${p},${s})`;
}

/** DuckDB column type for a BigQuery REST schema field (tables.insert, insertAll). */
export function duckTypeForField(f: BqField): string {
  const t = f.type.toUpperCase();
  let base: string;
  if (t === 'RECORD' || t === 'STRUCT') {
    const subs = f.fields ?? [];
    base = `STRUCT(${subs.map((s) => `${quoteIdent(s.name)} ${duckTypeForField(s)}`).join(', ')})`;
  } else if (DECIMAL_TYPES.has(t)) {
    base = decimalType(f.precision === undefined ? undefined : Number(f.precision), f.scale === undefined ? undefined : Number(f.scale));
  } else if (t in SIMPLE_TYPES) base = SIMPLE_TYPES[t] as string;
  else throw new BqError(400, 'invalid', `Invalid value for type: ${f.type} is not a valid value`);
  return f.mode?.toUpperCase() === 'REPEATED' ? `${base}[]` : base;
}

/** Canonical GoogleSQL spelling of a field's type, as INFORMATION_SCHEMA.COLUMNS shows it. */
export function standardTypeName(f: BqField): string {
  const t = f.type.toUpperCase();
  const map: Record<string, string> = {
    INTEGER: 'INT64', INT64: 'INT64', FLOAT: 'FLOAT64', FLOAT64: 'FLOAT64', BOOLEAN: 'BOOL', BOOL: 'BOOL',
  };
  let base = map[t] ?? t;
  if (t === 'RECORD' || t === 'STRUCT') base = `STRUCT<${(f.fields ?? []).map((s) => `${s.name} ${standardTypeName(s)}`).join(', ')}>`;
  return f.mode?.toUpperCase() === 'REPEATED' ? `ARRAY<${base}>` : base;
}

type TypeParse = { duck: string; end: number };

/** Parses a GoogleSQL type starting at token index i (significant tokens only), or null. */
function parseType(toks: Tok[], i: number): TypeParse | null {
  const sig = (j: number): number => {
    while (j < toks.length && toks[j]?.k === 'ws') j++;
    return j;
  };
  const tok = toks[i];
  if (!tok || tok.k !== 'word' || !isTypeWord(tok.text)) return null;
  const u = tok.text.toUpperCase();
  const isOp = (j: number, text: string): boolean => {
    const t = toks[j];
    return t?.k === 'op' && t.text === text;
  };
  if (u === 'ARRAY' || u === 'STRUCT' || u === 'RANGE') {
    let j = sig(i + 1);
    if (!isOp(j, '<')) return null;
    j = sig(j + 1);
    if (u === 'ARRAY') {
      const inner = parseType(toks, j);
      if (!inner) return null;
      const close = sig(inner.end);
      return isOp(close, '>') ? { duck: `${inner.duck}[]`, end: close + 1 } : null;
    }
    if (u === 'RANGE') {
      const inner = parseType(toks, j);
      if (!inner) return null;
      const close = sig(inner.end);
      return isOp(close, '>') ? { duck: 'VARCHAR', end: close + 1 } : null;
    }
    const entries: string[] = [];
    for (let idx = 1; ; idx++) {
      let name = `_field_${idx}`;
      const t = toks[j];
      let typeStart = j;
      // `name TYPE` or just `TYPE`: a field name is followed by another word.
      if (t && (t.k === 'word' || t.k === 'qid')) {
        const after = sig(j + 1);
        const a = toks[after];
        if (a && a.k === 'word') {
          name = t.k === 'word' ? t.text : t.parts.join('.');
          typeStart = after;
        }
      }
      const inner = parseType(toks, typeStart);
      if (!inner) return null;
      entries.push(`${quoteIdent(name)} ${inner.duck}`);
      j = sig(inner.end);
      if (isOp(j, ',')) {
        j = sig(j + 1);
        continue;
      }
      if (isOp(j, '>')) return { duck: `STRUCT(${entries.join(', ')})`, end: j + 1 };
      return null;
    }
  }
  let end = i + 1;
  const params: number[] = [];
  const open = sig(end);
  if (isOp(open, '(')) {
    let j = sig(open + 1);
    while (toks[j]?.k === 'num' || isOp(j, ',')) {
      const t = toks[j];
      if (t?.k === 'num') params.push(Number(t.text));
      j = sig(j + 1);
    }
    if (isOp(j, ')')) end = j + 1;
  }
  if (DECIMAL_TYPES.has(u)) return { duck: decimalType(params[0], params[1]), end };
  return { duck: SIMPLE_TYPES[u] as string, end };
}

// ---------------------------------------------------------------------------------------------
// Query parameters (inlined as typed literals: simpler than binding and covers every type)

export interface QueryParameter {
  name?: string;
  parameterType: { type: string; arrayType?: QueryParameter['parameterType']; structTypes?: { name?: string; type: QueryParameter['parameterType'] }[] };
  parameterValue?: { value?: string | number | boolean | null; arrayValues?: NonNullable<QueryParameter['parameterValue']>[]; structValues?: Record<string, NonNullable<QueryParameter['parameterValue']>> };
}

function paramTypeDuck(t: QueryParameter['parameterType']): string {
  const u = t.type.toUpperCase();
  if (u === 'ARRAY') return `${paramTypeDuck(t.arrayType ?? { type: 'STRING' })}[]`;
  if (u === 'STRUCT') return `STRUCT(${(t.structTypes ?? []).map((s, i) => `${quoteIdent(s.name ?? `_field_${i + 1}`)} ${paramTypeDuck(s.type)}`).join(', ')})`;
  if (DECIMAL_TYPES.has(u)) return decimalType();
  const d = SIMPLE_TYPES[u];
  if (!d) throw invalidQuery(`Invalid query parameter type: ${t.type}`);
  return d;
}

export function paramLiteral(t: QueryParameter['parameterType'], v: QueryParameter['parameterValue']): string {
  const u = t.type.toUpperCase();
  const duck = paramTypeDuck(t);
  if (u === 'ARRAY') {
    const items = v?.arrayValues ?? [];
    return `CAST([${items.map((x) => paramLiteral(t.arrayType ?? { type: 'STRING' }, x)).join(', ')}] AS ${duck})`;
  }
  if (u === 'STRUCT') {
    if (!v?.structValues) return `CAST(NULL AS ${duck})`;
    const sv = v.structValues;
    const parts = (t.structTypes ?? []).map((s, i) => {
      const name = s.name ?? `_field_${i + 1}`;
      return `${sqlString(name)}: ${paramLiteral(s.type, sv[name])}`;
    });
    return `CAST({${parts.join(', ')}} AS ${duck})`;
  }
  const given: unknown = v?.value;
  if (given === undefined || given === null) return `CAST(NULL AS ${duck})`;
  // The Node client sends numbers and booleans unquoted although the API documents strings.
  const raw = String(given);
  if (u === 'BYTES') return bytesLiteral(Buffer.from(raw, 'base64'));
  return `CAST(${sqlString(raw)} AS ${duck})`;
}

// ---------------------------------------------------------------------------------------------
// Rewriting

/** What the rewriter needs to know about the catalog. */
export interface CatalogView {
  projectId: string;
  location: string;
  datasets: Set<string>;
  defaultDataset?: string;
  /** SQL (a parenthesised subquery) for an INFORMATION_SCHEMA view; dataset undefined = whole region. */
  infoSchema(view: string, dataset: string | undefined): string;
}

export interface TableRef {
  dataset: string;
  /** Table name as written, or `INFORMATION_SCHEMA.<VIEW>`. */
  table: string;
}

export interface Rewritten {
  sql: string;
  refs: TableRef[];
  /** Datasets named as datasets (CREATE SCHEMA `p.d`, ...). */
  datasetRefs: string[];
}

const KEYWORDS = new Set(
  ('WHERE LIMIT JOIN INNER LEFT RIGHT FULL CROSS OUTER ON USING GROUP ORDER HAVING UNION EXCEPT INTERSECT WINDOW ' +
    'QUALIFY TABLESAMPLE FOR NATURAL OFFSET FETCH SELECT FROM WITH AS AND OR NOT IN IS SET VALUES RETURNING ' +
    'PIVOT UNPIVOT LATERAL ASOF POSITIONAL ANTI SEMI WHEN THEN ELSE END').split(' '),
);

const CURRENT_FNS: Record<string, string> = {
  CURRENT_TIMESTAMP: 'CURRENT_TIMESTAMP',
  CURRENT_DATE: 'CURRENT_DATE',
  CURRENT_TIME: 'CAST(CURRENT_TIMESTAMP AS TIME)',
  CURRENT_DATETIME: 'CAST(CURRENT_TIMESTAMP AS TIMESTAMP)',
  GENERATE_UUID: 'CAST(gen_random_uuid() AS VARCHAR)',
};

interface Path {
  parts: string[];
  quoted: boolean;
  end: number; // token index after the path
}

export function rewriteSql(sql: string, cat: CatalogView, params: QueryParameter[] = []): Rewritten {
  const toks = tokenize(sql, cat.projectId);
  const out: string[] = [];
  const refs: TableRef[] = [];
  const datasetRefs: string[] = [];
  const named = new Map(params.filter((p) => p.name).map((p) => [p.name?.toLowerCase() as string, p]));
  const positional = params.filter((p) => !p.name);
  let nextPositional = 0;

  const sigIdx = (j: number): number => {
    while (j < toks.length && toks[j]?.k === 'ws') j++;
    return j;
  };
  const isOp = (t: Tok | undefined, text: string): boolean => t?.k === 'op' && t.text === text;
  const upper = (t: Tok | undefined): string => (t?.k === 'word' ? t.text.toUpperCase() : '');

  // Significant tokens already consumed, for context decisions.
  const prevSig: Tok[] = [];
  // Paren context: cast = inside CAST(...); ddl = a CREATE TABLE column list.
  const parens: { cast: boolean; ddl: boolean; options: boolean }[] = [];
  // Upper-cased words of the current statement at paren depth 0 ('<path>' for a path).
  let stmtWords: string[] = [];
  let skipDepth = -1; // > -1 while dropping an OPTIONS(...) group

  const notFoundDataset = (project: string, ds: string): BqError =>
    new BqError(404, 'notFound', `Not found: Dataset ${project}:${ds} was not found in location ${cat.location}`);

  const readPath = (i: number): Path | null => {
    const t = toks[i];
    if (!t || (t.k !== 'word' && t.k !== 'qid')) return null;
    const parts: string[] = [];
    let quoted = false;
    let j = i;
    for (;;) {
      const cur = toks[j];
      if (cur?.k === 'word') parts.push(cur.text);
      else if (cur?.k === 'qid') {
        parts.push(...cur.parts);
        quoted = true;
      } else break;
      const dot = toks[j + 1];
      const nx = toks[j + 2];
      if (isOp(dot, '.') && (nx?.k === 'word' || nx?.k === 'qid')) j += 2;
      else break;
    }
    return { parts, quoted, end: j + 1 };
  };

  const emitInfoSchema = (qual: string[], view: string, end: number): void => {
    let dataset: string | undefined;
    if (qual.length === 0) {
      if (!cat.defaultDataset) throw invalidQuery(`Table "INFORMATION_SCHEMA.${view}" must be qualified with a dataset (e.g. dataset.table).`);
      dataset = cat.defaultDataset;
    } else {
      const q = [...qual];
      if (q.length === 2) {
        if (q[0] !== cat.projectId) throw notFoundDataset(q[0] as string, q[1] as string);
        q.shift();
      }
      const only = q[0] as string;
      if (/^region-/i.test(only)) {
        if (only.slice('region-'.length).toLowerCase() !== cat.location.toLowerCase()) {
          throw new BqError(404, 'notFound', `Not found: Dataset ${cat.projectId}:${only} was not found in location ${cat.location}`);
        }
        dataset = undefined;
      } else if (only === cat.projectId && q.length === 1 && qual.length === 1 && !cat.datasets.has(only)) {
        dataset = undefined;
      } else {
        if (!cat.datasets.has(only)) throw notFoundDataset(cat.projectId, only);
        dataset = only;
      }
    }
    if (dataset !== undefined) refs.push({ dataset, table: `INFORMATION_SCHEMA.${view}` });
    out.push(cat.infoSchema(view, dataset));
    // A subquery needs an alias for qualified column references (TABLES.table_name) to resolve.
    const nx = toks[sigIdx(end)];
    const hasAlias = nx?.k === 'qid' || (nx?.k === 'word' && (nx.text.toUpperCase() === 'AS' || !KEYWORDS.has(nx.text.toUpperCase())));
    if (!hasAlias) out.push(` AS ${quoteIdent(view)}`);
  };

  const emitPath = (p: Path): void => {
    const parts = p.parts;
    const isIdx = parts.findIndex((x) => x.toUpperCase() === 'INFORMATION_SCHEMA');
    if (isIdx >= 0 && isIdx === parts.length - 2) {
      emitInfoSchema(parts.slice(0, isIdx), (parts[isIdx + 1] as string).toUpperCase(), p.end);
      return;
    }
    let rest = parts;
    if (parts.length >= 2 && parts[0] === cat.projectId) {
      rest = parts.slice(1);
      const ds = rest[0] as string;
      if (rest.length === 1) datasetRefs.push(ds);
      else {
        if (!cat.datasets.has(ds)) throw notFoundDataset(cat.projectId, ds);
        refs.push({ dataset: ds, table: rest[1] as string });
      }
    } else if (parts.length === 3 && p.quoted && !cat.datasets.has(parts[0] as string)) {
      throw notFoundDataset(parts[0] as string, parts[1] as string);
    } else if (parts.length >= 2 && cat.datasets.has(parts[0] as string)) {
      refs.push({ dataset: parts[0] as string, table: parts[1] as string });
    } else if (parts.length === 2 && p.quoted) {
      throw notFoundDataset(cat.projectId, parts[0] as string);
    }
    out.push(rest.map((x) => (p.quoted || parts.length > 1 ? quoteIdent(x) : x)).join('.'));
  };

  const emitType = (i: number): number | null => {
    const parsed = parseType(toks, i);
    if (!parsed) return null;
    out.push(parsed.duck);
    return parsed.end;
  };

  const isTypePosition = (): boolean => {
    const p1 = prevSig[prevSig.length - 1];
    const p2 = prevSig[prevSig.length - 2];
    const top = parens[parens.length - 1];
    if (top?.cast && upper(p1) === 'AS') return true;
    if (top?.ddl && (p1?.k === 'word' || p1?.k === 'qid') && (isOp(p2, '(') || isOp(p2, ','))) return true;
    if (stmtWords[0] === 'ALTER' && parens.length === 0 && (p1?.k === 'word' || p1?.k === 'qid')) {
      const w = prevSig.slice(-5).map((t) => upper(t));
      if (w[3] === 'COLUMN' || (w[0] === 'COLUMN' && w[1] === 'IF' && w[2] === 'NOT' && w[3] === 'EXISTS')) return true;
    }
    if (upper(p1) === 'TYPE' && upper(p2) === 'DATA') return true;
    return false;
  };

  let i = 0;
  while (i < toks.length) {
    const t = toks[i] as Tok;
    if (skipDepth >= 0) {
      if (isOp(t, '(')) parens.push({ cast: false, ddl: false, options: true });
      if (isOp(t, ')')) {
        parens.pop();
        if (parens.length === skipDepth) skipDepth = -1;
      }
      i++;
      continue;
    }
    if (t.k === 'ws') {
      out.push(t.text);
      i++;
      continue;
    }
    const consumed = (tok: Tok, word?: string): void => {
      prevSig.push(tok);
      if (parens.length === 0 && word !== undefined) stmtWords.push(word);
    };
    if (t.k === 'str') {
      out.push(t.bytes ? bytesLiteral(Buffer.from(t.value, 'latin1')) : sqlString(t.value));
      consumed(t, "'");
      i++;
      continue;
    }
    if (t.k === 'param') {
      const p = named.get(t.name.toLowerCase());
      if (!p) throw invalidQuery(`Query parameter '${t.name}' not found`);
      out.push(paramLiteral(p.parameterType, p.parameterValue));
      consumed(t, '?');
      i++;
      continue;
    }
    if (t.k === 'qmark') {
      const p = positional[nextPositional++];
      if (!p) throw invalidQuery('Positional query parameter not found');
      out.push(paramLiteral(p.parameterType, p.parameterValue));
      consumed(t, '?');
      i++;
      continue;
    }
    if (t.k === 'num') {
      out.push(t.text);
      consumed(t, '0');
      i++;
      continue;
    }
    if (t.k === 'op') {
      if (t.text === ';' && parens.length === 0) stmtWords = [];
      if (t.text === '(') {
        const p1 = prevSig[prevSig.length - 1];
        const w = upper(p1);
        const ddl =
          parens.length === 0 &&
          /^CREATE( OR REPLACE)?( TEMP| TEMPORARY)? TABLE( IF NOT EXISTS)? \S+$/.test(stmtWords.join(' '));
        parens.push({ cast: w === 'CAST' || w === 'SAFE_CAST' || w === 'TRY_CAST', ddl, options: false });
      } else if (t.text === ')') parens.pop();
      out.push(t.text);
      consumed(t, t.text);
      i++;
      continue;
    }
    // word or qid
    if (t.k === 'word') {
      const u = t.text.toUpperCase();
      const p1 = prevSig[prevSig.length - 1];
      const nxIdx = sigIdx(i + 1);
      const nx = toks[nxIdx];
      const afterDot = isOp(p1, '.');
      if (!afterDot && (stmtWords[0] === 'CREATE' || stmtWords[0] === 'ALTER') && u === 'OPTIONS' && isOp(nx, '(')) {
        // Table/column OPTIONS(...) have no DuckDB counterpart: drop them.
        skipDepth = parens.length;
        parens.push({ cast: false, ddl: false, options: true });
        i = nxIdx + 1;
        continue;
      }
      if (!afterDot && isTypePosition()) {
        const end = emitType(i);
        if (end !== null) {
          consumed(t, 'TYPE');
          i = end;
          continue;
        }
      }
      if (!afterDot && nx?.k === 'str' && !nx.bytes && (isTypeWord(u) && u !== 'INTERVAL' && u !== 'ARRAY' && u !== 'STRUCT')) {
        // Typed literal: TIMESTAMP '...' must become an absolute (TIMESTAMPTZ) value, etc.
        const parsed = parseType(toks, i);
        out.push(`CAST(${sqlString(nx.value)} AS ${parsed?.duck ?? 'VARCHAR'})`);
        consumed(t, "'");
        i = nxIdx + 1;
        continue;
      }
      if (!afterDot && u in CURRENT_FNS) {
        const close = sigIdx(nxIdx + 1);
        if (isOp(nx, '(') && isOp(toks[close], ')')) {
          out.push(CURRENT_FNS[u] as string);
          consumed(t, u);
          i = close + 1;
          continue;
        }
      }
      if (!afterDot && u === 'SAFE_CAST' && isOp(nx, '(')) {
        out.push('TRY_CAST');
        consumed({ k: 'word', text: 'TRY_CAST' }, 'TRY_CAST');
        i++;
        continue;
      }
      if (u === 'EXCEPT' && isOp(p1, '*') && isOp(nx, '(')) {
        out.push('EXCLUDE');
        consumed(t, 'EXCLUDE');
        i++;
        continue;
      }
    }
    const path = readPath(i) as Path;
    if (path.parts.length === 1 && t.k === 'word') {
      out.push(t.text);
      consumed(t, t.text.toUpperCase());
      i++;
      continue;
    }
    emitPath(path);
    consumed(toks[path.end - 1] as Tok, '<path>');
    i = path.end;
  }
  return { sql: out.join(''), refs, datasetRefs };
}

/** Leading keywords of a statement, comments stripped, for statementType. */
export function statementTypeOf(sql: string): string {
  const text = sql
    .replace(/--[^\n]*|#[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .toUpperCase();
  const m = text.match(/^(\w+)(?:\s+OR\s+REPLACE)?(?:\s+(?:TEMP|TEMPORARY))?(?:\s+(\w+))?/);
  const first = m?.[1] ?? '';
  const second = m?.[2] ?? '';
  if (first === 'SELECT' || first === 'WITH' || first === '(') return 'SELECT';
  if (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(first)) return first;
  if (first === 'TRUNCATE') return 'TRUNCATE_TABLE';
  if (first === 'CREATE') {
    if (second === 'TABLE') return /\bAS\s*\(?\s*(SELECT|WITH)\b/.test(text) ? 'CREATE_TABLE_AS_SELECT' : 'CREATE_TABLE';
    if (second === 'VIEW') return 'CREATE_VIEW';
    if (second === 'SCHEMA') return 'CREATE_SCHEMA';
    if (second === 'FUNCTION') return 'CREATE_FUNCTION';
    return `CREATE_${second}`;
  }
  if (first === 'DROP') return `DROP_${second}`;
  if (first === 'ALTER') return `ALTER_${second}`;
  return first || 'SELECT';
}
