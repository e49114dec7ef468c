import { describe, expect, it } from 'vitest';
import { STREAMS } from '../../src/connectors/stripe/streams.js';
import { columns, columnValue, CURSOR, isoToUnix, toRecord, unixToIso } from '../../src/connectors/stripe/types.js';

describe('stripe types', () => {
  it('reads the compact column lists, the cursor column last', () => {
    expect(columns('id amount:int rate:num paid:bool created:ts metadata:json email')).toEqual([
      { name: 'id', type: 'string', nullable: false },
      { name: 'amount', type: 'integer', nullable: true },
      { name: 'rate', type: 'number', nullable: true },
      { name: 'paid', type: 'boolean', nullable: true },
      { name: 'created', type: 'timestamptz', nullable: true },
      { name: 'metadata', type: 'json', nullable: true },
      { name: 'email', type: 'string', nullable: true },
      { name: CURSOR, type: 'timestamptz', nullable: true },
    ]);
    expect(() => columns('id amount:money')).toThrow('unknown column type money of amount');
  });

  it('gives every stream an id, a created time and distinct columns; at most 20 event types (the API limit)', () => {
    for (const s of STREAMS) {
      const names = s.columns.map((c) => c.name);
      expect(new Set(names).size, s.name).toBe(names.length);
      expect(names.slice(0, 2), s.name).toEqual(['id', 'object']);
      expect(s.columns.find((c) => c.name === 'created')?.type, s.name).toBe('timestamptz');
      expect(s.updates.length + s.deletions.length, s.name).toBeLessThanOrEqual(20);
    }
  });

  it('converts values to their column type', () => {
    expect(columnValue(1709251200, 'timestamptz')).toBe('2024-03-01T00:00:00.000Z');
    expect(columnValue(1099, 'integer')).toBe(1099);
    expect(columnValue({ a: 1 }, 'json')).toEqual({ a: 1 });
    expect(columnValue('not an object', 'json')).toBe('"not an object"');
    expect(columnValue({ id: 'cus_1', object: 'customer' }, 'string')).toBe('cus_1');
    expect(columnValue(['a'], 'string')).toBe('["a"]');
    expect(columnValue(undefined, 'string')).toBeNull();
    expect(columnValue(null, 'timestamptz')).toBeNull();
  });

  it('stamps a record with the later of its creation and its newest event', () => {
    const cols = columns('id created:ts name');
    expect(toRecord({ id: 'cus_1', created: 100, name: 'A', extra: 1 }, cols)).toEqual({ id: 'cus_1', created: unixToIso(100), name: 'A', [CURSOR]: unixToIso(100) });
    expect(toRecord({ id: 'cus_1', created: 100, name: 'A' }, cols, 200)[CURSOR]).toBe(unixToIso(200));
    expect(toRecord({ id: 'cus_1', name: 'A' }, cols)[CURSOR]).toBeNull();
  });

  it('reads a committed cursor back as Unix seconds', () => {
    expect(isoToUnix(unixToIso(1709251200))).toBe(1709251200);
    expect(() => isoToUnix('yesterday')).toThrow('the committed cursor "yesterday" is not a time; run a full refresh to reset it');
  });
});
