import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import { documentedOperations } from '../../src/api/openapi.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';
import { mountedRoutes } from '../support/api-routes.ts';

interface OperationObject {
  readonly summary?: string;
  readonly description?: string;
  readonly responses?: Readonly<Record<string, { content?: Record<string, unknown> }>>;
  readonly security?: readonly unknown[];
}
type OpenApiDoc = {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, OperationObject>>>>;
};

/** Routes that are not API operations: the static assets of Swagger UI. */
const UNDOCUMENTED = [
  /^get \/docs\/\{file\}$/,
  /^get \/docs\/swagger-initializer\.js$/,
  /^get \/docs\/$/,
  // JSON-RPC, not REST: MCP describes itself (`tools/list`, docs/mcp.md).
  /^(get|post|delete) \/mcp$/,
  // Alpaca's trading API: its reference is Alpaca's, ours is docs/alpaca.md (ADR 0006).
  /^(get|post|patch|delete) \/v2\//,
];

describe('OpenAPI document and Swagger UI', function () {
  let server: ApiServer;
  let doc: OpenApiDoc;

  before(async function () {
    this.timeout(60_000);
    server = await startApiServer({ role: 'all' });
    const res = await fetch(`${server.api}/openapi.json`);
    expect(res.status).to.equal(200);
    doc = (await res.json()) as OpenApiDoc;
  });

  after(async () => {
    await server.close();
  });

  it('is served without a token and validates as OpenAPI 3.1', async () => {
    expect(doc.openapi).to.equal('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.match(/^3\.1/);
  });

  it('documents every mounted route with a summary, a description and its errors', () => {
    const routes = mountedRoutes(server.composition.app).filter(
      (r) => !UNDOCUMENTED.some((re) => re.test(`${r.method} ${r.path}`)),
    );
    expect(routes.length).to.be.greaterThan(10);
    const missing: string[] = [];
    for (const route of routes) {
      const operation = doc.paths[route.path]?.[route.method];
      if (!operation) {
        missing.push(`${route.method} ${route.path}`);
        continue;
      }
      expect(operation.summary, `${route.method} ${route.path} summary`).to.be.a('string').and.not
        .empty;
      expect(operation.description, `${route.method} ${route.path} description`).to.be.a('string')
        .and.not.empty;
      const errors = Object.entries(operation.responses ?? {}).filter(([status]) =>
        /^[45]/.test(status),
      );
      expect(errors, `${route.method} ${route.path} error responses`).to.not.be.empty;
      for (const [status, response] of errors) {
        expect(
          Object.keys(response.content ?? {}),
          `${route.method} ${route.path} ${status} content type`,
        ).to.deep.equal(['application/problem+json']);
      }
    }
    expect(missing, 'mounted routes missing from the OpenAPI document').to.deep.equal([]);
  });

  it('has examples that match their own schemas', () => {
    const wrong: string[] = [];
    for (const op of documentedOperations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (response.schema === undefined || response.example === undefined) continue;
        const parsed = response.schema.safeParse(response.example);
        if (!parsed.success) {
          wrong.push(`${op.method} ${op.path} ${status}: ${JSON.stringify(parsed.error.issues)}`);
        }
      }
      const body = op.request?.body;
      const examples = [
        ...(body?.example === undefined ? [] : [body.example]),
        ...Object.values(body?.examples ?? {}).map((e) => e.value),
      ];
      for (const example of examples) {
        const parsed = body?.schema.safeParse(example);
        if (parsed && !parsed.success) {
          wrong.push(`${op.method} ${op.path} body: ${JSON.stringify(parsed.error.issues)}`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('documents the bearer scheme and requires it on authenticated operations', () => {
    const full = doc as unknown as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
    };
    expect(full.components.securitySchemes.bearerAuth).to.include({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.paths['/api/v1/me']?.get?.security).to.deep.equal([{ bearerAuth: [] }]);
    expect(doc.paths['/api/v1/health']?.get?.security).to.deep.equal([]);
  });

  it('serves Swagger UI from local assets with a CSP relaxed on /docs only', async () => {
    const page = await fetch(`${server.origin}/docs`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    const html = await page.text();
    expect(html).to.include('/docs/swagger-ui-bundle.js');
    expect(html).to.not.match(/https?:\/\//);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("style-src 'self' 'unsafe-inline'");
    expect(csp).to.include("script-src 'self'");

    for (const asset of ['swagger-ui-bundle.js', 'swagger-initializer.js', 'swagger-ui.css']) {
      const res = await fetch(`${server.origin}/docs/${asset}`);
      expect(res.status, asset).to.equal(200);
      expect((await res.text()).length, asset).to.be.greaterThan(100);
    }
    const initializer = await (await fetch(`${server.origin}/docs/swagger-initializer.js`)).text();
    expect(initializer).to.include('/api/v1/openapi.json');

    const unknown = await fetch(`${server.origin}/docs/package.json`);
    expect(unknown.status).to.equal(404);

    expect(csp).to.not.include('upgrade-insecure-requests');
    const api = await fetch(`${server.api}/health`);
    const apiCsp = api.headers.get('content-security-policy') ?? '';
    expect(apiCsp).to.include('upgrade-insecure-requests');
    expect(apiCsp).to.not.equal(csp);
  });
});
