/**
 * helmet's response headers, worked out once. `helmet()` is a chain of a dozen middlewares that
 * each set one constant header on every response; with no per-request directive (no nonce
 * functions) the result never changes, so this runs helmet once at start-up against a recorder
 * and then sets the recorded headers in one step per response: the same headers, a fraction of
 * the cost on the hot read paths.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** What a helmet run did to a response. */
interface Recorded {
  readonly set: readonly (readonly [string, string | number | readonly string[]])[];
  readonly removed: readonly string[];
}

/** A detached response that notes the headers removed from it. */
class Recorder extends ServerResponse {
  readonly removed: string[] = [];

  override removeHeader(name: string): void {
    this.removed.push(name);
    super.removeHeader(name);
  }
}

/** True when a Content-Security-Policy directive is computed per request (a nonce function). */
function perRequest(options: Readonly<HelmetOptions> | undefined): boolean {
  const csp = options?.contentSecurityPolicy;
  if (typeof csp !== 'object') return false;
  const values: unknown[] = Object.values(csp.directives ?? {});
  return values.some(
    (value) =>
      typeof value === 'function' ||
      (Array.isArray(value) && value.some((part) => typeof part === 'function')),
  );
}

function record(options: Readonly<HelmetOptions> | undefined): Recorded {
  if (perRequest(options)) {
    throw new Error('helmet options with directives computed per request cannot be precomputed');
  }
  const request = new IncomingMessage(new Socket());
  const response = new Recorder(request);
  const outcome: { done: boolean; failure?: unknown } = { done: false };
  helmet(options)(request, response, (error?: unknown) => {
    outcome.done = true;
    outcome.failure = error;
  });
  if (!outcome.done || outcome.failure !== undefined) {
    throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  }
  const set = Object.entries(response.getHeaders()).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, value] as const],
  );
  return { set, removed: response.removed };
}

/** A middleware that sets exactly the headers `helmet(options)` sets. */
export function securityHeaders(options?: Readonly<HelmetOptions>): RequestHandler {
  const { set, removed } = record(options);
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
