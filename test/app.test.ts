import t from 'tap';
import { buildTestApp } from './helper.js';
import { contentSecurityPolicy } from '../src/server/plugins/security-headers.js';

const expectedCsp = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
];

t.test('invariant 3: every kind of answer carries the security headers', async (t) => {
  const { baseUrl } = await buildTestApp(t);
  const answers: Array<[string, RequestInit & { path: string }]> = [
    ['the start page', { path: '/' }],
    ['a page the web app routes', { path: '/c/demo' }],
    ['a static file', { path: '/style.css' }],
    ['an API answer', { path: '/healthz' }],
    ['the OpenAPI document', { path: '/api/openapi.json' }],
    ['an error', { path: '/api/openapi.json', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }],
    ['a 404 of the API', { path: '/api/v1/nothing' }],
    ['a 404 of a file', { path: '/missing.js' }],
  ];
  for (const [what, { path, ...init }] of answers) {
    const response = await fetch(baseUrl + path, init);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of expectedCsp) t.ok(csp.split(';').includes(directive), `${what}: CSP has ${directive}`);
    t.notMatch(csp, /'unsafe-inline'|'unsafe-eval'|\*/, `${what}: no inline script, eval or wildcard`);
    t.equal(response.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
    t.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin', `${what}: COOP`);
    t.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin', `${what}: CORP`);
    t.equal(response.headers.get('cache-control'), 'no-store', `${what}: Cache-Control`);
    t.equal(response.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
    t.equal(response.headers.get('set-cookie'), null, `${what}: no cookie`);
    await response.arrayBuffer();
  }
  t.same(contentSecurityPolicy['default-src'], ["'none'"]);
});

t.test('with ONION_LOCATION, pages (and only pages) name the same page on the onion service', async (t) => {
  const onion = `http://${'k'.repeat(56)}.onion`;
  const { baseUrl } = await buildTestApp(t, { ONION_LOCATION: onion });
  for (const path of ['/', '/c/demo?lang=en', '/mailbox']) {
    const response = await fetch(baseUrl + path);
    await response.arrayBuffer();
    t.equal(response.headers.get('onion-location'), `${onion}${path}`, `${path}: Onion-Location`);
  }
  for (const path of ['/healthz', '/style.css', '/api/v1/nothing']) {
    const response = await fetch(baseUrl + path);
    await response.arrayBuffer();
    t.equal(response.headers.get('onion-location'), null, `${path}: not on an API answer, a file or an error`);
  }
  const plain = await buildTestApp(t);
  const response = await fetch(`${plain.baseUrl}/`);
  await response.arrayBuffer();
  t.equal(response.headers.get('onion-location'), null, 'without ONION_LOCATION no page names an onion service');
});

t.test('client mistakes get a 4xx with { error, message } that does not echo the request', async (t) => {
  const { baseUrl, app } = await buildTestApp(t, { MAX_REPORT_BYTES: '4096' });
  app.log.level = 'info';
  const marker = 'ECHO-MARKER-7731';
  const cases: Array<[string, RequestInit & { path: string }, number, string]> = [
    ['malformed JSON', { path: '/api/openapi.json', method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"${marker}":` }, 400, 'invalid_json'],
    ['empty JSON body', { path: '/api/openapi.json', method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }, 400, 'invalid_json'],
    ['an unknown route', { path: `/api/v1/${marker}`, method: 'GET' }, 404, 'not_found'],
    ['an unknown method on a page', { path: '/', method: 'DELETE' }, 404, 'not_found'],
  ];
  for (const [what, { path, ...init }, status, code] of cases) {
    const response = await fetch(baseUrl + path, init);
    const text = await response.text();
    t.equal(response.status, status, `${what}: status`);
    t.match(response.headers.get('content-type'), /application\/json/, `${what}: JSON`);
    const body = JSON.parse(text) as { error: string; message: string };
    t.equal(body.error, code, `${what}: error code`);
    t.type(body.message, 'string', `${what}: message`);
    t.same(Object.keys(body).sort(), ['error', 'message'], `${what}: exactly error and message`);
    t.notMatch(text, marker, `${what}: no echo`);
  }
});

t.test('wrong content type and oversize bodies on a JSON route', async (t) => {
  const { app } = await buildTestApp(t, { MAX_REPORT_BYTES: '4096' });
  const route = '/api/v1/mailbox/challenge';
  const xml = await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
  t.equal(xml.statusCode, 415);
  t.equal(xml.json().error, 'unsupported_media_type');
  const text = await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'text/plain' }, payload: 'x' });
  t.equal(text.statusCode, 415, 'text/plain is not JSON either');
  const none = await app.inject({ method: 'POST', url: route });
  t.equal(none.statusCode, 400, 'no body at all');
  t.equal(none.json().error, 'invalid_body');
  const huge = await app.inject({
    method: 'POST',
    url: route,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ mailboxId: 'a'.repeat(app.config.bodyLimit + 10) }),
  });
  t.equal(huge.statusCode, 413);
  t.equal(huge.json().error, 'too_large');
  const array = await app.inject({ method: 'POST', url: route, headers: { 'content-type': 'application/json' }, payload: '[1,2]' });
  t.equal(array.statusCode, 400, 'a JSON value of the wrong shape');
  t.match(array.json().error, /^invalid_/);
});

t.test('health, readiness and the OpenAPI document', async (t) => {
  const { app, database } = await buildTestApp(t);
  t.same((await app.inject('/healthz')).json(), { status: 'ok' });
  t.same((await app.inject('/readyz')).json(), { status: 'ready' });
  const openapi = (await app.inject('/api/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
  t.equal(openapi.openapi, '3.1.0');
  t.ok(openapi.paths['/healthz'], 'routes are described from their schemas');
  await database.close();
  const down = await app.inject('/readyz');
  t.equal(down.statusCode, 503, 'readyz says 503 when the database is gone');
  t.equal(down.json().error, 'database_unavailable');
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process is still up');
});

t.test('invariant 2: request logs carry no address, user agent, header, query or body', async (t) => {
  const { baseUrl, logs } = await buildTestApp(t);
  const ua = 'Mozilla/5.0 (UA-MARKER-4410)';
  const headers = { 'user-agent': ua, 'x-forwarded-for': '203.0.113.77', 'x-real-ip': '198.51.100.9', referer: 'https://ref.example/REF-MARKER' };
  await (await fetch(`${baseUrl}/healthz?q=QUERY-MARKER`, { headers })).text();
  await (await fetch(`${baseUrl}/api/v1/PATH-MARKER`, { headers })).text();
  await (
    await fetch(`${baseUrl}/api/openapi.json`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"BODY-MARKER":' })
  ).text();
  t.ok(logs.lines.length >= 3, 'requests were logged');
  for (const needle of ['127.0.0.1', '::1', 'UA-MARKER', 'Mozilla', '203.0.113.77', '198.51.100.9', 'REF-MARKER', 'QUERY-MARKER', 'PATH-MARKER', 'BODY-MARKER', 'remoteAddress', 'user-agent']) {
    t.notMatch(logs.text, needle, `no ${needle} in the logs`);
  }
  const line = JSON.parse(logs.lines.find((l) => l.includes('"/healthz"')) ?? '{}') as Record<string, unknown>;
  t.match(line, { method: 'GET', route: '/healthz', status: 200 }, 'method, route pattern and status');
  t.type(line.ms, 'number', 'duration');
});
