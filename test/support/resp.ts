/**
 * Just enough of the Redis protocol (RESP2) for the test harness to ping a server and delete its
 * own keys, without a client library.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  override readonly name = 'RespError';
}

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** Parses one reply at `offset`; `undefined` when the buffer does not hold all of it yet. */
function parse(buf: Buffer, offset: number): [RespValue, number] | undefined {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const kind = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return undefined;
      return [buf.toString('utf8', next, next + length), next + length + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i += 1) {
        const item = parse(buf, at);
        if (!item) return undefined;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new RespError(`Unexpected RESP reply type ${JSON.stringify(kind)}`);
  }
}

/**
 * Connects to `url` (`redis://[user:pass@]host:port[/db]`, or `rediss://`), authenticates,
 * selects the database, runs `commands` in order and returns their replies (an error reply is
 * returned as a `RespError` value, not thrown). Rejects when the server cannot be reached
 * within `timeoutMs`.
 */
export function redisCommands(
  url: string,
  commands: readonly (readonly string[])[],
  timeoutMs = 2000,
): Promise<RespValue[]> {
  const target = new URL(url);
  const port = Number(target.port || 6379);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const setup: string[][] = [];
  if (target.password) {
    const password = decodeURIComponent(target.password);
    setup.push(
      target.username
        ? ['AUTH', decodeURIComponent(target.username), password]
        : ['AUTH', password],
    );
  }
  const db = target.pathname.replace(/^\//, '');
  if (db) setup.push(['SELECT', db]);
  const all = [...setup, ...commands];

  return new Promise((resolve, reject) => {
    const socket: Socket =
      target.protocol === 'rediss:'
        ? connectTls({ host, port, servername: host })
        : connectTcp({ host, port });
    let buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => {
      fail(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.on('error', fail);
    socket.on('connect', () => {
      socket.write(all.map(encode).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      let offset = 0;
      for (;;) {
        const parsed = parse(buffer, offset);
        if (!parsed) break;
        replies.push(parsed[0]);
        offset = parsed[1];
      }
      buffer = buffer.subarray(offset);
      if (replies.length < all.length) return;
      socket.end();
      const setupError = replies.slice(0, setup.length).find((r) => r instanceof RespError);
      if (setupError) reject(setupError);
      else resolve(replies.slice(setup.length));
    });
  });
}
