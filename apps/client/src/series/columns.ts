/**
 * Numeric columns that grow by doubling: one Float64Array per field, 8 bytes per value, no
 * object per row. The series of a long run lives here (86,400 rows for 24 h at 1 s).
 */
export class Columns<K extends string> {
  readonly #columns = new Map<K, Float64Array>();
  #length = 0;
  #capacity: number;

  constructor(
    readonly fields: readonly K[],
    initialCapacity = 64,
  ) {
    this.#capacity = initialCapacity;
    for (const f of fields) this.#columns.set(f, new Float64Array(initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  /** Appends a row; fields absent from `row` are 0. */
  push(row: Partial<Record<K, number>>): void {
    if (this.#length === this.#capacity) this.#grow();
    const i = this.#length++;
    for (const [f, col] of this.#columns) col[i] = row[f] ?? 0;
  }

  /** The values of one field, a copy as a plain array (for JSON and charts). */
  column(field: K): number[] {
    const col = this.#columns.get(field);
    return col ? Array.from(col.subarray(0, this.#length)) : [];
  }

  /** Bytes held (the arrays' capacity). */
  get bytes(): number {
    return this.fields.length * this.#capacity * 8;
  }

  #grow(): void {
    this.#capacity *= 2;
    moveToCapacity(this.#columns, this.#capacity);
  }
}

/**
 * Sparse keyed counts per row (per backend, per error code): a column per key, created at the
 * first row that has it (earlier rows read 0). Distinct keys are capped; the rest share `other`.
 */
export class KeyedColumns {
  readonly #columns = new Map<string, Float64Array>();
  #length = 0;
  #capacity = 64;

  constructor(
    readonly maxKeys: number,
    readonly other = '(other)',
  ) {}

  /** Appends a row from a key → count map (zero counts need not be given). */
  push(counts: ReadonlyMap<string, number>): void {
    if (this.#length === this.#capacity) this.#grow();
    const i = this.#length++;
    for (const [key, n] of counts) {
      if (n === 0) continue;
      const col = this.#columnFor(key);
      col[i] = (col[i] ?? 0) + n;
    }
  }

  /** Every key with its values as a plain array. */
  toJSON(): Record<string, number[]> {
    const out: Record<string, number[]> = Object.create(null);
    for (const [k, col] of this.#columns) out[k] = Array.from(col.subarray(0, this.#length));
    return out;
  }

  get bytes(): number {
    return this.#columns.size * this.#capacity * 8;
  }

  #columnFor(key: string): Float64Array {
    let col = this.#columns.get(key);
    if (col) return col;
    const k = this.#columns.size >= this.maxKeys ? this.other : key;
    col = this.#columns.get(k);
    if (!col) {
      col = new Float64Array(this.#capacity);
      this.#columns.set(k, col);
    }
    return col;
  }

  #grow(): void {
    this.#capacity *= 2;
    moveToCapacity(this.#columns, this.#capacity);
  }
}

/** Replaces every column with a copy of `capacity` values (the rows so far, zeros after). */
function moveToCapacity<K>(columns: Map<K, Float64Array>, capacity: number): void {
  for (const [key, col] of columns) {
    const next = new Float64Array(capacity);
    next.set(col);
    columns.set(key, next);
  }
}
