/**
 * The protocol vectors in Chromium: test/browser/vectors-entry.ts, bundled with the web app's
 * esbuild options, runs every vector of docs/vectors/*.json through src/protocol as the page's
 * own script. The page and the bundle are served on the app's origin with the headers of a real
 * page of the app, so the vectors run under the same Content-Security-Policy (default-src
 * 'none', 'wasm-unsafe-eval', Trusted Types) as the app. Each vector is one assertion here.
 */
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import t from 'tap';
import { webBuildOptions } from '../../scripts/web-build-options.js';
import { buildTestApp, checkPage, chromiumAvailable, launch, openPage } from './harness.js';
import type { VectorResult } from './vectors-entry.js';

const read = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../docs/vectors/${file}`, import.meta.url), 'utf8'));
const code = read('code-v1.json') as { codes: unknown[]; readBack: { inputs: unknown[] }; refused: unknown[] };
// The entry's vectors: the salt, one per code, read-back input and refusal, then the report,
// the mailbox login and the proof of work; pinning-v1.json gives the commitment twice
// (formulas, module), the pin, the case key copy and the fingerprint; file-v1.json the header and
// body, and the refusals.
const expectedCount = 1 + code.codes.length + code.readBack.inputs.length + code.refused.length + 3 + 5 + 2;

/** Five Argon2id derivations at 64 MiB in Chromium take seconds each, more on a busy machine. */
const SLOW = 300_000;
t.setTimeout(600_000);

/** Headers that describe one body or connection, not the page's security: fulfill sets its own. */
const bodyHeaders = new Set(['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'date', 'etag', 'last-modified', 'accept-ranges']);

const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Protocol vectors</title><script type="module" src="/__test/vectors.js"></script></head>
<body><main><h1>Protocol vectors</h1><output id="results"></output></main></body>
</html>
`;

t.test('the protocol vectors pass in Chromium, bundled like the app and under its CSP', async (t) => {
  if (!chromiumAvailable(t)) return;
  const bundle = await build({
    ...webBuildOptions,
    entryPoints: [new URL('vectors-entry.ts', import.meta.url).pathname],
    outfile: 'vectors.js',
    write: false,
  });
  const script = bundle.outputFiles[0]?.text ?? '';

  const app = await buildTestApp(t);
  const start = await fetch(new URL('/', app.baseUrl));
  await start.arrayBuffer();
  t.equal(start.status, 200, 'the app serves its start page');
  const security = Object.fromEntries([...start.headers].filter(([name]) => !bodyHeaders.has(name)));
  const csp = security['content-security-policy'] ?? '';
  t.match(csp, /default-src 'none'/, 'the policy the vectors run under: default-src none');
  t.match(csp, /'wasm-unsafe-eval'/, 'WebAssembly without eval');
  t.match(csp, /require-trusted-types-for 'script'/, 'Trusted Types');

  const browser = await launch(t);
  const watched = await openPage(browser, app);
  const serve = (contentType: string, body: string) => ({ status: 200, headers: { ...security, 'content-type': contentType }, body });
  await watched.page.route(`${app.baseUrl}/__test/vectors.html`, (route) => route.fulfill(serve('text/html; charset=utf-8', html)));
  await watched.page.route(`${app.baseUrl}/__test/vectors.js`, (route) => route.fulfill(serve('text/javascript; charset=utf-8', script)));

  const started = Date.now();
  await watched.page.goto('/__test/vectors.html');
  const output = watched.page.locator('#results[data-done]');
  await output.waitFor({ state: 'attached', timeout: SLOW });
  t.comment(`the vectors ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const results = JSON.parse((await output.textContent()) ?? '[]') as VectorResult[];

  for (const result of results) t.ok(result.ok, result.name, { detail: result.detail });
  t.equal(results.length, expectedCount, 'every vector ran');
  await checkPage(t, watched, 'vectors page');
});
