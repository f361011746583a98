import { describe, expect, it } from 'vitest';
import { Columns, KeyedColumns } from './columns.js';

describe('Columns', () => {
  it('keeps every row across growth; absent fields are 0', () => {
    const c = new Columns(['ok', 'failed'] as const, 2);
    for (let i = 0; i < 5; i++) c.push(i % 2 === 0 ? { ok: i } : { ok: i, failed: 1 });
    expect(c.length).toBe(5);
    expect(c.column('ok')).toEqual([0, 1, 2, 3, 4]);
    expect(c.column('failed')).toEqual([0, 1, 0, 1, 0]);
    expect(c.bytes).toBe(2 * 8 * 8); // two fields, capacity 2 → 4 → 8
  });
});

describe('KeyedColumns', () => {
  it('a key first seen late reads 0 before; rows survive growth; keys past the cap share other', () => {
    const k = new KeyedColumns(2);
    for (let i = 0; i < 70; i++) {
      const row = new Map([['b1', 1]]);
      if (i >= 68) row.set('b2', 2).set('b3', 3);
      k.push(row);
    }
    const json = k.toJSON();
    expect(Object.keys(json)).toEqual(['b1', 'b2', '(other)']);
    expect(json.b1).toEqual(Array(70).fill(1));
    expect(json.b2?.slice(66)).toEqual([0, 0, 2, 2]);
    expect(json['(other)']?.slice(66)).toEqual([0, 0, 3, 3]);
    expect(json.b2).toHaveLength(70);
    expect(k.bytes).toBe(3 * 128 * 8);
  });
});
