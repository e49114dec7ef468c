/**
 * The MySQL connector's read alone (no warehouse), side by side with mysql2 streaming the same
 * rows and doing nothing with them: where the connector's time goes. BENCH_ROWS rows (1,000,000).
 * Run: npm run bench:mysql-read
 */
import crypto from 'node:crypto';
import os from 'node:os';
import mysql from 'mysql2';
import mysqlp from 'mysql2/promise';
import { connector } from '../src/connectors/mysql/connector.js';
import { createLogger } from '../src/logger.js';
import { NetworkPolicy } from '../src/net/policy.js';
import { openOperation } from '../src/warehouses/context.js';
import { print, table } from './lib.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const db = `qb_myread_${crypto.randomBytes(3).toString('hex')}`;
const admin = await mysqlp.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
await admin.query(`CREATE DATABASE ${db}; USE ${db};
  CREATE TABLE big (id bigint PRIMARY KEY, name varchar(64) NOT NULL, amount decimal(12,2), created_at datetime(6) NOT NULL, flag tinyint(1), note varchar(64));
  INSERT INTO big SELECT seq, CONCAT('customer name ', seq), (seq % 100000) / 100.0, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND, seq % 2 = 0, MD5(seq) FROM seq_1_to_${ROWS};`);

async function raw(): Promise<number> {
  const conn = mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: db, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  const t0 = performance.now();
  let n = 0;
  for await (const _ of conn.query({ sql: 'SELECT id, name, amount, created_at, flag, note FROM big', rowsAsArray: true }).stream({ highWaterMark: 256 })) n++;
  conn.destroy();
  if (n !== ROWS) throw new Error('row count');
  return (performance.now() - t0) / 1000;
}

async function quarry(): Promise<number> {
  const op = openOperation({ policy: new NetworkPolicy('default'), home: os.tmpdir(), log: createLogger('silent') });
  const config = { host: '127.0.0.1', port: 3306, database: db, username: 'root', sslmode: 'disable' };
  const [stream] = (await connector.discover(config, op.ctx)).filter((s) => s.name === 'big');
  const t0 = performance.now();
  let bytes = 0;
  for await (const e of connector.read(config, { stream: stream!, mode: 'full_refresh', cursorField: null, cursor: null }, op.ctx)) if (e.type === 'csv') bytes += e.data.length;
  await op.close();
  if (bytes < ROWS * 50) throw new Error('too few bytes');
  return (performance.now() - t0) / 1000;
}

try {
  const rows: Record<string, string | number>[] = [];
  for (let round = 1; round <= 3; round++) {
    const r = await raw();
    const q = await quarry();
    rows.push({ round, 'mysql2 stream, rows discarded (s)': r.toFixed(2), 'quarry read to CSV (s)': q.toFixed(2), ratio: (r / q).toFixed(2) });
  }
  print(`\nMySQL read, ${ROWS} rows\n`);
  print(table(rows));
} finally {
  await admin.query(`DROP DATABASE ${db}`);
  await admin.end();
}
