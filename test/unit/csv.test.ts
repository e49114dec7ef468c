import { describe, expect, it } from 'vitest';
import { csvField, encodeCsv } from '../../src/engine/csv.js';

describe('CSV interchange encoding', () => {
  it('writes NULL as an empty field and the empty string quoted', () => {
    expect(encodeCsv([[null, '', 'x']], ['string', 'string', 'string']).toString()).toBe(',"",x\n');
  });
  it('quotes separators, quotes and line breaks, and the COPY end marker', () => {
    expect(csvField('a,b', 'string')).toBe('"a,b"');
    expect(csvField('say "hi"', 'string')).toBe('"say ""hi"""');
    expect(csvField('one\ntwo', 'string')).toBe('"one\ntwo"');
    expect(csvField('\\.', 'string')).toBe('"\\."');
  });
  it('encodes typed values the way PostgreSQL and DuckDB read them', () => {
    expect(csvField(Buffer.from([0xde, 0xad]), 'binary')).toBe('\\xdead');
    expect(csvField({ a: [1, 'x,y'] }, 'json')).toBe('"{""a"":[1,""x,y""]}"');
    expect(csvField(2, 'boolean')).toBe('t');
    expect(csvField(-1, 'boolean')).toBe('t');
    expect(csvField(0, 'boolean')).toBe('f');
    expect(csvField(false, 'boolean')).toBe('f');
    expect(csvField(new Date('2024-01-15T09:30:00.123Z'), 'timestamptz')).toBe('2024-01-15T09:30:00.123Z');
    expect(csvField(new Date('2024-01-15T09:30:00.123Z'), 'timestamp')).toBe('2024-01-15T09:30:00.123');
    expect(csvField(new Date('2024-01-15T00:00:00Z'), 'date')).toBe('2024-01-15');
    expect(csvField(12345678901234567890n, 'integer')).toBe('12345678901234567890');
  });
});
