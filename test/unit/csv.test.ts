import { describe, expect, it } from 'vitest';
import { CsvBuffer, csvField, encodeCsv } from '../../src/engine/csv.js';

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

  it('encodes multi-byte text and rows larger than the first guess', () => {
    const rows = [['a'], ['é€😀'.repeat(10_000)], ['z']];
    expect(encodeCsv(rows, ['string']).toString('utf8')).toBe(`a\n${'é€😀'.repeat(10_000)}\nz\n`);
    expect(encodeCsv([], ['string']).length).toBe(0);
  });
});

describe('CsvBuffer', () => {
  it('writes lines in place, grows for a line larger than its room, and hands each batch over', () => {
    const b = new CsvBuffer(8);
    b.push('1,x');
    b.push('2,' + 'é'.repeat(20)); // 42 bytes: more than the buffer holds
    expect(b.lines).toBe(2);
    expect(b.size).toBe(4 + 43);
    const first = b.take()!;
    expect(first.toString('utf8')).toBe(`1,x\n2,${'é'.repeat(20)}\n`);
    expect(b.take()).toBeNull();
    b.push('3,y');
    expect(b.take()!.toString()).toBe('3,y\n');
    expect(first.toString('utf8')).toBe(`1,x\n2,${'é'.repeat(20)}\n`); // a taken batch is never overwritten
  });
});
