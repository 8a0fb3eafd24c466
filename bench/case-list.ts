/**
 * Case-list benchmark (design.md "Performance expectations": lists are paginated in the
 * database, keyset): `GET /api/v1/cases` of the real app with 10,000 cases in the database,
 * beside a bare Fastify route that runs a plain indexed SELECT of the same page, in one run,
 * on a scratch PostgreSQL database.
 *
 *  - Data: 10,000 cases on 2 channels with 3 advisers; the measured adviser holds wraps for
 *    8,000 of them. receivedAt spread over a year, statuses by age, a third with messages.
 *    Bulk-inserted with drizzle (data setup, not the code under test).
 *  - Pages: the first page (`?limit=50`) and a deep page (`?limit=50&before=<cursor>`, the
 *    cursor taken from walking the app's pages, page 100 by default). Should the app refuse
 *    `limit`, the runs leave it out (50 is the default) and the report says so. Both sides answer the
 *    same JSON (checked: deep-equal), behind a bearer token checked against staff_sessions.
 *  - Load: autocannon, 10 connections, 4 rounds of a baseline and an app run, the baseline first
 *    in odd rounds and the app first in even ones; the report gives per-round figures, medians
 *    and the ratio app/baseline.
 *  - The queries alone: the app's SQL (captured from the service as it runs) and the
 *    baseline's, timed serially on one connection, and EXPLAIN (ANALYZE, BUFFERS) of both.
 *
 * Both servers run in child processes (bench/lib.ts); autocannon runs in this process. The
 * figures go to bench/RESULTS.md between `<!-- case-list:start -->` and `<!-- case-list:end -->`.
 *
 * Settings (environment): BENCH_DATABASE_URL, BENCH_CASES_SECONDS, BENCH_ROUNDS,
 * BENCH_CASES_CONNECTIONS, BENCH_CASES_DEEP_PAGE, BENCH_RESULTS.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database, type Transaction } from '../src/server/db/connection.js';
import { adviserChannels, caseWraps, cases, messages, staffSessions, type CaseStatus } from '../src/server/db/schema.js';
import { PAGE_DEFAULT, createCases, decodeCursor, encodeCursor } from '../src/server/services/cases.js';
import { toHour } from '../src/server/services/coarse-time.js';
import { deadlines } from '../src/protocol/index.js';
import { newId, newToken, tokenHash } from '../src/server/tokens.js';
import { addAdviser, addChannel } from '../test/fixtures.js';
import {
  busyMicros,
  busyShare,
  cpuSample,
  createScratchDatabase,
  describeMachine,
  fixed,
  markdownTable,
  median,
  processCpuMicros,
  runLoad,
  serveInChild,
  startChildServer,
  summarise,
  writeSection,
  type ChildServer,
  type LoadSummary,
  type Machine,
  listenOnLoopback,
  roundOrder,
} from './lib.js';

const LIST_PATH = '/api/v1/cases';
/** The app's pool size (src/server/db/connection.ts); the baseline gets the same. */
const POOL_SIZE = 10;
/** The route's default page size, which every request here gets. */
const PAGE = PAGE_DEFAULT;
const CASES = 10_000;
/** Cases whose index is not 4 modulo 5 carry a wrap for the measured adviser: 8,000 of 10,000. */
const holdsWrap = (i: number) => i % 5 !== 4;
const INSERT_BATCH = 500;
const DAY = 24 * 3600 * 1000;
const cores = availableParallelism();

function setting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

const settings = {
  databaseUrl: process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test',
  seconds: setting('BENCH_CASES_SECONDS', 10),
  rounds: setting('BENCH_ROUNDS', 4),
  warmupSeconds: 1,
  connections: setting('BENCH_CASES_CONNECTIONS', 10),
  deepPage: setting('BENCH_CASES_DEEP_PAGE', 100),
  /** Seconds per serial query-timing loop. */
  queryLoopSeconds: 1,
  results: process.env.BENCH_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url)),
  /** A folder: both servers write V8 CPU profiles to its app/ and baseline/ subfolders. */
  profileDir: process.env.BENCH_PROFILE?.trim() || undefined,
};

const log = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// The data

/** A small seeded generator (mulberry32), so every run lays out the same times and states. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  adviserId: string;
  token: string;
  /** Wraps the measured adviser holds. */
  adviserCases: number;
  wraps: number;
  messages: number;
  withMessages: number;
  statuses: Record<CaseStatus, number>;
  /** Cases of the measured adviser whose receivedAt another of them shares (keyset ties). */
  sharedTimes: number;
  unread: number;
  seconds: number;
}

/**
 * 10,000 cases on channels bench-a (~60%) and bench-b, each with a wrap for the adviser of its
 * channel (B or C) and, for 8,000 of them, one for adviser A, who serves both channels and is
 * the one measured. Byte lengths are the protocol's: public keys 32, wraps 80, nonces 24,
 * report ciphertext 4096 + 16 (random: it is stored out of line, uncompressed, as real
 * ciphertext is). receivedAt is whole hours (as the app keeps it) over the past year, so some cases share one.
 */
async function seed(db: Database, now: Date): Promise<Seeded> {
  const t0 = performance.now();
  const random = generator(20_260_101);
  const channelA = await addChannel(db, 'bench-a', { powDifficulty: 0 });
  const channelB = await addChannel(db, 'bench-b', { powDifficulty: 0 });
  const adviserA = await addAdviser(db, 'bench-a', 'Adviser A');
  await db.insert(adviserChannels).values({ accountId: adviserA.id, channelId: channelB.id });
  const adviserB = await addAdviser(db, 'bench-a', 'Adviser B');
  const adviserC = await addAdviser(db, 'bench-b', 'Adviser C');

  const statuses: Record<CaseStatus, number> = { received: 0, acknowledged: 0, in_progress: 0, closed: 0 };
  const adviserTimes = new Map<number, number>();
  let wrapCount = 0;
  let messageCount = 0;
  let withMessages = 0;
  let unread = 0;
  const minute = 60_000;
  for (let start = 0; start < CASES; start += INSERT_BATCH) {
    const caseRows: Array<typeof cases.$inferInsert> = [];
    const wrapRows: Array<typeof caseWraps.$inferInsert> = [];
    const messageRows: Array<typeof messages.$inferInsert> = [];
    const ciphertexts = randomBytes(Math.min(INSERT_BATCH, CASES - start) * (4096 + 16));
    for (let i = start; i < Math.min(CASES, start + INSERT_BATCH); i++) {
      const id = newId();
      const onA = random() < 0.6;
      const receivedAt = toHour(new Date(now.getTime() - random() * 365 * DAY));
      const age = (now.getTime() - receivedAt.getTime()) / DAY;
      const r = random();
      const status: CaseStatus =
        age < 3 ? (r < 0.7 ? 'received' : 'acknowledged') : r < 0.1 ? 'received' : r < 0.35 ? 'acknowledged' : r < 0.7 ? 'in_progress' : 'closed';
      statuses[status]++;
      const acknowledgedAt =
        status === 'received' ? null : new Date(Math.min(now.getTime() - minute, receivedAt.getTime() + (0.2 + random() * 6) * DAY));
      let feedbackGivenAt: Date | null = null;
      let messageSeq = 0;
      let reporterSeq = 0;
      if (random() < 0.35) {
        withMessages++;
        const count = 1 + Math.floor(random() * 3);
        const times = Array.from({ length: count }, () => receivedAt.getTime() + random() * (now.getTime() - receivedAt.getTime())).sort((a, b) => a - b);
        for (const [m, time] of times.entries()) {
          const author = m % 2 === 0 ? 'adviser' : 'reporter';
          const sentAt = author === 'reporter' ? toHour(new Date(time)) : new Date(time);
          messageSeq = m + 1;
          // The first adviser message after the acknowledgement is marked as the feedback.
          const feedback = author === 'adviser' && feedbackGivenAt === null && acknowledgedAt !== null && sentAt > acknowledgedAt;
          if (feedback) feedbackGivenAt = sentAt;
          if (author === 'reporter') reporterSeq = messageSeq;
          messageRows.push({
            id: newId(),
            caseId: id,
            author,
            accountId: author === 'adviser' ? adviserA.id : null,
            nonce: randomBytes(24),
            ciphertext: randomBytes(1024 + 16),
            seq: messageSeq,
            sentAt,
            feedback,
          });
        }
      }
      const offset = (i - start) * (4096 + 16);
      caseRows.push({
        id,
        channelId: onA ? channelA.id : channelB.id,
        mailboxId: newId(),
        reporterSignPublicKey: randomBytes(32),
        reporterBoxPublicKey: randomBytes(32),
        reporterWrap: randomBytes(80),
        reportNonce: randomBytes(24),
        reportCiphertext: ciphertexts.subarray(offset, offset + 4096 + 16),
        status,
        receivedAt,
        acknowledgedAt,
        feedbackGivenAt,
        messageSeq,
        reporterSeq,
      });
      wrapRows.push({ caseId: id, accountId: onA ? adviserB.id : adviserC.id, wrap: randomBytes(80), createdAt: receivedAt });
      if (holdsWrap(i)) {
        adviserTimes.set(receivedAt.getTime(), (adviserTimes.get(receivedAt.getTime()) ?? 0) + 1);
        // 60% opened once, after some of the messages; unread when the reporter wrote after that.
        const lastReadSeq = random() < 0.6 ? Math.floor(random() * (messageSeq + 1)) : null;
        if (lastReadSeq === null || lastReadSeq < reporterSeq) unread++;
        wrapRows.push({ caseId: id, accountId: adviserA.id, wrap: randomBytes(80), createdAt: receivedAt, lastReadSeq });
      }
    }
    await insertRows(db, caseRows, wrapRows, messageRows);
    wrapCount += wrapRows.length;
    messageCount += messageRows.length;
  }

  // The session a sign-in would have made (services/accounts.ts): a random token, stored hashed.
  const token = newToken();
  await db.insert(staffSessions).values({
    tokenHash: tokenHash(token),
    accountId: adviserA.id,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + 30 * 60 * 1000),
  });
  let sharedTimes = 0;
  for (const n of adviserTimes.values()) if (n > 1) sharedTimes += n;
  return {
    adviserId: adviserA.id,
    token,
    adviserCases: [...adviserTimes.values()].reduce((a, b) => a + b, 0),
    wraps: wrapCount,
    messages: messageCount,
    withMessages,
    statuses,
    sharedTimes,
    unread,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * One batch in one transaction, without waiting for the commit to reach the disk. A superuser skips the foreign-key triggers for it
 * (session_replication_role = replica): the rows are made consistent above, and the checks
 * would double the time the data takes to go in on a busy machine. The tables keep their keys.
 */
async function insertRows(
  db: Database,
  caseRows: Array<typeof cases.$inferInsert>,
  wrapRows: Array<typeof caseWraps.$inferInsert>,
  messageRows: Array<typeof messages.$inferInsert>,
): Promise<void> {
  await db.transaction(async (tx: Transaction) => {
    const answer = (await tx.execute(sql`select rolsuper from pg_roles where rolname = current_user`)) as unknown as { rows: Array<{ rolsuper: boolean }> };
    const [role] = answer.rows;
    if (role?.rolsuper) await tx.execute(sql`set local session_replication_role = replica`);
    // A scratch database: no need to wait for each batch to reach the disk.
    await tx.execute(sql`set local synchronous_commit = off`);
    await tx.insert(cases).values(caseRows);
    await tx.insert(caseWraps).values(wrapRows);
    if (messageRows.length > 0) await tx.insert(messages).values(messageRows);
  });
}

// ---------------------------------------------------------------------------------------
// The servers (child processes)

/** Discards what it is given: the app still formats every log line. */
const nullStream = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** The real app as production builds it: info-level request logs (discarded), helmet, schemas, services, drizzle. */
async function serveApp(url: string) {
  const config = loadConfig({ LOG_LEVEL: 'info', POW_DIFFICULTY: '0' });
  const database = await openDatabase({ url, poolSize: POOL_SIZE });
  const app = await buildApp(config, database, { logStream: nullStream() });
  return listenOnLoopback(app, database);
}

const SESSION_SQL = `select s.account_id, s.created_at, a.role
  from staff_sessions s join staff_accounts a on a.id = s.account_id
  where s.token_hash = $1 and s.expires_at > $2 and a.disabled_at is null`;

/** The page as a hand-written query would fetch it: only the columns the answer needs. */
const PAGE_COLUMNS = `c.id, ch.slug, c.status, c.received_at, c.acknowledged_at, c.feedback_given_at,
         c.reporter_seq, w.wrap, w.last_read_seq`;
const PAGE_FROM = `from case_wraps w
  join cases c on c.id = w.case_id
  join channels ch on ch.id = c.channel_id`;
const ORDER = 'order by c.received_at desc, c.id desc';
/** The same keyset predicate as the app (services/cases.ts): received_at < t or (received_at = t and id < id). */
const FIRST_PAGE_SQL = `select ${PAGE_COLUMNS} ${PAGE_FROM}
  where w.account_id = $1 ${ORDER} limit $2`;
const DEEP_PAGE_SQL = `select ${PAGE_COLUMNS} ${PAGE_FROM}
  where w.account_id = $1 and (c.received_at < $3 or (c.received_at = $3 and c.id < $4)) ${ORDER} limit $2`;

/** The same rows with a row comparison, which PostgreSQL can use as a bound of the cases_received index scan. */
const ROW_COMPARE_DEEP_SQL = `select ${PAGE_COLUMNS} ${PAGE_FROM}
  where w.account_id = $1 and (c.received_at, c.id) < ($3, $4) ${ORDER} limit $2`;

interface PageRow {
  id: string;
  slug: string;
  status: CaseStatus;
  received_at: Date;
  acknowledged_at: Date | null;
  feedback_given_at: Date | null;
  reporter_seq: number;
  wrap: Buffer;
  last_read_seq: number | null;
}

/** One page as the route answers it (routes/case-routes.ts, services/cases.ts). */
function pageAnswer(rows: PageRow[], limit: number, now: Date) {
  const page = rows.slice(0, limit).map((row) => {
    const due = deadlines({ status: row.status, receivedAt: row.received_at, acknowledgedAt: row.acknowledged_at, feedbackGivenAt: row.feedback_given_at }, now);
    return {
      caseId: row.id,
      channel: row.slug,
      status: row.status,
      receivedAt: row.received_at.toISOString(),
      acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
      acknowledgeBy: due.acknowledgeBy.toISOString(),
      feedbackBy: due.feedbackBy.toISOString(),
      feedbackGivenAt: row.feedback_given_at?.toISOString() ?? null,
      overdue: due.overdue,
      wrap: row.wrap.toString('base64url'),
      unread: row.last_read_seq === null || row.last_read_seq < row.reporter_seq,
    };
  });
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { cases: page, next: last ? encodeCursor(last.received_at, last.id) : null };
}

/**
 * The baseline: bare Fastify (no logger, no plugins, no schemas) and a pg Pool of the app's
 * size. It checks the bearer token against staff_sessions as the app does (one indexed
 * select), then runs the plain page select with the app's predicate (the row comparison for a
 * cursor) and answers the same JSON. Its queries are named prepared statements, as the app's
 * session and first-page queries are.
 */
async function serveBaseline(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on('error', () => {});
  const app = Fastify({ logger: false });
  app.get(LIST_PATH, async (request, reply) => {
    const token = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(request.headers.authorization ?? '')?.[1];
    const now = new Date();
    const session = token ? await pool.query<{ account_id: string; role: string }>({ name: 'b_session', text: SESSION_SQL, values: [tokenHash(token), now] }) : undefined;
    const account = session?.rows[0];
    if (!account) return reply.status(401).send({ error: 'not_signed_in', message: 'Sign in first.' });
    if (account.role !== 'adviser') return reply.status(403).send({ error: 'advisers_only', message: 'This account may not do this.' });
    const query = request.query as { limit?: string; before?: string };
    const limit = Math.min(Number(query.limit ?? PAGE), 200);
    const result = query.before
      ? await (() => {
          const cursor = decodeCursor(query.before);
          return pool.query<PageRow>({ name: 'b_deep', text: ROW_COMPARE_DEEP_SQL, values: [account.account_id, limit + 1, cursor.receivedAt, cursor.caseId] });
        })()
      : await pool.query<PageRow>({ name: 'b_first', text: FIRST_PAGE_SQL, values: [account.account_id, limit + 1] });
    return pageAnswer(result.rows, limit, now);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Measuring

type SideName = 'baseline' | 'app';
type PageName = 'first' | 'deep';

interface Side {
  name: SideName;
  server: ChildServer;
  url: string;
}

interface RunFigures extends LoadSummary {
  mean: number;
  /** Microseconds per completed request. */
  serverCpu: number;
  postgresCpu: number;
  machineBusy: number;
  others: number;
}

/**
 * One autocannon run with its CPU accounting, as lib.ts measureLoad() does (PostgreSQL: only
 * the backends of the scratch database), plus the mean latency the issue asks for.
 */
async function measure(side: Side, path: string, token: string, seconds: number, database: string): Promise<RunFigures> {
  const postgresFilter = ` ${database} `;
  const server0 = await side.server.cpuMicros();
  const postgres0 = processCpuMicros('postgres', postgresFilter);
  const machine0 = cpuSample();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runLoad({
    url: side.url + path,
    connections: settings.connections,
    duration: seconds,
    method: 'GET',
    headers: { authorization: `Bearer ${token}` },
  });
  const wall = (performance.now() - t0) * 1000;
  const self = process.cpuUsage(self0);
  const machine1 = cpuSample();
  const postgres1 = processCpuMicros('postgres', postgresFilter);
  const server1 = await side.server.cpuMicros();
  const summary = summarise(result);
  const completed = Math.max(1, summary.completed);
  let postgres = 0;
  for (const [pid, micros] of postgres1) postgres += micros - (postgres0.get(pid) ?? 0);
  const server = server1 - server0;
  const others = busyMicros(machine0, machine1) - server - postgres - self.user - self.system;
  return {
    ...summary,
    mean: result.latency.mean,
    serverCpu: server / completed,
    postgresCpu: postgres1.size === 0 ? Number.NaN : postgres / completed,
    machineBusy: busyShare(machine0, machine1),
    others: postgres1.size === 0 ? Number.NaN : Math.max(0, others) / (wall * cores),
  };
}

const brief = (name: string, f: RunFigures) =>
  `  ${name.padEnd(14)} ${fixed(f.rps).padStart(7)} req/s  p50 ${fixed(f.p50).padStart(6)} ms  p99 ${fixed(f.p99).padStart(6)} ms  mean ${fixed(f.mean, 2).padStart(7)} ms  ` +
  `2xx ${f.ok}  other ${f.non2xx + f.errors + f.timeouts}  server ${fixed(f.serverCpu, 0)} µs/req  pg ${fixed(f.postgresCpu, 0)} µs/req  ` +
  `busy ${fixed(f.machineBusy * 100, 0)}% (others ${fixed(f.others * 100, 0)}%)`;

interface CaseListAnswer {
  cases: Array<{ caseId: string; receivedAt: string }>;
  next: string | null;
}

/** `?limit=50&before=…` as the runs send it; without limit when the app refuses it (see the report). */
function listPath(limit: boolean, before?: string): string {
  const query = [...(limit ? [`limit=${PAGE}`] : []), ...(before ? [`before=${before}`] : [])].join('&');
  return `${LIST_PATH}${query ? `?${query}` : ''}`;
}

async function getPage(url: string, token: string, limit: boolean, before?: string): Promise<{ answer: CaseListAnswer; bytes: number; ms: number }> {
  const t0 = performance.now();
  const response = await fetch(url + listPath(limit, before), { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const ms = performance.now() - t0;
  if (response.status !== 200) throw new Error(`${url}${LIST_PATH} answered ${response.status}: ${text.slice(0, 200)}`);
  return { answer: JSON.parse(text) as CaseListAnswer, bytes: Buffer.byteLength(text), ms };
}

interface Walk {
  pages: number;
  rows: number;
  /** The `before` of page n (1-based) is cursors[n - 1]; page 1 has none. */
  cursors: string[];
  ms: number[];
  bytes: number;
}

/** Every page of the app, in order, checking the keyset walk: no row twice, none missing, strictly descending. */
async function walkPages(url: string, token: string, limit: boolean, expected: number): Promise<Walk> {
  const cursors: string[] = [''];
  const ms: number[] = [];
  const seen = new Set<string>();
  let previous: { receivedAt: string; caseId: string } | undefined;
  let before: string | undefined;
  let bytes = 0;
  for (let page = 1; page <= Math.ceil(expected / PAGE) + 1; page++) {
    const got = await getPage(url, token, limit, before);
    ms.push(got.ms);
    if (page === 1) bytes = got.bytes;
    for (const c of got.answer.cases) {
      if (seen.has(c.caseId)) throw new Error(`page ${page} repeats case ${c.caseId}`);
      seen.add(c.caseId);
      if (previous && (c.receivedAt > previous.receivedAt || (c.receivedAt === previous.receivedAt && c.caseId >= previous.caseId))) {
        throw new Error(`page ${page} is out of order at ${c.caseId}`);
      }
      previous = c;
    }
    if (!got.answer.next) {
      if (seen.size !== expected) throw new Error(`the walk found ${seen.size} cases, expected ${expected}`);
      return { pages: page, rows: seen.size, cursors, ms, bytes };
    }
    before = got.answer.next;
    cursors.push(before);
  }
  throw new Error(`the walk did not end after ${Math.ceil(expected / PAGE) + 1} pages`);
}

// ---------------------------------------------------------------------------------------
// The queries alone

interface CapturedQuery {
  text: string;
  values: unknown[];
  /** Bytes of column data the query returned for one page (Buffers and strings). */
  resultBytes: number;
}

/**
 * The SQL the app's list sends, captured at the pg Pool while the service (the same code the
 * route calls) runs in this process, with the cursor of the page.
 */
async function captureAppQuery(url: string, accountId: string, before: string | undefined): Promise<CapturedQuery> {
  const database = await openDatabase({ url, poolSize: 1 });
  const proto = pg.Pool.prototype as unknown as { query: (...args: unknown[]) => Promise<unknown> };
  const original = proto.query;
  const seen: CapturedQuery[] = [];
  proto.query = async function (this: unknown, ...args: unknown[]) {
    const config = args[0] as { text?: string; values?: unknown[] } | string;
    const text = typeof config === 'string' ? config : (config.text ?? '');
    // drizzle calls query({ text, … }, params); a plain call may put the values in the config.
    const values = (typeof config === 'string' ? undefined : config.values) ?? (args[1] as unknown[] | undefined) ?? [];
    const result = (await original.apply(this, args)) as { rows: unknown[] };
    let resultBytes = 0;
    for (const row of result.rows) {
      for (const cell of Array.isArray(row) ? row : Object.values(row as object)) {
        if (cell instanceof Uint8Array) resultBytes += cell.byteLength;
        else if (typeof cell === 'string') resultBytes += Buffer.byteLength(cell);
        else if (cell !== null) resultBytes += 8;
      }
    }
    seen.push({ text, values, resultBytes });
    return result;
  };
  try {
    await createCases(database.db).list(accountId, { limit: PAGE, before });
  } finally {
    proto.query = original;
    await database.close();
  }
  const listQuery = seen.find((q) => /order by/i.test(q.text));
  if (!listQuery) throw new Error(`did not capture the list query (saw ${seen.length} queries)`);
  return listQuery;
}

function resultBytes(rows: PageRow[]): number {
  let bytes = 0;
  for (const row of rows) for (const cell of Object.values(row)) bytes += cell instanceof Uint8Array ? cell.byteLength : typeof cell === 'string' ? Buffer.byteLength(cell) : cell === null ? 0 : 8;
  return bytes;
}

/** Median and 99th percentile of one query run serially on one connection for a bounded time. */
async function timeQuery(client: pg.Client, text: string, values: unknown[], seconds: number): Promise<{ n: number; p50: number; p99: number }> {
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end && times.length < 100_000) {
    const t0 = performance.now();
    await client.query(text, values);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: median(times), p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? Number.NaN };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Sort Method'?: string;
  'Sort Space Used'?: number;
  'Index Cond'?: string;
  'Scan Direction'?: string;
  Filter?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

interface Explained {
  text: string;
  summary: string[];
  executionMs: number;
  sorts: Array<{ rows: number; method: string }>;
  /** Rows read from case_wraps by scans (rows × loops), and how. */
  wrapScans: Array<{ how: string; rows: number; loops: number }>;
  caseScans: Array<{ how: string; rows: number; loops: number; removed: number; cond: string }>;
  blocks: number;
}

/** A value as an SQL literal, for EXECUTE (EXPLAIN takes no bind parameters). */
function literal(client: pg.Client, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return client.escapeLiteral(value.toISOString());
  if (typeof value === 'string') return client.escapeLiteral(value);
  throw new Error(`no literal for ${typeof value}`);
}

let prepared = 0;

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a query with its values: prepared, then explained as EXECUTE
 * with a custom plan for these values, as PostgreSQL plans the unnamed statements node-postgres
 * sends. Once to warm the cache, then as text (shown, with its time) and as JSON (read for the
 * summary: rows, loops and buffers are the same in every execution).
 */
async function explain(client: pg.Client, text: string, values: unknown[]): Promise<Explained> {
  const name = `bench_plan_${prepared++}`;
  await client.query('set plan_cache_mode = force_custom_plan');
  await client.query(`prepare ${name} as ${text}`);
  const execute = `execute ${name}(${values.map((v) => literal(client, v)).join(', ')})`;
  await client.query(`explain (analyze, buffers) ${execute}`);
  const plain = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${execute}`);
  const json = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }> }>(
    `explain (analyze, buffers, format json) ${execute}`,
  );
  await client.query(`deallocate ${name}`);
  const top = json.rows[0]?.['QUERY PLAN'][0];
  if (!top) throw new Error('no plan');
  const summary: string[] = [];
  const sorts: Explained['sorts'] = [];
  const wrapScans: Explained['wrapScans'] = [];
  const caseScans: Explained['caseScans'] = [];
  const visit = (node: PlanNode, depth: number) => {
    const rows = node['Actual Rows'] ?? 0;
    const loops = node['Actual Loops'] ?? 1;
    const direction = node['Scan Direction'] === 'Backward' ? ' Backward' : '';
    const how = `${node['Node Type']}${direction}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}${node['Relation Name'] ? ` on ${node['Relation Name']}` : ''}`;
    const removed = node['Rows Removed by Filter'] ?? 0;
    if (node['Relation Name'] === 'case_wraps') wrapScans.push({ how, rows, loops });
    if (node['Relation Name'] === 'cases') caseScans.push({ how, rows, loops, removed: removed * loops, cond: node['Index Cond'] ?? node.Filter ?? '' });
    if (node['Node Type'] === 'Sort') sorts.push({ rows, method: `${node['Sort Method'] ?? '?'}, ${node['Sort Space Used'] ?? '?'} kB` });
    summary.push(
      `${'  '.repeat(depth)}${how}: ${rows} rows × ${loops} loop${loops === 1 ? '' : 's'}${removed ? `, ${removed * loops} removed by filter` : ''}${
        node['Sort Method'] ? ` (${node['Sort Method']})` : ''
      }${node['Relation Name'] === 'cases' && node['Index Cond'] ? `; Index Cond: ${node['Index Cond']}` : ''}${
        node['Relation Name'] === 'cases' && node.Filter ? `; Filter: ${node.Filter}` : ''
      }`,
    );
    for (const child of node.Plans ?? []) visit(child, depth + 1);
  };
  visit(top.Plan, 0);
  const planText = plain.rows.map((r) => r['QUERY PLAN']).join('\n');
  return {
    text: planText,
    summary,
    // Rows and buffers are the same in every execution; the time is the text plan's, shown in full below.
    executionMs: Number(/Execution Time: ([\d.]+) ms/.exec(planText)?.[1] ?? top['Execution Time']),
    sorts,
    wrapScans,
    caseScans,
    blocks: (top.Plan['Shared Hit Blocks'] ?? 0) + (top.Plan['Shared Read Blocks'] ?? 0),
  };
}

// ---------------------------------------------------------------------------------------
// The run

interface Round {
  first: Record<SideName, RunFigures>;
  deep: Record<SideName, RunFigures>;
}

interface QueryTimes {
  app: Record<PageName, { n: number; p50: number; p99: number }>;
  baseline: Record<PageName, { n: number; p50: number; p99: number }>;
  /** The deep page with the row comparison (suggested). */
  rowCompare: { n: number; p50: number; p99: number };
  appBytes: Record<PageName, number>;
  baselineBytes: Record<PageName, number>;
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => `${fixed((performance.now() - t0) / 1000, 0)} s`;
  const scratch = await createScratchDatabase(settings.databaseUrl, 'confidant_bench');
  log(`scratch database ${scratch.name}`);
  const children: ChildServer[] = [];
  try {
    const machine = await describeMachine(scratch.url);
    const database = await openDatabase({ url: scratch.url });
    let seeded: Seeded;
    const env = { BENCH_CHILD_DATABASE_URL: scratch.url };
    const script = fileURLToPath(import.meta.url);
    let baseline: Side;
    let app: Side;
    try {
      await database.migrate();
      // The servers start (loader, imports) while the data goes in: they read nothing of it before the runs.
      const starting = (async () => {
        const baselineServer = await startChildServer('baseline', script, ['serve', 'baseline'], env, { profileDir: settings.profileDir });
        children.push(baselineServer);
        const appServer = await startChildServer('app', script, ['serve', 'app'], env, { profileDir: settings.profileDir });
        children.push(appServer);
        return [baselineServer, appServer] as const;
      })();
      const [servers, data] = await Promise.allSettled([starting, seed(database.db, started)]);
      if (servers.status === 'rejected') throw servers.reason;
      if (data.status === 'rejected') throw data.reason;
      seeded = data.value;
      const [baselineServer, appServer] = servers.value;
      baseline = { name: 'baseline', server: baselineServer, url: `http://127.0.0.1:${baselineServer.port}` };
      app = { name: 'app', server: appServer, url: `http://127.0.0.1:${appServer.port}` };
    } finally {
      await database.close();
    }
    const monitor = new pg.Client({ connectionString: scratch.url });
    // Dropping the scratch database after a failure ends this connection: that must not hide the failure.
    monitor.on('error', () => {});
    await monitor.connect();
    await monitor.query('analyze');
    const sizes = await monitor.query<{ name: string; rows: string; size: string; toast: string }>(
      `select relname as name, reltuples::bigint as rows, pg_size_pretty(pg_total_relation_size(oid)) as size,
         pg_size_pretty(case when reltoastrelid = 0 then 0 else pg_total_relation_size(reltoastrelid) end) as toast
       from pg_class where relname in ('cases', 'case_wraps', 'messages') order by relname`,
    );
    log(`${CASES} cases, ${seeded.wraps} wraps (${seeded.adviserCases} for the measured adviser), ${seeded.messages} messages in ${fixed(seeded.seconds)} s`);
    log(`servers up: baseline :${baseline.server.port}, app :${app.server.port} (${elapsed()})`);

    // What the issue asks for, `?limit=50`, when the app takes it; else the same page by default.
    const probe = await fetch(`${app.url}${LIST_PATH}?limit=${PAGE}`, { headers: { authorization: `Bearer ${seeded.token}` } });
    const limitProbe = { status: probe.status, body: (await probe.text()).slice(0, 300) };
    const withLimit = limitProbe.status === 200;
    log(`GET ${LIST_PATH}?limit=${PAGE} answers ${limitProbe.status}${withLimit ? '' : `: ${limitProbe.body}`}`);

    // Walk all pages of the app once (checks the keyset pagination), keep page n's cursor.
    const walk = await walkPages(app.url, seeded.token, withLimit, seeded.adviserCases);
    const deepPage = Math.min(settings.deepPage, walk.pages);
    const deepCursor = walk.cursors[deepPage - 1] ?? '';
    log(`walked ${walk.pages} pages, ${walk.rows} cases; page ${deepPage} is the deep page (${elapsed()})`);

    // Both sides answer the same JSON for both pages.
    for (const before of [undefined, deepCursor]) {
      const [a, b] = [await getPage(app.url, seeded.token, withLimit, before), await getPage(baseline.url, seeded.token, withLimit, before)];
      if (!isDeepStrictEqual(a.answer, b.answer)) throw new Error(`the baseline's answer differs from the app's (before=${before ?? 'none'})`);
    }
    const paths: Record<PageName, string> = { first: listPath(withLimit), deep: listPath(withLimit, deepCursor) };
    const deepRows = await getPage(app.url, seeded.token, withLimit, deepCursor);
    const deepFirstRank = (deepPage - 1) * PAGE + 1;

    // The queries alone, and their plans.
    const cursor = decodeCursor(deepCursor);
    const appSql: Record<PageName, CapturedQuery> = {
      first: await captureAppQuery(scratch.url, seeded.adviserId, undefined),
      deep: await captureAppQuery(scratch.url, seeded.adviserId, deepCursor),
    };
    const baselineSql: Record<PageName, { text: string; values: unknown[] }> = {
      first: { text: FIRST_PAGE_SQL, values: [seeded.adviserId, PAGE + 1] },
      deep: { text: DEEP_PAGE_SQL, values: [seeded.adviserId, PAGE + 1, cursor.receivedAt, cursor.caseId] },
    };
    const baselineBytes = {
      first: resultBytes((await monitor.query<PageRow>(baselineSql.first.text, baselineSql.first.values)).rows),
      deep: resultBytes((await monitor.query<PageRow>(baselineSql.deep.text, baselineSql.deep.values)).rows),
    };
    // The suggested predicate must give the same page.
    const rowCompare = { text: ROW_COMPARE_DEEP_SQL, values: baselineSql.deep.values };
    const [sameA, sameB] = [await monitor.query(baselineSql.deep.text, baselineSql.deep.values), await monitor.query(rowCompare.text, rowCompare.values)];
    if (!isDeepStrictEqual(sameA.rows, sameB.rows)) throw new Error('the row comparison gives another page than the or-predicate');
    const plans = {
      appDeep: await explain(monitor, appSql.deep.text, appSql.deep.values),
      appFirst: await explain(monitor, appSql.first.text, appSql.first.values),
      baselineDeep: await explain(monitor, baselineSql.deep.text, baselineSql.deep.values),
      rowCompareDeep: await explain(monitor, rowCompare.text, rowCompare.values),
    };
    log(`app's deep-page plan:\n${plans.appDeep.text}`);
    const queryTimes: QueryTimes = {
      app: { first: { n: 0, p50: 0, p99: 0 }, deep: { n: 0, p50: 0, p99: 0 } },
      baseline: { first: { n: 0, p50: 0, p99: 0 }, deep: { n: 0, p50: 0, p99: 0 } },
      rowCompare: { n: 0, p50: 0, p99: 0 },
      appBytes: { first: appSql.first.resultBytes, deep: appSql.deep.resultBytes },
      baselineBytes,
    };
    for (const page of ['first', 'deep'] as const) {
      queryTimes.baseline[page] = await timeQuery(monitor, baselineSql[page].text, baselineSql[page].values, settings.queryLoopSeconds);
      queryTimes.app[page] = await timeQuery(monitor, appSql[page].text, appSql[page].values, settings.queryLoopSeconds);
      if (page === 'deep') queryTimes.rowCompare = await timeQuery(monitor, rowCompare.text, rowCompare.values, settings.queryLoopSeconds);
      log(
        `  query alone, ${page} page: baseline p50 ${fixed(queryTimes.baseline[page].p50, 2)} ms, app p50 ${fixed(queryTimes.app[page].p50, 2)} ms (${elapsed()})`,
      );
    }
    await monitor.end();

    // Load: warm-up, then rounds of baseline and app, first page then deep page.
    log(`warm-up ${settings.warmupSeconds} s each (${elapsed()})`);
    for (const page of ['first', 'deep'] as const) for (const side of [baseline, app]) await measure(side, paths[page], seeded.token, settings.warmupSeconds, scratch.name);
    const rounds: Round[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      log(`round ${r + 1}/${settings.rounds} (${elapsed()})`);
      const round = {} as Round;
      for (const page of ['first', 'deep'] as const) {
        const figures = {} as Round[PageName];
        for (const side of roundOrder(r, baseline, app)) {
          figures[side.name] = await measure(side, paths[page], seeded.token, settings.seconds, scratch.name);
          log(brief(`${page} ${side.name}`, figures[side.name]));
        }
        round[page] = figures;
      }
      rounds.push(round);
    }

    const markdown = report({
      started,
      machine,
      seeded,
      sizes: sizes.rows,
      walk,
      deepPage,
      deepFirstRank,
      deepRows: deepRows.answer.cases.length,
      rounds,
      queryTimes,
      appSql,
      plans,
      limitProbe,
      seconds: (performance.now() - t0) / 1000,
    });
    await writeSection(settings.results, 'case-list', markdown);
    log(`\n${markdown}\n\nwritten to ${settings.results} (${elapsed()})`);
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => {});
    await scratch.drop();
  }
}

// ---------------------------------------------------------------------------------------
// The report

interface ReportInput {
  started: Date;
  machine: Machine;
  seeded: Seeded;
  sizes: Array<{ name: string; rows: string; size: string; toast: string }>;
  walk: Walk;
  deepPage: number;
  deepFirstRank: number;
  deepRows: number;
  rounds: Round[];
  queryTimes: QueryTimes;
  appSql: Record<PageName, CapturedQuery>;
  plans: { appDeep: Explained; appFirst: Explained; baselineDeep: Explained; rowCompareDeep: Explained };
  limitProbe: { status: number; body: string };
  seconds: number;
}

function report(input: ReportInput): string {
  const { rounds, machine, seeded, plans, queryTimes } = input;
  type Key = 'rps' | 'p50' | 'p99' | 'mean' | 'serverCpu' | 'postgresCpu' | 'machineBusy' | 'others';
  const med = (page: PageName, side: SideName, key: Key) => median(rounds.map((r) => r[page][side][key]));
  const ratio = (page: PageName) => med(page, 'app', 'rps') / med(page, 'baseline', 'rps');
  const busiest = Math.max(0, ...rounds.flatMap((r) => [r.first.app, r.first.baseline, r.deep.app, r.deep.baseline].map((f) => f.others)).filter(Number.isFinite));
  const problems = rounds.flatMap((r) => [r.first.app, r.first.baseline, r.deep.app, r.deep.baseline]).reduce((n, f) => n + f.non2xx + f.errors + f.timeouts, 0);
  const busy = (f: Pick<RunFigures, 'machineBusy' | 'others'>) => `${fixed(f.machineBusy * 100, 0)}% (${fixed(f.others * 100, 0)}%)`;
  const pageLabel = (page: PageName) => (page === 'first' ? 'first page' : `page ${input.deepPage}`);

  const header = ['run', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', '2xx', 'non-2xx, errors', 'server CPU µs/req', 'PostgreSQL CPU µs/req', 'cores busy (others)'];
  const row = (label: string, f: RunFigures) => [
    label,
    fixed(f.rps),
    fixed(f.p50),
    fixed(f.p99),
    fixed(f.mean, 2),
    String(f.ok),
    String(f.non2xx + f.errors + f.timeouts),
    fixed(f.serverCpu, 0),
    fixed(f.postgresCpu, 0),
    busy(f),
  ];
  const medians = (page: PageName, side: SideName) => [
    `**median ${side}**`,
    `**${fixed(med(page, side, 'rps'))}**`,
    `**${fixed(med(page, side, 'p50'))}**`,
    `**${fixed(med(page, side, 'p99'))}**`,
    `**${fixed(med(page, side, 'mean'), 2)}**`,
    '',
    '',
    fixed(med(page, side, 'serverCpu'), 0),
    fixed(med(page, side, 'postgresCpu'), 0),
    busy({ machineBusy: med(page, side, 'machineBusy'), others: med(page, side, 'others') }),
  ];
  const table = (page: PageName) =>
    markdownTable(header, [
      ...rounds.flatMap((r, i) => [row(`${i + 1} baseline`, r[page].baseline), row(`${i + 1} app`, r[page].app)]),
      medians(page, 'baseline'),
      medians(page, 'app'),
    ]);
  const cpuOf = (page: PageName, side: SideName) => med(page, side, 'serverCpu') + med(page, side, 'postgresCpu');
  const cpuRatio = (page: PageName) => cpuOf(page, 'app') / cpuOf(page, 'baseline');
  const headline = (page: PageName) =>
    `- **${pageLabel(page)}: app p50 ${fixed(med(page, 'app', 'p50'))} ms, p99 ${fixed(med(page, 'app', 'p99'))} ms, mean ${fixed(med(page, 'app', 'mean'), 2)} ms, ${fixed(
      med(page, 'app', 'rps'),
    )} req/s; baseline p50 ${fixed(med(page, 'baseline', 'p50'))} ms, p99 ${fixed(med(page, 'baseline', 'p99'))} ms, ${fixed(med(page, 'baseline', 'rps'))} req/s: app/baseline ${fixed(
      ratio(page),
      2,
    )}× the throughput** (per round: ${rounds.map((r) => `${fixed(r[page].app.rps / r[page].baseline.rps, 2)}×`).join(', ')}), ${fixed(cpuRatio(page), 2)}× its CPU per request.${
      page === 'first' ? ` Target (issue 10) ≥ 0.9× and ≤ 1.15×: **${ratio(page) >= 0.9 && cpuRatio(page) <= 1.15 ? 'met' : 'NOT met'}**.` : ''
    }`;

  // What the plan of the app's deep page does, in words.
  const deep = plans.appDeep;
  const wrapsRead = deep.wrapScans.reduce((n, s) => n + s.rows * s.loops, 0);
  const casesRead = deep.caseScans.reduce((n, s) => n + s.rows * s.loops + s.removed, 0);
  const sorted = deep.sorts.reduce((n, s) => Math.max(n, s.rows), 0);
  const scansAllWraps = wrapsRead >= seeded.adviserCases * 0.9;
  const findings: string[] = [];
  findings.push(
    `- Indexes the app's deep-page plan uses: ${[...new Set([...deep.wrapScans, ...deep.caseScans].map((s) => s.how))].join('; ') || 'none'}. It reads ${wrapsRead} rows of case_wraps and ${casesRead} of cases (filtered ones included) for the ${input.deepRows} it answers${
      sorted ? `, and sorts ${sorted} rows (${deep.sorts.map((s) => s.method).join('; ')})` : ', and sorts nothing'
    }: ${fixed(deep.executionMs, 2)} ms in the executor, ${deep.blocks} shared buffers touched.`,
  );
  if (scansAllWraps && sorted > 0) {
    findings.push(
      `- **The deep page reads all of the adviser's wraps (${seeded.adviserCases}) and sorts them**, whichever page is asked: the cost grows with the adviser's number of cases, not with the page size. The order (cases.received_at, cases.id) lives in a different table than the filter (case_wraps.account_id), so no single index serves both. A fix that needs no change to the query's result: keep received_at on case_wraps too (written with the wrap; cases.received_at never changes) with an index \`case_wraps (account_id, received_at desc, case_id desc)\`, and page on \`(w.received_at, w.case_id) < ($t, $id)\` — a row comparison, which PostgreSQL can use as an index bound where the \`or\` form is only a filter. Until then the list stays correct, only slower per page as an adviser's cases grow.`,
    );
  } else if (deep.caseScans.some((s) => s.removed > 0)) {
    const removed = deep.caseScans.reduce((n, s) => n + s.removed, 0);
    const fixedPlan = plans.rowCompareDeep;
    const fixedRead = fixedPlan.caseScans.reduce((n, s) => n + s.rows * s.loops + s.removed, 0);
    findings.push(
      `- **The keyset cursor is not used as an index bound on the deep page.** The plan walks cases_received backwards from the newest case and applies \`received_at < $t or (received_at = $t and id < $id)\` as a *filter*: it fetches and discards ${removed} cases (every case newer than the cursor, of every adviser and channel) before it reaches page ${input.deepPage}. So page n costs like \`offset\` pagination, O(n × ${PAGE}), and grows with the whole table, not with the page: ${fixed(
        deep.executionMs,
        2,
      )} ms and ${deep.blocks} buffers here against ${fixed(plans.appFirst.executionMs, 2)} ms for the first page. The baseline uses the same predicate (the issue asks for the same keyset), so the load ratio does not show this; the plans and the queries-alone table do.`,
    );
    findings.push(
      `- **Fix (services/cases.ts, no new index needed): write the cursor as a row comparison**, \`(cases.received_at, cases.id) < ($t, $id)\` (in drizzle, an \`sql\` fragment over \`cases.receivedAt\` and \`cases.id\`). It selects the same rows (checked: the same page here) and PostgreSQL turns it into an Index Cond of cases_received, starting the scan at the cursor: ${fixedPlan.summary
        .filter((line) => / on cases/.test(line))
        .map((line) => line.trim())
        .join('; ')}; ${fixedRead} cases read, ${fixed(fixedPlan.executionMs, 2)} ms and ${fixedPlan.blocks} buffers against ${fixed(deep.executionMs, 2)} ms and ${deep.blocks}; serially p50 ${fixed(
        queryTimes.rowCompare.p50,
        2,
      )} ms against ${fixed(queryTimes.baseline.deep.p50, 2)} ms for the same select with the \`or\` form.`,
    );
    findings.push(
      `- Not measured here, but the same plan shape means: the scan follows cases_received over *all* cases and keeps those with a wrap for the adviser, which is cheap for an adviser who holds most cases (A: ${seeded.adviserCases} of ${CASES}; the first page read ${plans.appFirst.caseScans.reduce(
        (n, s) => n + s.rows * s.loops + s.removed,
        0,
      )} cases for 51) and costly for one who holds few of many (the planner may then switch to case_wraps_account and sort all of that adviser's wraps). An index that serves every adviser needs the order in the table that is filtered: received_at copied onto case_wraps (it never changes) with \`create index on case_wraps (account_id, received_at desc, case_id desc)\`, paging on \`(w.received_at, w.case_id) < ($t, $id)\`.`,
    );
  }
  const appPerPage = queryTimes.appBytes.deep;
  const basePerPage = queryTimes.baselineBytes.deep;
  if (appPerPage > basePerPage * 2) {
    findings.push(
      `- **The app's list query selects every column of cases**, the ${4096 + 16}-byte report ciphertext and the reporter's keys and wrap included, which the list answer does not contain: ${fixed(appPerPage / 1024)} KB of column data per page of ${PAGE} against ${fixed(
        basePerPage / 1024,
      )} KB for the columns the answer needs. The ciphertext is stored out of line (TOAST), so every row costs PostgreSQL a TOAST index lookup and reads, and bytea travels as hex text (twice its size): the app receives ~${fixed(
        (2 * appPerPage) / 1024,
        0,
      )} KB per page, decodes it into Buffers, maps it through drizzle and drops it, which the queries-alone table and the server CPU per request show. Selecting only the summary columns in services/cases.ts \`list()\` (as the baseline does) removes this.`,
    );
  }
  if (input.limitProbe.status !== 200) {
    findings.unshift(
      `- **\`GET /api/v1/cases?limit=${PAGE}\` answers ${input.limitProbe.status}**: \`${input.limitProbe.body}\`. A query string value is always text: unless the request validator reads numbers from query strings (ajv \`coerceTypes\` for the querystring), the schema's \`limit: { type: 'integer' }\` refuses every \`limit\`, valid or not, and ConfidantClient.listCases sends it as text. The runs therefore left \`limit\` out and got the default of ${PAGE}: the same page.`,
    );
  }
  findings.push(
    `- Where the app's time goes under load (medians): its process uses ${fixed(med('first', 'app', 'serverCpu'), 0)} µs of CPU per first-page request against ${fixed(
      med('first', 'baseline', 'serverCpu'),
      0,
    )} for the baseline (page ${input.deepPage}: ${fixed(med('deep', 'app', 'serverCpu'), 0)} against ${fixed(med('deep', 'baseline', 'serverCpu'), 0)}), and PostgreSQL ${fixed(
      med('first', 'app', 'postgresCpu'),
      0,
    )} against ${fixed(med('first', 'baseline', 'postgresCpu'), 0)} µs (page ${input.deepPage}: ${fixed(med('deep', 'app', 'postgresCpu'), 0)} against ${fixed(
      med('deep', 'baseline', 'postgresCpu'),
      0,
    )}). On ${machine.cores} cores shared by the server, PostgreSQL and autocannon, CPU per request is what bounds req/s.`,
  );
  const qt = (side: 'app' | 'baseline', page: PageName) => queryTimes[side][page];

  return [
    '## Case list (bench/case-list.ts)',
    '',
    `Run ${input.started.toISOString()} with \`npm run bench:cases\`, ${fixed(input.seconds, 0)} s in all. \`GET ${input.limitProbe.status === 200 ? `/api/v1/cases?limit=${PAGE}` : '/api/v1/cases'}\` (${PAGE} cases a page) for an adviser holding ${seeded.adviserCases} of ${CASES} cases, ${settings.connections} connections.`,
    '',
    headline('first'),
    headline('deep'),
    `- The queries alone (serial, one connection): first page app ${fixed(qt('app', 'first').p50, 2)} ms against baseline ${fixed(qt('baseline', 'first').p50, 2)} ms; page ${input.deepPage} app ${fixed(qt('app', 'deep').p50, 2)} ms against ${fixed(queryTimes.rowCompare.p50, 2)} ms for the baseline's row comparison (which its server runs) and ${fixed(qt('baseline', 'deep').p50, 2)} ms for the same page with an \`or\` predicate (medians).`,
    '',
    '### Machine',
    '',
    `- ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}`,
    `- Node.js ${machine.node}; PostgreSQL ${machine.postgres ?? '?'} on 127.0.0.1 (${machine.postgresSettings ?? ''})`,
    `- Load average at the start: ${machine.loadAverage}. Other processes took up to ${fixed(busiest * 100, 0)}% of the cores during a run.${
      busiest > 0.15
        ? ' **Other work was running on this machine during the benchmark: absolute figures are lower and noisier than on a quiet machine. The ratio compares runs interleaved under the same conditions, but read it with that in mind.**'
        : ''
    }`,
    '',
    '### Data',
    '',
    `- ${CASES} cases on 2 channels (bench-a ~60%, bench-b) with 3 advisers: A serves both channels and is the one measured; B and C each serve one. Every case has a wrap for its channel's adviser; ${seeded.adviserCases} also one for A (${seeded.wraps} wraps in all). receivedAt in whole hours over the past year (${seeded.sharedTimes} of A's cases share their hour with another: the keyset's id tie-break is exercised).`,
    `- Statuses by age: ${Object.entries(seeded.statuses)
      .map(([s, n]) => `${n} ${s.replace('_', ' ')}`)
      .join(', ')}; acknowledged cases have acknowledgedAt 0.2–6 days after receipt. ${seeded.withMessages} cases have 1–3 messages (${seeded.messages} in all; ${1024 + 16}-byte ciphertext); ${seeded.unread} of A's cases are unread for A.`,
    `- Bytes as the protocol makes them: public keys 32, wraps 80, nonces 24, report ciphertext ${4096 + 16} (random, so stored out of line uncompressed, as real ciphertext is). Inserted with drizzle in batches of ${INSERT_BATCH} in ${fixed(seeded.seconds)} s, then \`analyze\`. Table sizes: ${input.sizes.map((s) => `${s.name} ${s.rows} rows, ${s.size} (of which out of line, TOAST: ${s.toast})`).join('; ')}.`,
    `- The adviser's session row was inserted directly (as services/accounts.ts writes it at sign-in: a random 256-bit token, stored as its SHA-256; expires in 30 minutes), instead of signing in through the passphrase flow: the list route authenticates it exactly as any other.`,
    `- Pagination checked: walking the app's pages with \`next\` gives all ${input.walk.rows} of A's cases in ${input.walk.pages} pages, each once, in strictly descending (receivedAt, caseId) order (walk: median ${fixed(median(input.walk.ms), 1)} ms a page, serial). The first page's answer is ${fixed(input.walk.bytes / 1024, 1)} KB of JSON.`,
    '',
    '### Method',
    '',
    `- Both servers run in child processes (the same TypeScript loader) and autocannon (${settings.connections} connections, no pipelining, one bearer token) in the parent; one server is under load at a time. Each has a pg pool of ${POOL_SIZE}.`,
    '- **app**: `buildApp(loadConfig({ LOG_LEVEL: \'info\', POW_DIFFICULTY: \'0\' }), database, { logStream })` with a stream that discards what it gets: helmet headers, JSON schemas (request and response), services, drizzle, info-level request logs formatted. The route authenticates the token (session joined to the account), then runs the list query of services/cases.ts.',
    '- **baseline**: bare Fastify (no logger, no plugins, no schemas) whose route looks the token\'s hash up in staff_sessions joined to staff_accounts (one indexed select, as the app), then runs a plain select of the page: case_wraps for the adviser joined to cases and channels, only the columns the answer needs, `order by c.received_at desc, c.id desc limit 51`, for the deep page with the app\'s own keyset predicate `c.received_at < $t or (c.received_at = $t and c.id < $id)`. It computes the deadlines and `unread` with the same functions and answers the same JSON (checked: deep-equal to the app\'s answer for both pages).',
    `- **pages**: the first page (\`GET ${listPath(input.limitProbe.status === 200)}\`) and page ${input.deepPage} (\`${listPath(input.limitProbe.status === 200, '<cursor>')}\`, cases ${input.deepFirstRank}–${input.deepFirstRank + input.deepRows - 1} of A's ${seeded.adviserCases}, the cursor from the walk).`,
    `- **order**: warm-up ${settings.warmupSeconds} s per page and server, then ${settings.rounds} rounds of: first page, deep page, both sides ${settings.seconds} s each; the baseline runs first in odd rounds, the app in even ones. Figures are autocannon's (latency of 2xx answers). CPU per request: the server process (user + system) and the PostgreSQL backends of the scratch database, divided by completed requests. Cores busy: the whole machine, load generator included; in brackets the share of processes other than the server, PostgreSQL and the load generator.`,
    '',
    '### First page',
    '',
    table('first'),
    '',
    `### Page ${input.deepPage}`,
    '',
    table('deep'),
    '',
    `- Non-2xx answers, socket errors and timeouts over all runs: ${problems}.`,
    '',
    '### The queries alone',
    '',
    `Each query run serially on one connection for ${settings.queryLoopSeconds} s (after the plans below warmed the cache): the app's SQL as captured at the pg pool while services/cases.ts \`list()\` ran, and the baseline's.`,
    '',
    markdownTable(
      ['query', 'runs', 'p50 ms', 'p99 ms', 'column data per page'],
      (['first', 'deep'] as const).flatMap((page) => [
        [`${pageLabel(page)}, baseline`, String(qt('baseline', page).n), fixed(qt('baseline', page).p50, 2), fixed(qt('baseline', page).p99, 2), `${fixed(queryTimes.baselineBytes[page] / 1024)} KB`],
        [`${pageLabel(page)}, app`, String(qt('app', page).n), fixed(qt('app', page).p50, 2), fixed(qt('app', page).p99, 2), `${fixed(queryTimes.appBytes[page] / 1024)} KB`],
        ...(page === 'deep'
          ? [[`${pageLabel(page)}, baseline columns with the row comparison (suggested)`, String(queryTimes.rowCompare.n), fixed(queryTimes.rowCompare.p50, 2), fixed(queryTimes.rowCompare.p99, 2), `${fixed(queryTimes.baselineBytes.deep / 1024)} KB`]]
          : []),
      ]),
    ),
    '',
    `### Plan of the app's query, page ${input.deepPage}`,
    '',
    "The app's SQL for the deep page, as drizzle sends it:",
    '',
    '```sql',
    input.appSql.deep.text,
    '```',
    '',
    'Key lines (rows are actual rows × loops):',
    '',
    '```',
    ...deep.summary,
    `Execution time ${fixed(deep.executionMs, 3)} ms; shared buffers ${deep.blocks}`,
    '```',
    '',
    `First page, same query without the cursor: ${plans.appFirst.summary.map((s) => s.trim()).join(' → ')}; ${fixed(plans.appFirst.executionMs, 3)} ms.`,
    '',
    `Baseline, page ${input.deepPage} (same predicate): ${plans.baselineDeep.summary.map((s) => s.trim()).join(' → ')}; ${fixed(plans.baselineDeep.executionMs, 3)} ms.`,
    '',
    `Suggested, page ${input.deepPage} with \`(c.received_at, c.id) < ($t, $id)\`: ${plans.rowCompareDeep.summary.map((s) => s.trim()).join(' → ')}; ${fixed(plans.rowCompareDeep.executionMs, 3)} ms, ${plans.rowCompareDeep.blocks} buffers.`,
    '',
    '<details><summary>EXPLAIN (ANALYZE, BUFFERS) of the app\'s deep page, in full</summary>',
    '',
    '```',
    deep.text,
    '```',
    '',
    '</details>',
    '',
    '### Findings',
    '',
    ...findings,
  ].join('\n');
}

if (process.argv[2] === 'serve') {
  const url = process.env.BENCH_CHILD_DATABASE_URL ?? '';
  await serveInChild(process.argv[3] === 'app' ? () => serveApp(url) : () => serveBaseline(url));
} else {
  await main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
