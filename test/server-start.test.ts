/**
 * `npm start` as an operator runs it: the real entry point in a child process, on the embedded
 * database (or PostgreSQL under TEST_DATABASE_URL), printing the address and a one-time setup
 * link on the first start only, then shutting down gracefully on SIGTERM.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { invites } from '../src/server/db/schema.js';
import { openDatabase } from '../src/server/db/connection.js';
import { openTestDatabase, testDatabaseUrl } from './helper.js';

const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface Started {
  output: () => string;
  stop: () => Promise<number | null>;
}

async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Open http') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!output.includes('Open http')) {
    child.kill('SIGKILL');
    throw new Error(`the service did not start:\n${output}`);
  }
  return {
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

t.test('first start prints the address and one setup link; later starts print none', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'confidant-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const databaseUrl = testDatabaseUrl ? (await openTestDatabase(t)).url : undefined;
  const port = await freePort();
  const env = { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };

  const first = await start(env);
  t.match(first.output(), `Open http://127.0.0.1:${port}/`, 'where to open it');
  const link = /Set up the first adviser: (http:\/\/127\.0\.0\.1:\d+\/invite\?for=adviser#([A-Za-z0-9_-]{43}))/.exec(first.output());
  t.ok(link, 'a setup link with the token after #');
  t.match(first.output(), `/c/demo`, 'the demo channel address');
  t.ok(first.output().indexOf('/invite?for=adviser#') < first.output().indexOf('/c/demo'), 'the adviser set-up link comes first: reporters need an adviser');

  const page = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(page.status, 200, 'the start page is served');
  t.match(page.headers.get('content-security-policy'), "default-src 'none'");
  await page.text();
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  t.same(await ready.json(), { status: 'ready' });
  t.equal(await first.stop(), 0, 'SIGTERM shuts down cleanly');

  const second = await start(env);
  t.notMatch(second.output(), '/invite?', 'no new link on the second start');
  t.notMatch(second.output(), 'First start');
  t.equal(await second.stop(), 0);

  // Only the hash of the printed token is stored.
  const database = await openDatabase({ url: databaseUrl, dataDir: databaseUrl ? undefined : dataDir });
  t.teardown(() => database.close());
  const token = link?.[2] ?? '';
  const rows = await database.db.select().from(invites).where(eq(invites.tokenHash, createHash('sha256').update(token).digest()));
  t.equal(rows.length, 1, 'the invite is stored by its hash');
  t.equal(rows[0]?.role, 'adviser');
});

t.test('a wrong setting stops the start with one line naming it', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: 'eighty' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 2);
  t.equal(stderr.trim().split('\n').length, 1, 'one line');
  t.match(stderr, /PORT: must be a whole number from 0 to 65535/);
});
