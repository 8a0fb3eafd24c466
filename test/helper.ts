/**
 * Builds the real app for a test file: on in-memory PGlite, or on a fresh PostgreSQL database
 * of its own when TEST_DATABASE_URL is set, so test files never share state. Captures the
 * real logger's output so tests can search it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { ApiError, ConfidantClient, openMailbox } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig, type Config } from '../src/server/config.js';
import { openDatabase, type DatabaseHandle } from '../src/server/db/connection.js';

type Teardown = { teardown(fn: () => unknown): void };

export const testDatabaseUrl = process.env.TEST_DATABASE_URL?.trim() || undefined;
export const databaseKind = testDatabaseUrl ? 'postgres' : 'pglite';

/** The file store of this test process, removed when it exits. */
let testFilesDir: string | undefined;
function filesDirOfThisProcess(): string {
  if (testFilesDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'confidant-test-files-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    testFilesDir = dir;
  }
  return testFilesDir;
}

/** A configuration as an operator would give it, with test-friendly defaults. */
export function testConfig(env: Record<string, string> = {}): Config {
  // Tests derive Argon2id keys in the server's own process, which stalls its event loop for
  // seconds on a busy machine: load shedding stays off unless a test turns it on.
  return loadConfig({ LOG_LEVEL: 'info', POW_DIFFICULTY: '0', MAX_EVENT_LOOP_DELAY_MS: '0', FILES_DIR: filesDirOfThisProcess(), ...env });
}

/** Creates an empty PostgreSQL database for one test file and returns its URL. */
async function freshPostgresDatabase(t: Teardown, baseUrl: string): Promise<string> {
  const name = `confidant_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  t.teardown(async () => {
    const cleaner = new pg.Client({ connectionString: baseUrl });
    await cleaner.connect();
    await cleaner.query(`drop database if exists ${name} with (force)`);
    await cleaner.end();
  });
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A migrated database for one test, closed at its end. */
export async function openTestDatabase(t: Teardown): Promise<DatabaseHandle & { url: string | undefined }> {
  const url = testDatabaseUrl ? await freshPostgresDatabase(t, testDatabaseUrl) : undefined;
  const database = await openDatabase({ url });
  t.teardown(() => database.close());
  await database.migrate();
  return Object.assign(database, { url });
}

/** Collects every line the logger writes. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: FastifyInstance;
  /** With its URL on PostgreSQL, so that a second instance can open the same database. */
  database: DatabaseHandle & { url: string | undefined };
  config: Config;
  logs: LogCapture;
  /** The app listening on a loopback port, for clients that speak real HTTP. */
  baseUrl: string;
}

export async function buildTestApp(t: Teardown, env: Record<string, string> = {}): Promise<TestApp> {
  const config = testConfig(env);
  const database = await openTestDatabase(t);
  const logs = new LogCapture();
  const app = await buildApp(config, database, { logStream: logs });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Keep only what requests write: the start-up line names the server's own address.
  logs.lines.length = 0;
  return { app, database, config, logs, baseUrl: `http://127.0.0.1:${port}` };
}

/** The ApiError a client call fails with; throws when it succeeds or fails otherwise. */
export async function apiFailure(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/**
 * Opens a mailbox with the real client and returns its session token, which the Mailbox keeps
 * private, so that a test can send requests the client would never make.
 */
export async function mailboxToken(baseUrl: string, code: string): Promise<string> {
  let token = '';
  const recording = new ConfidantClient({
    baseUrl,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      const text = await response.text();
      if (url.endsWith('/api/v1/mailbox/session') && response.ok) token = (JSON.parse(text) as { token: string }).token;
      return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
    },
  });
  await openMailbox(recording, code);
  return token;
}
