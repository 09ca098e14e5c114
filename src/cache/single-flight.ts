/**
 * Single-flight loading: concurrent loads of one key share one call to the source, so a cold
 * key under load reaches the database (or the feed) once, not once per request.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Runs `load` for `key`, or joins the load of `key` already under way. */
  run(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const started = load().finally(() => {
      this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, started);
    return started;
  }

  /** Loads under way (for tests and metrics). */
  get size(): number {
    return this.#inFlight.size;
  }
}
