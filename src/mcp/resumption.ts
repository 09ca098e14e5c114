/**
 * Resumability for Streamable HTTP: the transport stores every SSE message it sends here, so
 * a client that lost its connection reconnects with `Last-Event-ID` and receives what it
 * missed. Kept in memory, per session, bounded: a session remembers its last
 * `maxPerStream` messages per stream, and everything goes when the session closes — so a
 * client can resume across dropped connections to the same process, not across a restart or
 * onto another replica (sessions are in memory too).
 */
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface Stored {
  readonly id: string;
  readonly message: JSONRPCMessage;
}

export class MemoryResumptionStore implements EventStore {
  readonly #streams = new Map<string, Stored[]>();
  readonly #streamOf = new Map<string, string>();
  #sequence = 0;

  constructor(private readonly maxPerStream = 500) {}

  storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${++this.#sequence}`;
    let stream = this.#streams.get(streamId);
    if (stream === undefined) this.#streams.set(streamId, (stream = []));
    stream.push({ id, message });
    this.#streamOf.set(id, streamId);
    if (stream.length > this.maxPerStream) {
      const dropped = stream.splice(0, stream.length - this.maxPerStream);
      for (const old of dropped) this.#streamOf.delete(old.id);
    }
    return Promise.resolve(id);
  }

  getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return Promise.resolve(this.#streamOf.get(eventId));
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const streamId = this.#streamOf.get(lastEventId);
    if (streamId === undefined) return '';
    const stream = this.#streams.get(streamId) ?? [];
    const from = stream.findIndex((e) => e.id === lastEventId);
    for (const event of stream.slice(from + 1)) await send(event.id, event.message);
    return streamId;
  }

  /** Messages held (for tests and metrics). */
  size(): number {
    return this.#streamOf.size;
  }
}
