import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { securityHeaders } from '../../src/api/security-headers.ts';

/** The headers of a GET answered by an app using `middleware`, minus what varies per response. */
async function headersWith(middleware: RequestHandler): Promise<Record<string, string>> {
  const app = express();
  app.use(middleware);
  app.get('/x', (_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${String(port)}/x`);
    await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name !== 'date' && name !== 'etag') out[name] = value;
    });
    return out;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('security headers', () => {
  it('sets exactly the headers helmet sets, defaults and options alike', async () => {
    const reference = await headersWith(helmet());
    expect(reference).to.have.property('content-security-policy');
    expect(reference).to.not.have.property('x-powered-by');
    expect(await headersWith(securityHeaders())).to.deep.equal(reference);
    const options = { frameguard: { action: 'deny' as const }, hsts: false };
    const tuned = await headersWith(helmet(options));
    expect(tuned['x-frame-options']).to.equal('DENY');
    expect(tuned).to.not.have.property('strict-transport-security');
    expect(await headersWith(securityHeaders(options))).to.deep.equal(tuned);
  });

  it('refuses options whose headers depend on the request', () => {
    const perRequest = {
      contentSecurityPolicy: {
        directives: { 'script-src': [() => `'nonce-${String(Math.random())}'`] },
      },
    };
    expect(() => securityHeaders(perRequest)).to.throw(/per request/);
  });
});
