import { describe, expect, it } from 'vitest';
import type { Column, LogicalType } from '../../src/connectors/types.js';
import { cursorParameter, decimalShape, fieldText, isZeroDate, logicalType, maxCursorExpression, selectExpression } from '../../src/connectors/mysql/types.js';

describe('MySQL type -> logical type', () => {
  const cases: [string, string, LogicalType][] = [
    ['tinyint', 'tinyint(1)', 'boolean'],
    ['tinyint', 'tinyint(1) unsigned', 'boolean'],
    ['tinyint', 'tinyint(4)', 'integer'],
    ['tinyint', 'tinyint', 'integer'], // MySQL 8.0.19+ prints no display width
    ['smallint', 'smallint(6)', 'integer'],
    ['mediumint', 'mediumint(8) unsigned', 'integer'],
    ['int', 'int(11)', 'integer'],
    ['int', 'int(10) unsigned', 'integer'],
    ['bigint', 'bigint(20)', 'integer'],
    ['bigint', 'bigint(20) unsigned', 'decimal'],
    ['bigint', 'bigint unsigned', 'decimal'],
    ['year', 'year(4)', 'integer'],
    ['bit', 'bit(1)', 'boolean'],
    ['bit', 'bit(8)', 'integer'],
    ['bit', 'bit(64)', 'decimal'],
    ['decimal', 'decimal(10,2)', 'decimal'],
    ['decimal', 'decimal(65,30) unsigned', 'decimal'],
    ['float', 'float', 'number'],
    ['double', 'double', 'number'],
    ['char', 'char(3)', 'string'],
    ['varchar', 'varchar(255)', 'string'],
    ['tinytext', 'tinytext', 'string'],
    ['text', 'text', 'string'],
    ['mediumtext', 'mediumtext', 'string'],
    ['longtext', 'longtext', 'string'],
    ['enum', "enum('a','b')", 'string'],
    ['set', "set('x','y')", 'string'],
    ['time', 'time(3)', 'string'],
    ['date', 'date', 'date'],
    ['datetime', 'datetime(6)', 'timestamp'],
    ['timestamp', 'timestamp', 'timestamptz'],
    ['json', 'json', 'json'],
    ['binary', 'binary(16)', 'binary'],
    ['varbinary', 'varbinary(10)', 'binary'],
    ['tinyblob', 'tinyblob', 'binary'],
    ['blob', 'blob', 'binary'],
    ['mediumblob', 'mediumblob', 'binary'],
    ['longblob', 'longblob', 'binary'],
    ['geometry', 'geometry', 'string'],
    ['point', 'point', 'string'],
    ['multipolygon', 'multipolygon', 'string'],
    ['geomcollection', 'geomcollection', 'string'],
    ['uuid', 'uuid', 'uuid'],
    ['inet6', 'inet6', 'string'],
    ['vector', 'vector(3)', 'string'],
    ['TINYINT', 'TINYINT(1)', 'boolean'],
  ];
  it.each(cases)('%s / %s -> %s', (dataType, columnType, expected) => {
    expect(logicalType({ dataType, columnType })).toBe(expected);
  });

  it('declares decimals with their precision, unsigned 64-bit integers with 20 digits', () => {
    expect(decimalShape({ dataType: 'decimal', columnType: 'decimal(12,4)' }, 12, 4)).toEqual({ precision: 12, scale: 4 });
    expect(decimalShape({ dataType: 'bigint', columnType: 'bigint(20) unsigned' }, 20, 0)).toEqual({ precision: 20, scale: 0 });
    expect(decimalShape({ dataType: 'bit', columnType: 'bit(64)' }, 64, null)).toEqual({ precision: 20, scale: 0 });
  });
});

describe('MySQL values -> CSV field text', () => {
  it('encodes each logical type', () => {
    expect(fieldText('boolean')(1)).toBe('t');
    expect(fieldText('boolean')(0)).toBe('f');
    expect(fieldText('boolean')(-1)).toBe('t'); // any non-zero tinyint is true, as in MySQL
    expect(fieldText('boolean')('1')).toBe('t'); // a BIT read as CAST(... AS UNSIGNED)
    expect(fieldText('integer')('18446744073709551615')).toBe('18446744073709551615');
    expect(fieldText('integer')(2024)).toBe('2024');
    expect(fieldText('decimal')('0.000000000000000000000000000001')).toBe('0.000000000000000000000000000001');
    expect(fieldText('number')(1.1)).toBe('1.1');
    expect(fieldText('date')('2024-02-29')).toBe('2024-02-29');
    expect(fieldText('timestamp')('2024-01-02 03:04:05.123456')).toBe('2024-01-02 03:04:05.123456');
    expect(fieldText('timestamptz')('2024-01-02 03:04:05.123')).toBe('2024-01-02 03:04:05.123+00');
    expect(fieldText('binary')(Buffer.from([0xde, 0xad, 0x00]))).toBe('\\xdead00');
    expect(fieldText('json')('{"a": 1}')).toBe('{"a": 1}');
    expect(fieldText('string')('')).toBe('');
    expect(fieldText('string')(Buffer.from('é'))).toBe('é');
    for (const t of ['boolean', 'integer', 'decimal', 'number', 'date', 'timestamp', 'timestamptz', 'binary', 'json', 'string', 'uuid'] as LogicalType[]) {
      expect(fieldText(t)(null)).toBeNull();
    }
  });

  it('turns zero dates into NULL', () => {
    expect(isZeroDate('0000-00-00')).toBe(true);
    expect(isZeroDate('0000-00-00 00:00:00.000000')).toBe(true);
    expect(isZeroDate('2024-00-10')).toBe(true);
    expect(isZeroDate('2024-05-00 10:00:00')).toBe(true);
    expect(isZeroDate('2024-05-01 00:00:00')).toBe(false);
    expect(fieldText('date')('0000-00-00')).toBeNull();
    expect(fieldText('timestamp')('0000-00-00 00:00:00')).toBeNull();
    expect(fieldText('timestamptz')('0000-00-00 00:00:00')).toBeNull();
  });
});

describe('MySQL query parts', () => {
  const col = (over: Partial<Column>): Column => ({ name: 'c', type: 'string', nullable: true, ...over });

  it('binds the cursor cast to its column type', () => {
    expect(cursorParameter(col({ type: 'integer', sourceType: 'int(11)' }))).toBe('CAST(? AS SIGNED)');
    expect(cursorParameter(col({ type: 'integer', sourceType: 'int(10) unsigned' }))).toBe('CAST(? AS UNSIGNED)');
    expect(cursorParameter(col({ type: 'decimal', precision: 20, scale: 0, sourceType: 'bigint(20) unsigned' }))).toBe('CAST(? AS DECIMAL(20,0))');
    expect(cursorParameter(col({ type: 'timestamptz', sourceType: 'timestamp(3)' }))).toBe('CAST(? AS DATETIME(6))');
    expect(cursorParameter(col({ type: 'timestamp', sourceType: 'datetime' }))).toBe('CAST(? AS DATETIME(6))');
    expect(cursorParameter(col({ type: 'date', sourceType: 'date' }))).toBe('CAST(? AS DATE)');
  });

  it('reads the highest cursor as the text the server prints, a BIT as its number', () => {
    expect(maxCursorExpression(col({ name: 'updated_at', type: 'timestamp', sourceType: 'datetime(6)' }))).toBe('CAST(MAX(`updated_at`) AS CHAR)');
    expect(maxCursorExpression(col({ name: 'flags', type: 'integer', sourceType: 'bit(8)' }))).toBe('CAST(MAX(CAST(`flags` AS UNSIGNED)) AS CHAR)');
  });

  it('selects spatial values as WKT and bits as numbers', () => {
    expect(selectExpression(col({ name: 'g', sourceType: 'point' }))).toBe('ST_AsText(`g`)');
    expect(selectExpression(col({ name: 'b', type: 'boolean', sourceType: 'bit(1)' }))).toBe('CAST(`b` AS UNSIGNED)');
    expect(selectExpression(col({ name: 'we`ird', sourceType: 'varchar(10)' }))).toBe('`we``ird`');
  });
});
