/**
 * An append-only persistent map from string keys to values, for state that only ever grows
 * (an account's terminal orders, its client order ids, its rejections).
 *
 * Every view is immutable: `set` answers a new view and leaves the old one as it was. Views
 * made from one another share a backing store (a `Map` plus the number of versions appended to
 * it); a view holds its own length, the versions it sees. Setting from the newest view appends
 * to the store in place and answers a view one longer, so a long fold costs O(1) amortised per
 * entry instead of copying the whole map each time. Setting from an older view — a branch, as
 * when a state cache or a retried decision folds again from an older state — copies the
 * entries that view sees into a fresh store first, so the newer views are never disturbed.
 *
 * Setting a key that is already present appends a new version of it (older views still see
 * the old value); a value once stored is never mutated. Keys are ordinary strings, including
 * `"__proto__"` and `"constructor"` (a `Map`, never an object's prototype chain, stores them).
 *
 * JSON-safe: `toJSON` answers a plain object in insertion order, and {@link AppendMap.from}
 * takes such an object back. A view is iterable over `[key, value]` entries and has no
 * enumerable own properties, so chai's deep equality compares two views by their entries.
 */
export class AppendMap<V> implements Iterable<[string, V]> {
  readonly #store: Store<V>;
  readonly #length: number;
  readonly #size: number;

  private constructor(store: Store<V>, length: number, size: number) {
    this.#store = store;
    this.#length = length;
    this.#size = size;
  }

  /** An empty map. */
  static empty<V>(): AppendMap<V> {
    return new AppendMap<V>({ entries: new Map(), versions: 0 }, 0, 0);
  }

  /**
   * A map of `value`: a view as is, a plain object (a map's JSON) entry by entry, nothing
   * (`undefined` or `null`) as the empty map.
   */
  static from<V>(
    value: AppendMap<V> | Readonly<Record<string, V>> | null | undefined,
  ): AppendMap<V> {
    if (value instanceof AppendMap) return value;
    let map = AppendMap.empty<V>();
    if (value === null || value === undefined) return map;
    for (const [key, v] of Object.entries(value)) map = map.set(key, v);
    return map;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key` in this view, or undefined. */
  get(key: string): V | undefined {
    return this.#visible(key)?.value;
  }

  has(key: string): boolean {
    return this.#visible(key) !== undefined;
  }

  /** A view with `key` set to `value` (this view when it already holds exactly that value). */
  set(key: string, value: V): AppendMap<V> {
    const current = this.#visible(key);
    if (current !== undefined && current.value === value) return this;
    const store = this.#store.versions === this.#length ? this.#store : this.#copy();
    const version: Version<V> = {
      value,
      seq: store.versions,
      previous: store.entries.get(key),
    };
    store.entries.set(key, version);
    store.versions++;
    return new AppendMap(
      store,
      store.versions,
      current === undefined ? this.#size + 1 : this.#size,
    );
  }

  /** Values in insertion order (of their keys). */
  *values(): IterableIterator<V> {
    for (const [, value] of this) yield value;
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this) yield key;
  }

  *entries(): IterableIterator<[string, V]> {
    yield* this;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    if (this.#size === 0) return;
    for (const [key, head] of this.#store.entries) {
      const version = visibleVersion(head, this.#length);
      if (version !== undefined) yield [key, version.value];
    }
  }

  /** A plain object of the entries, in insertion order (what `JSON.stringify` writes). */
  toJSON(): Record<string, V> {
    return Object.fromEntries(this);
  }

  #visible(key: string): Version<V> | undefined {
    const head = this.#store.entries.get(key);
    return head === undefined ? undefined : visibleVersion(head, this.#length);
  }

  /** A store holding only what this view sees, one version per key. */
  #copy(): Store<V> {
    const entries = new Map<string, Version<V>>();
    let seq = 0;
    for (const [key, value] of this) entries.set(key, { value, seq: seq++, previous: undefined });
    return { entries, versions: seq };
  }
}

interface Version<V> {
  readonly value: V;
  /** Position of this version in its store: visible to views longer than it. */
  readonly seq: number;
  /** The version this one shadows (older views still see it). */
  readonly previous: Version<V> | undefined;
}

interface Store<V> {
  /** Newest version per key; Map order is the order keys were first added. */
  readonly entries: Map<string, Version<V>>;
  /** Versions appended so far (the length of the newest view). */
  versions: number;
}

function visibleVersion<V>(head: Version<V>, length: number): Version<V> | undefined {
  let version: Version<V> | undefined = head;
  while (version !== undefined && version.seq >= length) version = version.previous;
  return version;
}
