import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { AccessTokens, JWT_AUDIENCE, JWT_ISSUER, keyIdOf } from '../../src/auth/access-tokens.ts';
import {
  newApiKey,
  newRefreshToken,
  parseApiKey,
  parseRefreshToken,
} from '../../src/auth/opaque-tokens.ts';
import { TEST_SECRET } from './harness.ts';

const USER = '11111111-1111-4111-8111-111111111111';
const FAMILY = '22222222-2222-4222-8222-222222222222';

describe('auth: access tokens', () => {
  const tokens = new AccessTokens({ secrets: [TEST_SECRET] });
  const sign = (payload: object, secret = TEST_SECRET, options: jwt.SignOptions = {}): string =>
    jwt.sign({ roles: ['trader'], ...payload }, secret, {
      algorithm: 'HS256',
      keyid: keyIdOf(secret),
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      subject: USER,
      jwtid: 'j',
      expiresIn: 60,
      ...options,
    });

  it('accepts its own token with pinned algorithm, issuer, audience and kid', async () => {
    const token = tokens.issue(USER, ['trader'], 'jti-1');
    const header = jwt.decode(token, { complete: true })?.header;
    expect(header).to.include({ alg: 'HS256', kid: keyIdOf(TEST_SECRET) });
    const claims = await tokens.verify(token);
    expect(claims).to.include({ sub: USER, jti: 'jti-1' });
  });

  it('rejects an expired token', async () => {
    const old = new AccessTokens({
      secrets: [TEST_SECRET],
      now: () => Math.floor(Date.now() / 1000) - 3600,
    });
    expect(await tokens.verify(old.issue(USER, ['trader'], 'j'))).to.equal(undefined);
  });

  it('rejects a tampered token', async () => {
    const token = tokens.issue(USER, ['trader'], 'j');
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    payload.roles = ['admin'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await tokens.verify(forged)).to.equal(undefined);
  });

  it('rejects alg none', async () => {
    const header = Buffer.from(
      JSON.stringify({ alg: 'none', typ: 'JWT', kid: keyIdOf(TEST_SECRET) }),
    ).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(
      JSON.stringify({
        sub: USER,
        roles: ['admin'],
        iat: now,
        exp: now + 60,
        jti: 'j',
        iss: JWT_ISSUER,
        aud: JWT_AUDIENCE,
      }),
    ).toString('base64url');
    expect(await tokens.verify(`${header}.${body}.`)).to.equal(undefined);
  });

  it('rejects another algorithm even with the right secret', async () => {
    expect(await tokens.verify(sign({}, TEST_SECRET, { algorithm: 'HS512' }))).to.equal(undefined);
  });

  it('rejects a wrong audience and a wrong issuer', async () => {
    expect(await tokens.verify(sign({}, TEST_SECRET, { audience: 'someone-else' }))).to.equal(
      undefined,
    );
    expect(await tokens.verify(sign({}, TEST_SECRET, { issuer: 'someone-else' }))).to.equal(
      undefined,
    );
  });

  it('rejects a token signed with another key (and one naming our kid)', async () => {
    const other = 'another-secret-that-is-long-enough-9876543210';
    expect(await tokens.verify(sign({}, other))).to.equal(undefined);
    expect(await tokens.verify(sign({}, other, { keyid: keyIdOf(TEST_SECRET) }))).to.equal(
      undefined,
    );
  });

  it('accepts a token of a previous key after rotation, by kid', async () => {
    const previous = new AccessTokens({ secrets: [TEST_SECRET] });
    const rotated = new AccessTokens({
      secrets: ['a-brand-new-secret-long-enough-000000000', TEST_SECRET],
    });
    expect(await rotated.verify(previous.issue(USER, ['viewer'], 'j'))).to.include({ sub: USER });
  });

  it('rejects claims of the wrong shape', async () => {
    expect(await tokens.verify(sign({ roles: ['root'] }))).to.equal(undefined);
  });
});

describe('auth: opaque tokens', () => {
  it('refresh tokens round-trip and carry their ids', () => {
    const t = newRefreshToken(USER, FAMILY);
    expect(parseRefreshToken(t.token)).to.deep.equal(t);
    expect(parseRefreshToken(`${t.token}x`)).to.equal(undefined);
  });

  it('API keys round-trip; only the hash of the secret is kept', () => {
    const k = newApiKey(USER, FAMILY);
    expect(parseApiKey(k.token)).to.deep.equal(k);
    expect(k.secretHash).to.match(/^[0-9a-f]{64}$/);
    expect(k.token).not.to.include(k.secretHash);
  });
});
