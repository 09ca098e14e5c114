/**
 * An in-process double of the EventStoreDB gRPC protocol, for testing the `esdb` adapter
 * without a server. It is a `@grpc/grpc-js` server built from the service definitions that
 * ship inside `@eventstore/db-client` (`generated/*_grpc_pb.js`), so the real client talks to
 * it over real HTTP/2 with the real protobuf messages.
 *
 * Calls it covers (everything else answers UNIMPLEMENTED, as an older server would):
 * - `ServerFeatures.GetSupportedMethods` — answered UNIMPLEMENTED on purpose, so the client
 *   assumes an unknown server version and appends with `Streams.Append` (not `BatchAppend`);
 * - `Streams.Append` — expected revision any / no_stream / stream_exists / exact, wrong
 *   expected version with the current and expected revisions, idempotent appends by event id
 *   (see `log.ts`), the maximum append size (1 MiB by default, as the server's
 *   `MaxAppendSize`), required `type` and `content-type` metadata;
 * - `Streams.Read` of one stream — forwards/backwards from start, end or a revision
 *   (inclusive), a count, `StreamNotFound` for an absent stream;
 * - `Streams.Read` of `$all` — forwards (inclusive start) / backwards (exclusive start) from
 *   start, end or a position, with stream-name or event-type filters (prefix list or regex);
 *   a position that is not a record boundary is refused, as a server's chunk reader would;
 * - `Streams.Read` as a `$all` subscription — confirmation, catch-up after an exclusive start
 *   position, `CaughtUp`, then live events in log order, with the same filters and gRPC flow
 *   control.
 *
 * A real server adds: `BatchAppend` (what the client uses when ServerFeatures lists it),
 * stream subscriptions, filtered-subscription checkpoints, `$`-system events and stream
 * metadata in `$all`, deletes and tombstones, links, authentication and ACLs, a bounded
 * idempotency cache, clustering (leader election, `NotLeader`), persistence and scavenging.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import { EventLog, type Expected, type LogRecord, type ProposedEvent } from './log.ts';

const { AppendResp, ReadResp } = streamsPb;
type ReadReq = streamsPb.ReadReq;
type AppendReq = streamsPb.AppendReq;
type FilterExpression = streamsPb.ReadReq.Options.FilterOptions.Expression;

export { EventLog } from './log.ts';

export interface EsdbDoubleOptions {
  /** The server's `MaxAppendSize`: total bytes of one append. Default 1 MiB. */
  readonly maxAppendSize?: number;
  /**
   * Answer idempotent appends without a position, as servers before the idempotent log
   * position was reported did. Default false.
   */
  readonly idempotentWithoutPosition?: boolean;
}

export interface EsdbDouble {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  readonly log: EventLog;
  /** Stops the server, cancelling open reads and subscriptions. */
  stop(): Promise<void>;
}

/** Starts a double on a free loopback port. */
export async function startEsdbDouble(options: EsdbDoubleOptions = {}): Promise<EsdbDouble> {
  const log = new EventLog();
  const server = new grpc.Server();
  const streams = new StreamsDouble(log, options);
  server.addService(streamsGrpc.StreamsService, {
    append: streams.append,
    read: streams.read,
  });
  server.addService(serverFeaturesGrpc.ServerFeaturesService, {
    getSupportedMethods: (
      _call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'ServerFeatures is not implemented' });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** A gRPC error with the `exception` trailer the client turns into its typed errors. */
function serviceError(
  code: grpc.status,
  details: string,
  trailers: Record<string, string> = {},
): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return { code, details, metadata };
}

function parseUuid(uuid: sharedPb.UUID | undefined): string | undefined {
  if (!uuid) return undefined;
  if (uuid.hasString()) return uuid.getString().toLowerCase();
  const structured = uuid.getStructured();
  if (!structured) return undefined;
  const hex = (value: string): string =>
    BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');
  const all = hex(structured.getMostSignificantBits()) + hex(structured.getLeastSignificantBits());
  return `${all.slice(0, 8)}-${all.slice(8, 12)}-${all.slice(12, 16)}-${all.slice(16, 20)}-${all.slice(20)}`;
}

function formatUuid(id: string, structured: boolean): sharedPb.UUID {
  const uuid = new sharedPb.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replaceAll('-', '');
  const signed = (part: string): string => BigInt.asIntN(64, BigInt(`0x${part}`)).toString();
  const value = new sharedPb.UUID.Structured();
  value.setMostSignificantBits(signed(hex.slice(0, 16)));
  value.setLeastSignificantBits(signed(hex.slice(16)));
  return uuid.setStructured(value);
}

function streamName(identifier: sharedPb.StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

/** A predicate from a read's filter options: prefixes when given, otherwise the regex. */
function recordFilter(options: streamsPb.ReadReq.Options): (record: LogRecord) => boolean {
  if (!options.hasFilter()) return () => true;
  const filter = options.getFilter();
  const matcher = (expression: FilterExpression | undefined): ((value: string) => boolean) => {
    const prefixes = expression?.getPrefixList() ?? [];
    if (prefixes.length > 0) return (value) => prefixes.some((p) => value.startsWith(p));
    const regex = new RegExp(expression?.getRegex() ?? '');
    return (value) => regex.test(value);
  };
  if (filter?.hasStreamIdentifier()) {
    const matches = matcher(filter.getStreamIdentifier());
    return (record) => matches(record.streamName);
  }
  if (filter?.hasEventType()) {
    const matches = matcher(filter.getEventType());
    return (record) => matches(record.type);
  }
  return () => true;
}

class StreamsDouble {
  readonly #maxAppendSize: number;

  constructor(
    private readonly log: EventLog,
    private readonly options: EsdbDoubleOptions,
  ) {
    this.#maxAppendSize = options.maxAppendSize ?? 1024 * 1024;
  }

  readonly append = (
    call: grpc.ServerReadableStream<AppendReq, streamsPb.AppendResp>,
    callback: grpc.sendUnaryData<streamsPb.AppendResp>,
  ): void => {
    let header: streamsPb.AppendReq.Options | undefined;
    const proposed: ProposedEvent[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: Partial<grpc.ServiceError>): void => {
      if (failed) return;
      failed = true;
      callback(error);
    };
    call.on('data', (request: AppendReq) => {
      if (failed) return;
      if (request.hasOptions()) {
        header = request.getOptions();
        return;
      }
      const message = request.getProposedMessage();
      if (!message) return;
      const metadata = message.getMetadataMap();
      const type = metadata.get('type');
      const contentType = metadata.get('content-type');
      const id = parseUuid(message.getId());
      if (type === undefined || contentType === undefined || id === undefined) {
        fail(
          serviceError(grpc.status.INVALID_ARGUMENT, 'Required metadata properties missing', {
            exception: 'missing-required-metadata-property',
            'required-metadata-properties': 'type,content-type',
          }),
        );
        return;
      }
      const data = message.getData_asU8();
      const custom = message.getCustomMetadata_asU8();
      // The server's Event.SizeOnDisk: data, metadata and the UTF-16 event type.
      size += data.length + custom.length + type.length * 2;
      if (size > this.#maxAppendSize) {
        fail(
          serviceError(
            grpc.status.INVALID_ARGUMENT,
            `Maximum Append Size of ${this.#maxAppendSize} Exceeded.`,
            {
              exception: 'maximum-append-size-exceeded',
              'maximum-append-size': String(this.#maxAppendSize),
            },
          ),
        );
        return;
      }
      proposed.push({ id, type, contentType, data, metadata: custom });
    });
    call.on('error', () => {
      failed = true;
    });
    call.on('end', () => {
      if (failed) return;
      if (!header) {
        fail(serviceError(grpc.status.INVALID_ARGUMENT, 'Append without options'));
        return;
      }
      failed = true;
      callback(null, this.#appendNow(header, proposed));
    });
  };

  #appendNow(
    header: streamsPb.AppendReq.Options,
    proposed: readonly ProposedEvent[],
  ): streamsPb.AppendResp {
    const expected: Expected = header.hasRevision()
      ? { kind: 'revision', revision: BigInt(header.getRevision()) }
      : header.hasNoStream()
        ? { kind: 'no_stream' }
        : header.hasStreamExists()
          ? { kind: 'stream_exists' }
          : { kind: 'any' };
    const outcome = this.log.append(streamName(header.getStreamIdentifier()), expected, proposed);
    const response = new AppendResp();
    if (outcome.kind === 'wrong_expected_version') {
      const wrong = new AppendResp.WrongExpectedVersion();
      if (outcome.current < 0n) wrong.setCurrentNoStream(new sharedPb.Empty());
      else wrong.setCurrentRevision(outcome.current.toString());
      if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
      else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new sharedPb.Empty());
      else if (expected.kind === 'stream_exists') {
        wrong.setExpectedStreamExists(new sharedPb.Empty());
      } else wrong.setExpectedAny(new sharedPb.Empty());
      return response.setWrongExpectedVersion(wrong);
    }
    const success = new AppendResp.Success();
    if (outcome.currentRevision < 0n) success.setNoStream(new sharedPb.Empty());
    else success.setCurrentRevision(outcome.currentRevision.toString());
    const withoutPosition =
      outcome.position < 0n ||
      (outcome.kind === 'idempotent' && this.options.idempotentWithoutPosition === true);
    if (withoutPosition) success.setNoPosition(new sharedPb.Empty());
    else {
      const position = new AppendResp.Position();
      position.setCommitPosition(outcome.position.toString());
      position.setPreparePosition(outcome.position.toString());
      success.setPosition(position);
    }
    return response.setSuccess(success);
  }

  readonly read = (call: grpc.ServerWritableStream<ReadReq, streamsPb.ReadResp>): void => {
    const options = call.request.getOptions();
    if (!options) {
      call.emit('error', serviceError(grpc.status.INVALID_ARGUMENT, 'Read without options'));
      return;
    }
    const structured = options.getUuidOption()?.hasStructured() ?? false;
    const count = options.hasCount() ? BigInt(options.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
    const backwards =
      options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
    const stream = options.getStream();
    if (stream) {
      if (options.hasSubscription()) {
        call.emit(
          'error',
          serviceError(grpc.status.UNIMPLEMENTED, 'Stream subscriptions are not covered'),
        );
        return;
      }
      this.#readStream(call, stream, { count, backwards, structured });
      return;
    }
    const all = options.getAll();
    if (!all) {
      call.emit(
        'error',
        serviceError(grpc.status.INVALID_ARGUMENT, 'Read of neither a stream nor $all'),
      );
      return;
    }
    const position = all.getPosition();
    if (position) {
      const commit = BigInt(position.getCommitPosition());
      if (commit !== BigInt(position.getPreparePosition()) || !this.log.isBoundary(commit)) {
        call.emit(
          'error',
          serviceError(grpc.status.INVALID_ARGUMENT, `Invalid position C:${commit}`),
        );
        return;
      }
    }
    const from = position ? BigInt(position.getCommitPosition()) : all.hasEnd() ? 'end' : 'start';
    const filter = recordFilter(options);
    if (options.hasSubscription()) {
      this.#subscribeToAll(call, from, filter, structured);
      return;
    }
    this.#readAll(call, from, { count, backwards, structured, filter });
  };

  #readStream(
    call: grpc.ServerWritableStream<ReadReq, streamsPb.ReadResp>,
    options: streamsPb.ReadReq.Options.StreamOptions,
    read: { count: bigint; backwards: boolean; structured: boolean },
  ): void {
    const name = streamName(options.getStreamIdentifier());
    const records = this.log.stream(name);
    if (records.length === 0) {
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(options.getStreamIdentifier());
      call.write(new ReadResp().setStreamNotFound(notFound));
      call.end();
      return;
    }
    const last = records.length - 1;
    const from = options.hasRevision()
      ? Number(BigInt(options.getRevision()))
      : options.hasEnd()
        ? read.backwards
          ? last
          : records.length
        : 0;
    let sent = 0n;
    if (read.backwards) {
      for (let i = Math.min(from, last); i >= 0 && sent < read.count; i--, sent++) {
        const record = records[i];
        if (record) call.write(this.#event(record, { structured: read.structured, all: false }));
      }
    } else {
      for (let i = from; i <= last && sent < read.count; i++, sent++) {
        const record = records[i];
        if (record) call.write(this.#event(record, { structured: read.structured, all: false }));
      }
    }
    call.end();
  }

  #readAll(
    call: grpc.ServerWritableStream<ReadReq, streamsPb.ReadResp>,
    from: bigint | 'start' | 'end',
    read: {
      count: bigint;
      backwards: boolean;
      structured: boolean;
      filter: (record: LogRecord) => boolean;
    },
  ): void {
    const records = this.log.records;
    let sent = 0n;
    const send = (record: LogRecord | undefined): void => {
      if (record && read.filter(record)) {
        call.write(this.#event(record, { structured: read.structured, all: true }));
        sent++;
      }
    };
    if (read.backwards) {
      // Backwards reads of $all start just before the given position.
      const start =
        from === 'end' ? records.length : from === 'start' ? 0 : this.log.indexAtOrAfter(from);
      for (let i = start - 1; i >= 0 && sent < read.count; i--) send(records[i]);
    } else {
      const start =
        from === 'start' ? 0 : from === 'end' ? records.length : this.log.indexAtOrAfter(from);
      for (let i = start; i < records.length && sent < read.count; i++) send(records[i]);
    }
    call.end();
  }

  #subscribeToAll(
    call: grpc.ServerWritableStream<ReadReq, streamsPb.ReadResp>,
    from: bigint | 'start' | 'end',
    filter: (record: LogRecord) => boolean,
    structured: boolean,
  ): void {
    const records = this.log.records;
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    call.write(new ReadResp().setConfirmation(confirmation));
    // Subscriptions start after the given position.
    let next =
      from === 'start' ? 0 : from === 'end' ? records.length : this.log.indexAtOrAfter(from + 1n);
    let caughtUp = false;
    let waitingForDrain = false;
    let done = false;
    const pump = (): void => {
      if (done || waitingForDrain) return;
      for (;;) {
        if (next >= records.length) {
          if (!caughtUp) {
            caughtUp = true;
            call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
          }
          return;
        }
        const record = records[next++];
        if (!record || !filter(record)) continue;
        if (!call.write(this.#event(record, { structured, all: true }))) {
          waitingForDrain = true;
          call.once('drain', () => {
            waitingForDrain = false;
            pump();
          });
          return;
        }
      }
    };
    const stopListening = this.log.onWrite(pump);
    const stop = (): void => {
      done = true;
      stopListening();
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
    pump();
  }

  #event(record: LogRecord, options: { structured: boolean; all: boolean }): streamsPb.ReadResp {
    const recorded = new ReadResp.ReadEvent.RecordedEvent();
    recorded.setId(formatUuid(record.id, options.structured));
    const identifier = new sharedPb.StreamIdentifier();
    identifier.setStreamName(Buffer.from(record.streamName, 'utf8'));
    recorded.setStreamIdentifier(identifier);
    recorded.setStreamRevision(record.eventNumber.toString());
    recorded.setPreparePosition(record.position.toString());
    recorded.setCommitPosition(record.position.toString());
    const metadata = recorded.getMetadataMap();
    metadata.set('type', record.type);
    metadata.set('content-type', record.contentType);
    metadata.set('created', record.created.toString());
    recorded.setCustomMetadata(record.metadata);
    recorded.setData(record.data);
    const event = new ReadResp.ReadEvent();
    event.setEvent(recorded);
    if (options.all) event.setCommitPosition(record.position.toString());
    else event.setNoPosition(new sharedPb.Empty());
    return new ReadResp().setEvent(event);
  }
}
