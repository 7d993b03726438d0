/**
 * A binary min-heap of integer ids keyed by float64 priorities (stored in growable typed
 * arrays). Equal keys pop in no particular order.
 */
export class MinHeap {
  private ids = new Int32Array(1024);
  private keys = new Float64Array(1024);
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(id: number, key: number): void {
    if (this.n === this.ids.length) {
      const ids = new Int32Array(this.n * 2);
      ids.set(this.ids);
      this.ids = ids;
      const keys = new Float64Array(this.n * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p]! <= key) break;
      this.ids[i] = this.ids[p]!;
      this.keys[i] = this.keys[p]!;
      i = p;
    }
    this.ids[i] = id;
    this.keys[i] = key;
  }

  /** Id with the smallest key (the heap must not be empty). */
  peek(): number {
    return this.ids[0]!;
  }

  /** Remove and return the id with the smallest key (the heap must not be empty). */
  pop(): number {
    const top = this.ids[0]!;
    const n = --this.n;
    if (n > 0) {
      const id = this.ids[n]!;
      const key = this.keys[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.keys[r]! < this.keys[l]! ? r : l;
        if (this.keys[c]! >= key) break;
        this.ids[i] = this.ids[c]!;
        this.keys[i] = this.keys[c]!;
        i = c;
      }
      this.ids[i] = id;
      this.keys[i] = key;
    }
    return top;
  }
}
