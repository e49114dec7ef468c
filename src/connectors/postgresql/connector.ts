import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type PostgresConnection, connectPostgres, destroyClient, pgIdent } from '../../lib/postgres-client.js';
import { StepError } from '../../warehouses/types.js';
import { type Column, type Connector, type ReadEvent, type StreamSchema, cursorCandidates } from '../types.js';
import { logicalType, selectExpression } from './types.js';

interface Config extends PostgresConnection {
  schemas: string[];
}

/** Stream name: the table name in the first listed schema, `schema.table` elsewhere. */
function streamName(schema: string, table: string, config: Config): string {
  return schema === config.schemas[0] ? table : `${schema}.${table}`;
}

function tableOf(name: string, config: Config): { schema: string; table: string } {
  const dot = name.indexOf('.');
  return dot > 0 && config.schemas.includes(name.slice(0, dot)) ? { schema: name.slice(0, dot), table: name.slice(dot + 1) } : { schema: config.schemas[0]!, table: name };
}

type PgColumn = Column & { udt: string };

async function discover(client: pg.Client, config: Config): Promise<(StreamSchema & { columns: PgColumn[] })[]> {
  const { rows } = await client.query<{ schema: string; table: string; column: string; udt: string; type: string; nullable: boolean; precision: number | null; scale: number | null }>(
    `SELECT n.nspname::text AS schema, c.relname::text AS table, a.attname::text AS column, t.typname::text AS udt,
            format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
            information_schema._pg_numeric_precision(a.atttypid, a.atttypmod) AS precision,
            information_schema._pg_numeric_scale(a.atttypid, a.atttypmod) AS scale
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND has_table_privilege(c.oid, 'SELECT')
      ORDER BY n.nspname, c.relname, a.attnum`,
    [config.schemas],
  );
  const pks = await client.query<{ schema: string; table: string; columns: string[] }>(
    `SELECT n.nspname::text AS schema, c.relname::text AS table, array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND n.nspname = ANY($1)
      GROUP BY 1, 2`,
    [config.schemas],
  );
  const pkOf = new Map(pks.rows.map((r) => [`${r.schema}.${r.table}`, r.columns]));
  const tables = new Map<string, { schema: string; table: string; columns: PgColumn[] }>();
  for (const r of rows) {
    const key = `${r.schema}.${r.table}`;
    if (!tables.has(key)) tables.set(key, { schema: r.schema, table: r.table, columns: [] });
    const type = logicalType(r.udt);
    tables.get(key)!.columns.push({
      name: r.column,
      type,
      nullable: r.nullable,
      sourceType: r.type,
      udt: r.udt,
      ...(type === 'decimal' && r.precision !== null ? { precision: r.precision, scale: r.scale ?? 0 } : {}),
    });
  }
  return [...tables.values()].map(({ schema, table, columns }) => {
    const primaryKey = pkOf.get(`${schema}.${table}`) ?? [];
    const { candidates, preferred } = cursorCandidates(columns);
    return {
      name: streamName(schema, table, config),
      columns,
      primaryKey,
      cursorField: preferred,
      cursorCandidates: candidates,
      syncModes: primaryKey.length && candidates.length ? ['full_refresh', 'incremental'] : ['full_refresh'],
    };
  });
}

export const connector: Connector = {
  async check(raw, ctx) {
    const config = raw as unknown as Config;
    const client = await connectPostgres(config, ctx, 'quarry-loader');
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ANY($1) AND c.relkind IN ('r','p','v','m','f') AND has_table_privilege(c.oid, 'SELECT')`,
        [config.schemas],
      );
      return `connected to ${config.database} as ${config.username}; ${rows[0]!.n} readable table(s) in ${config.schemas.join(', ')}`;
    } finally {
      destroyClient(client);
    }
  },

  async discover(raw, ctx) {
    const config = raw as unknown as Config;
    const client = await connectPostgres(config, ctx, 'quarry-loader');
    try {
      return (await discover(client, config)).map(({ columns, ...s }) => ({ ...s, columns: columns.map(({ udt: _udt, ...c }: PgColumn) => c) }));
    } finally {
      destroyClient(client);
    }
  },

  async *read(raw, options, ctx): AsyncGenerator<ReadEvent> {
    const config = raw as unknown as Config;
    const { schema, table } = tableOf(options.stream.name, config);
    const client = await connectPostgres(config, ctx, 'quarry-loader');
    try {
      // One snapshot for the data and its cursor: a row committed meanwhile is in neither.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL bytea_output = 'hex'; SET LOCAL IntervalStyle = 'iso_8601'`);
      const live = (await discover(client, { ...config, schemas: [schema] })).find((s) => s.name === table || s.name === `${schema}.${table}`);
      if (!live) throw new StepError(`table ${pgIdent(schema)}.${pgIdent(table)} no longer exists or is not readable`);
      const byName = new Map(live.columns.map((c) => [c.name, c]));
      const columns = options.stream.columns.map((c) => {
        const found = byName.get(c.name);
        if (!found) throw new StepError(`column ${pgIdent(c.name)} of ${pgIdent(schema)}.${pgIdent(table)} no longer exists`);
        return found;
      });
      const from = `${pgIdent(schema)}.${pgIdent(table)}`;
      let where = '';
      let cursor: string | null = null;
      if (options.mode === 'incremental' && options.cursorField) {
        const cur = byName.get(options.cursorField);
        if (!cur) throw new StepError(`cursor column ${pgIdent(options.cursorField)} no longer exists`);
        // `>=`, not `>`: rows sharing the last cursor value are read again and merged on the
        // primary key, so none is skipped however many share it.
        where = options.cursor === null ? '' : ` WHERE ${pgIdent(cur.name)} >= ${client.escapeLiteral(options.cursor)}::${cur.sourceType}`;
        const max = await client.query<{ max: string | null }>(`SELECT max(${pgIdent(cur.name)})::text AS max FROM ${from}${where}`);
        cursor = max.rows[0]?.max ?? options.cursor;
      }
      const select = columns.map((c) => selectExpression(c, pgIdent(c.name))).join(', ');
      const stream = client.query(copyTo(`COPY (SELECT ${select} FROM ${from}${where}) TO STDOUT WITH (FORMAT csv)`));
      const abort = () => stream.destroy(new Error('cancelled'));
      ctx.signal.addEventListener('abort', abort, { once: true });
      try {
        for await (const chunk of stream) yield { type: 'csv', data: chunk as Buffer };
      } finally {
        ctx.signal.removeEventListener('abort', abort);
      }
      await client.query('COMMIT');
      if (options.mode === 'incremental') yield { type: 'state', cursor };
    } finally {
      destroyClient(client);
    }
  },
};
