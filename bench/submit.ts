/**
 * Submission benchmark (design.md "Performance expectations"): the real app against a bare
 * Fastify + pg baseline, in one run, on a scratch PostgreSQL database.
 *
 *  - Submissions: autocannon POSTs realistic encrypted reports (made with the protocol module,
 *    ~6 KB of JSON each, every one with its own caseId and mailboxId) to
 *    `POST /api/v1/channels/:slug/reports` of the real app and of a baseline route that
 *    JSON-parses the same bytes, decodes the same fields and inserts them in one transaction
 *    into tables shaped like `cases` and `case_wraps`. Each round runs both, baseline first in
 *    odd rounds and app first in even ones; the report gives per-round figures, their medians
 *    and the ratio app/baseline.
 *  - Mailbox reads: reporters' sessions opened through the real challenge/session routes,
 *    then `GET /api/v1/mailbox` at 50 connections on the app and on a baseline route doing
 *    the same queries by hand.
 *
 * Both servers run in child processes (the same loader, the same pool size, one at a time
 * under load); autocannon runs in this process. The figures go to bench/RESULTS.md between
 * `<!-- submit:start -->` and `<!-- submit:end -->`. See bench/README.md.
 *
 * Settings (environment): BENCH_DATABASE_URL, BENCH_SECONDS, BENCH_ROUNDS,
 * BENCH_WARMUP_SECONDS, BENCH_CONNECTIONS, BENCH_READ_SECONDS, BENCH_MAILBOXES, BENCH_RESULTS, and
 * BENCH_PROFILE=<folder> to have both servers write V8 CPU profiles there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import {
  ConfidantClient,
  MESSAGE_BLOCK,
  REPORT_BLOCK,
  decryptRecord,
  encryptRecord,
  fromBase64url,
  isReportPlaintext,
  messageAd,
  ready,
  reportAd,
  sealKey,
  signMailboxLogin,
  toBase64url,
  type MailboxView,
  type ReportPlaintext,
  type SubmitReportRequest,
} from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { acknowledgeBy, feedbackBy } from '../src/protocol/index.js';
import { addAdviser, addChannel } from '../test/fixtures.js';
import {
  createScratchDatabase,
  describeMachine,
  fixed,
  markdownTable,
  measureLoad,
  median,
  serveInChild,
  startChildServer,
  writeSection,
  type ChildServer,
  type LoadOptions,
  type Machine,
  type RunFigures as LoadFigures,
  listenOnLoopback,
  roundOrder,
} from './lib.js';

const SLUG = 'bench';
const SUBMIT_PATH = `/api/v1/channels/${SLUG}/reports`;
const MAILBOX_PATH = '/api/v1/mailbox';
/** The app's pool size (src/server/db/connection.ts); the baseline gets the same. */
const POOL_SIZE = 10;
/** Case keys and their wraps are sealed once per kit and shared by this many kits' worth of reports. */
const KITS = 256;
/** Bodies made before the runs at least, and at most (~6 KB each). */
const MIN_BODIES = 6000;
const MAX_BODIES = 60_000;
/** Issue 10's targets: throughput at least 0.9× the baseline's, CPU per request at most 1.15× its. */
const TARGET = 0.9;
const CPU_TARGET = 1.15;

function setting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

const settings = {
  databaseUrl: process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test',
  seconds: setting('BENCH_SECONDS', 10),
  rounds: setting('BENCH_ROUNDS', 4),
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 5),
  connections: setting('BENCH_CONNECTIONS', 50),
  readSeconds: setting('BENCH_READ_SECONDS', 5),
  mailboxes: setting('BENCH_MAILBOXES', 200),
  results: process.env.BENCH_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url)),
  /** A folder: the servers write V8 CPU profiles to its app/ and baseline/ subfolders. */
  profileDir: process.env.BENCH_PROFILE?.trim() || undefined,
};

// ---------------------------------------------------------------------------------------
// The servers (child processes)

/** The real app as production runs it: info-level request logs (to /dev/null here), helmet, schemas, services. */
async function serveApp(url: string) {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' });
  const database = await openDatabase({ url, poolSize: POOL_SIZE });
  const app = await buildApp(config, database);
  return listenOnLoopback(app, database);
}

const INSERT_CASE = `insert into baseline_cases
  (id, channel_id, mailbox_id, reporter_sign_public_key, reporter_box_public_key, reporter_wrap, report_nonce, report_ciphertext, received_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/**
 * The baseline: bare Fastify (no logger, no plugins, no schemas) and a pg Pool of the app's
 * size. The submission route parses the same JSON, decodes the same fields and inserts them
 * in one transaction; the mailbox route runs the app's queries by hand.
 */
async function serveBaseline(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pool.on('error', () => {});
  const channels = await pool.query<{ slug: string; id: string }>('select slug, id from channels');
  const channelIds = new Map(channels.rows.map((row) => [row.slug, row.id]));
  const bytes = (text: string) => Buffer.from(text, 'base64url');
  const text = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64url');
  const app = Fastify({ logger: false });

  app.post<{ Params: { slug: string }; Body: SubmitReportRequest }>('/api/v1/channels/:slug/reports', async (request, reply) => {
    const body = request.body;
    const channelId = channelIds.get(request.params.slug);
    if (!channelId) return reply.status(404).send({ error: 'unknown_channel', message: 'No such channel.' });
    const now = new Date();
    const wrapValues: unknown[] = [body.caseId, now];
    const wrapRows = body.wraps.map((wrap, i) => {
      wrapValues.push(wrap.keyId, bytes(wrap.wrap));
      return `($1, $${3 + 2 * i}, $${4 + 2 * i}, $2)`;
    });
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(INSERT_CASE, [
        body.caseId,
        channelId,
        body.mailboxId,
        bytes(body.reporterSignPublicKey),
        bytes(body.reporterBoxPublicKey),
        bytes(body.reporterWrap),
        bytes(body.report.nonce),
        bytes(body.report.ciphertext),
        now,
      ]);
      await client.query(`insert into baseline_case_wraps (case_id, account_id, wrap, created_at) values ${wrapRows.join(', ')}`, wrapValues);
      await client.query('commit');
      client.release();
    } catch (error) {
      await client.query('rollback').catch(() => {});
      client.release(true);
      throw error;
    }
    return reply.status(201).send({ caseId: body.caseId, receivedAt: now.toISOString(), acknowledgeBy: acknowledgeBy(now).toISOString() });
  });

  app.get('/api/v1/mailbox', async (request, reply) => {
    const token = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(request.headers.authorization ?? '')?.[1];
    const denied = () => reply.status(401).send({ error: 'not_signed_in', message: 'Open the mailbox with your code first.' });
    if (!token) return denied();
    const hash = createHash('sha256').update(token, 'utf8').digest();
    const session = await pool.query<{ case_id: string }>({ name: 'b_session', text: 'select case_id from mailbox_sessions where token_hash = $1 and expires_at > $2', values: [hash, new Date()] });
    const caseId = session.rows[0]?.case_id;
    if (!caseId) return denied();
    const found = await pool.query({ name: 'b_case', text: 'select * from cases where id = $1', values: [caseId] });
    const row = found.rows[0] as
      | {
          id: string;
          status: string;
          received_at: Date;
          acknowledged_at: Date | null;
          feedback_given_at: Date | null;
          reporter_wrap: Buffer;
          report_nonce: Buffer;
          report_ciphertext: Buffer;
          commitment_key: Buffer | null;
          commitment_signature: Buffer | null;
          commitment_chosen: string | null;
          commitment_excluded: string | null;
        }
      | undefined;
    if (!row) return denied();
    const [messages, relays, files, readers] = await Promise.all([
      pool.query<{ id: string; author: string; sent_at: Date; nonce: Buffer; ciphertext: Buffer; feedback: boolean }>(
        { name: 'b_messages', text: 'select id, author, sent_at, nonce, ciphertext, feedback from messages where case_id = $1 order by seq', values: [caseId] },
      ),
      pool.query<{ id: string; state: string; copy_nonce: Buffer; copy_ciphertext: Buffer }>(
        { name: 'b_relays', text: 'select id, state, copy_nonce, copy_ciphertext from relays where case_id = $1 order by created_at, id', values: [caseId] },
      ),
      pool.query<{ id: string; header_nonce: Buffer; header_ciphertext: Buffer; bytes: number; completed_at: Date | null }>(
        { name: 'b_files', text: 'select id, header_nonce, header_ciphertext, bytes, completed_at from files where case_id = $1 order by created_at, id', values: [caseId] },
      ),
      pool.query<{ account_id: string; display_name: string; granted_by: string | null }>({
        name: 'b_readers',
        text: `select w.account_id, a.display_name, w.granted_by from case_wraps w join staff_accounts a on a.id = w.account_id
          where w.case_id = $1 order by w.created_at, w.account_id`,
        values: [caseId],
      }),
    ]);
    const ids = (list: string | null) => (list ? list.split(',') : []);
    return {
      caseId: row.id,
      status: row.status,
      receivedAt: row.received_at.toISOString(),
      acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
      feedbackBy: feedbackBy(row.received_at, row.acknowledged_at).toISOString(),
      feedbackGivenAt: row.feedback_given_at?.toISOString() ?? null,
      reporterWrap: text(row.reporter_wrap),
      report: { nonce: text(row.report_nonce), ciphertext: text(row.report_ciphertext) },
      messages: messages.rows.map((m) => ({ id: m.id, author: m.author, sentAt: m.sent_at.toISOString(), feedback: m.feedback, nonce: text(m.nonce), ciphertext: text(m.ciphertext) })),
      relays: relays.rows.map((r) => ({ relayId: r.id, state: r.state, copy: { nonce: text(r.copy_nonce), ciphertext: text(r.copy_ciphertext) } })),
      files: files.rows
        .filter((f) => f.completed_at !== null)
        .map((f) => ({ fileId: f.id, header: { nonce: text(f.header_nonce), ciphertext: text(f.header_ciphertext) }, bytes: f.bytes })),
      commitment:
        row.commitment_key === null || row.commitment_signature === null
          ? null
          : { key: text(row.commitment_key), signature: text(row.commitment_signature), chosen: ids(row.commitment_chosen), excluded: ids(row.commitment_excluded) },
      readers: readers.rows.map((r) => ({ keyId: r.account_id, name: r.display_name, granted: r.granted_by !== null })),
    };
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
// Realistic reports

interface Adviser {
  keyId: string;
  boxPublicKey: Uint8Array;
}

interface Reporter {
  signPublicKey: Uint8Array;
  boxPublicKey: Uint8Array;
}

/** A case key with its wraps: what sealing costs the reporter's browser once per report. */
interface Kit {
  caseKey: Uint8Array;
  wraps: Array<{ keyId: string; wrap: string }>;
  reporterWrap: string;
}

function makeKit(advisers: readonly Adviser[], reporter: Reporter): Kit {
  const caseKey = new Uint8Array(randomBytes(32));
  return {
    caseKey,
    wraps: advisers.map((a) => ({ keyId: a.keyId, wrap: sealKey(caseKey, a.boxPublicKey) })),
    reporterWrap: sealKey(caseKey, reporter.boxPublicKey),
  };
}

const paragraph = (n: number) =>
  `Sinds maart ${2020 + (n % 6)} zie ik op de afdeling inkoop dat opdrachten boven de aanbestedingsgrens worden opgeknipt in ` +
  `kleinere bestellingen bij hetzelfde bureau, telkens net onder de drempel. De facturen worden goedgekeurd door dezelfde ` +
  `persoon die de opdracht geeft. Toen ik er in een teamoverleg naar vroeg, werd gezegd dat ik me er niet mee moest bemoeien. `;

/** A report as the web app's form would produce it: about 1.5 KB of answers. */
function reportPlaintext(n: number): ReportPlaintext {
  return {
    v: 1,
    lang: 'nl',
    anonymity: 'anonymous',
    answers: {
      what: paragraph(n) + paragraph(n + 1).slice(0, 300),
      when: `Het begon rond het voorjaar en het gebeurt nog steeds, ongeveer eens per maand (melding ${n}).`,
      where: 'Afdeling inkoop en financiële administratie, hoofdkantoor, tweede verdieping.',
      who: 'Een teamleider inkoop en een externe adviseur van een communicatiebureau; de controller weet ervan.',
      evidence: 'Ik heb de bestelnummers en data genoteerd. De offertes staan in het inkoopsysteem onder hetzelfde projectnummer.',
      reportedBefore: 'Ik heb het mondeling gemeld bij mijn leidinggevende; daar is niets mee gedaan.',
      impact: 'Ik ben bang dat het bekend wordt dat ik dit meld en dat mijn contract dan niet wordt verlengd.',
    },
  };
}

/** A submission body made as the reporter's browser makes it, with this kit's case key and wraps. */
function makeSubmission(kit: Kit, reporter: Reporter, n: number, mailboxId = randomBytes(16).toString('base64url')): SubmitReportRequest {
  const caseId = randomBytes(16).toString('base64url');
  return {
    v: 1,
    caseId,
    mailboxId,
    reporterSignPublicKey: toBase64url(reporter.signPublicKey),
    reporterBoxPublicKey: toBase64url(reporter.boxPublicKey),
    wraps: kit.wraps,
    reporterWrap: kit.reporterWrap,
    report: encryptRecord(kit.caseKey, reportPlaintext(n), reportAd(caseId), REPORT_BLOCK, new Uint8Array(randomBytes(24))),
  };
}

/**
 * Submission bodies, made before the runs. Every run walks the list from the start (its table
 * emptied before), so the app and the baseline receive the same bytes. A run that outruns the
 * list makes more on the spot, which costs load-generator CPU: counted, and reported.
 */
class Bodies {
  readonly items: Buffer[] = [];
  madeDuringRuns = 0;
  constructor(private readonly make: (n: number) => Buffer) {}

  ensure(count: number): void {
    while (this.items.length < count) this.items.push(this.make(this.items.length));
  }

  at(index: number): Buffer {
    if (index >= this.items.length) {
      this.madeDuringRuns += index + 1 - this.items.length;
      this.ensure(index + 1);
    }
    return this.items[index] as Buffer;
  }
}

// ---------------------------------------------------------------------------------------
// Runs

type SideName = 'baseline' | 'app';

interface Side {
  name: SideName;
  server: ChildServer;
  url: string;
  /** The table a submission lands in. */
  table: 'cases' | 'baseline_cases';
  /** Next body this side sends. */
  cursor: number;
}

interface RunFigures extends LoadFigures {
  /** Submissions: rows the run left in the side's table (it starts empty). */
  rows?: number;
}

let scratchName: string | undefined;
const measure = (side: Side, options: LoadOptions): Promise<RunFigures> => measureLoad(side.server, options, { postgresDatabase: scratchName });

function submitOptions(side: Side, bodies: Bodies, seconds: number): LoadOptions {
  return {
    url: side.url,
    connections: settings.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: SUBMIT_PATH,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          request.body = bodies.at(side.cursor++);
          return request;
        },
      },
    ],
  };
}

function readOptions(side: Side, tokens: readonly string[], seconds: number): LoadOptions {
  let next = 0;
  return {
    url: side.url,
    connections: settings.connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: MAILBOX_PATH,
        setupRequest: (request) => {
          request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
          return request;
        },
      },
    ],
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const brief = (name: string, f: RunFigures) =>
  `  ${name.padEnd(9)} ${fixed(f.rps).padStart(7)} req/s  p50 ${fixed(f.p50).padStart(6)} ms  p99 ${fixed(f.p99).padStart(6)} ms  ` +
  `2xx ${f.ok}  non-2xx ${f.non2xx}  errors ${f.errors}  server ${fixed(f.serverCpu, 0)} µs/req  pg ${fixed(f.postgresCpu, 0)} µs/req  ` +
  `busy ${fixed(f.machineBusy * 100, 0)}% (others ${fixed(f.others * 100, 0)}%)${f.rows === undefined ? '' : `  rows ${f.rows}`}`;

/** Creates baseline_cases and baseline_case_wraps shaped like cases and case_wraps: columns, defaults, keys, indexes, foreign keys. */
async function createBaselineTables(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const pairs = [
      ['cases', 'baseline_cases'],
      ['case_wraps', 'baseline_case_wraps'],
    ] as const;
    for (const [source, target] of pairs) {
      await client.query(`create table ${target} (like ${source} including all)`);
      const keys = await client.query<{ def: string }>(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype = 'f' order by conname`, [source]);
      for (const { def } of keys.rows) {
        await client.query(`alter table ${target} add ${def.replace(/REFERENCES (public\.)?cases\(/, 'REFERENCES baseline_cases(')}`);
      }
    }
    // Check the copy: the same number of columns, indexes and constraints of each kind.
    const shape = async (table: string) => {
      const { rows } = await client.query<{ columns: string; indexes: string; p: string; u: string; f: string; c: string }>(
        `select (select count(*) from information_schema.columns where table_name = $1) as columns,
                (select count(*) from pg_indexes where tablename = $1) as indexes,
                count(*) filter (where contype = 'p') as p, count(*) filter (where contype = 'u') as u,
                count(*) filter (where contype = 'f') as f, count(*) filter (where contype = 'c') as c
         from pg_constraint where conrelid = $1::regclass`,
        [table],
      );
      const row = rows[0];
      return `${row?.columns} columns, ${row?.indexes} indexes; constraints: ${row?.p} primary key, ${row?.u} unique, ${row?.f} foreign key, ${row?.c} check`;
    };
    const lines: string[] = [];
    for (const [source, target] of pairs) {
      const [a, b] = [await shape(source), await shape(target)];
      if (a !== b) throw new Error(`${target} is not shaped like ${source}: ${b} against ${a}`);
      lines.push(`\`${target}\` like \`${source}\` (${a})`);
    }
    return lines.join('; ');
  } finally {
    await client.end();
  }
}

interface MailboxCase {
  caseId: string;
  caseKey: Uint8Array;
  token: string;
  messages: number;
}

/** Reporters who submitted through the app, logged in through the challenge/session routes; every other one posted 3 messages. */
async function openMailboxes(appUrl: string, advisers: readonly Adviser[], count: number): Promise<MailboxCase[]> {
  const s = await ready();
  const client = new ConfidantClient({ baseUrl: appUrl });
  const opened: MailboxCase[] = [];
  const one = async (i: number): Promise<MailboxCase> => {
    const sign = s.crypto_sign_keypair();
    const box = s.crypto_box_keypair();
    const reporter = { signPublicKey: sign.publicKey, boxPublicKey: box.publicKey };
    const kit = makeKit(advisers, reporter);
    const body = makeSubmission(kit, reporter, i);
    await client.submitReport(SLUG, body);
    const { challenge } = await client.mailboxChallenge(body.mailboxId);
    const signature = signMailboxLogin(fromBase64url(challenge), sign.privateKey);
    const { token } = await client.openMailboxSession({ mailboxId: body.mailboxId, challenge, signature: toBase64url(signature) });
    const messages = i % 2 === 0 ? 3 : 0;
    for (let m = 0; m < messages; m++) {
      const envelope = encryptRecord(
        kit.caseKey,
        { v: 1, body: `Aanvulling ${m + 1}: ik heb nog twee bestelnummers gevonden die in hetzelfde patroon passen.`, sentAt: new Date().toISOString() },
        messageAd(body.caseId, 'reporter'),
        MESSAGE_BLOCK,
      );
      await client.postMailboxMessage(token, envelope);
    }
    return { caseId: body.caseId, caseKey: kit.caseKey, token, messages };
  };
  for (let i = 0; i < count; i += 10) {
    opened.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => one(i + j)))));
  }
  return opened;
}

// ---------------------------------------------------------------------------------------
// The run

interface Round {
  baseline: RunFigures;
  app: RunFigures;
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => `${fixed((performance.now() - t0) / 1000, 0)} s`;
  const s = await ready();
  const scratch = await createScratchDatabase(settings.databaseUrl, 'confidant_bench');
  log(`scratch database ${scratch.name}`);
  scratchName = scratch.name;
  // Ctrl-C ends the children (same process group); the scratch database must go too.
  process.once('SIGINT', () => void scratch.drop().finally(() => process.exit(130)));
  const children: ChildServer[] = [];
  try {
    const machine = await describeMachine(scratch.url);
    const database = await openDatabase({ url: scratch.url });
    let advisers: Adviser[];
    let tableShape: string;
    try {
      await database.migrate();
      await addChannel(database.db, SLUG, { powDifficulty: 0 });
      advisers = (await Promise.all([addAdviser(database.db, SLUG, 'Adviser A'), addAdviser(database.db, SLUG, 'Adviser B')])).map((a) => ({
        keyId: a.id,
        boxPublicKey: a.boxPublicKey,
      }));
      tableShape = await createBaselineTables(scratch.url);
    } finally {
      await database.close();
    }

    const env = { BENCH_CHILD_DATABASE_URL: scratch.url };
    const start = (name: SideName) =>
      startChildServer(name, fileURLToPath(import.meta.url), ['serve', name], env, { profileDir: settings.profileDir }).then((child) => {
        children.push(child);
        return child;
      });
    const [baselineServer, appServer] = await Promise.all([start('baseline'), start('app')]);
    const baseline: Side = { name: 'baseline', server: baselineServer, url: `http://127.0.0.1:${baselineServer.port}`, table: 'baseline_cases', cursor: 0 };
    const app: Side = { name: 'app', server: appServer, url: `http://127.0.0.1:${appServer.port}`, table: 'cases', cursor: 0 };
    log(`servers up: baseline :${baselineServer.port}, app :${appServer.port} (${elapsed()})`);

    // One reporter key pair for the throughput bodies (the server checks only its length); case keys and wraps from kits.
    const sign = s.crypto_sign_keypair();
    const box = s.crypto_box_keypair();
    const reporter: Reporter = { signPublicKey: sign.publicKey, boxPublicKey: box.publicKey };
    const sealing = performance.now();
    const kits = Array.from({ length: KITS }, () => makeKit(advisers, reporter));
    const sealMs = (performance.now() - sealing) / KITS;
    const bodies = new Bodies((n) => Buffer.from(JSON.stringify(makeSubmission(kits[n % KITS] as Kit, reporter, n))));

    // The same bytes must be accepted by both: one body to each, checked by hand.
    bodies.ensure(MIN_BODIES);
    log(`${bodies.items.length} bodies of ~${Math.round((bodies.items[0]?.length ?? 0) / 100) / 10} KB made (${elapsed()})`);
    const monitor = new pg.Client({ connectionString: scratch.url });
    await monitor.connect();
    for (const side of [baseline, app]) {
      const response = await fetch(side.url + SUBMIT_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.at(0).toString('utf8') });
      const answer = (await response.json()) as Record<string, unknown>;
      if (response.status !== 201 || Object.keys(answer).sort().join() !== 'acknowledgeBy,caseId,receivedAt') {
        throw new Error(`${side.name} did not accept a submission: ${response.status} ${JSON.stringify(answer)}`);
      }
      await monitor.query(`truncate ${side.table} cascade`);
    }

    // Warm-up, then rounds. Every run starts at the first body on an emptied table, so both
    // sides send the same sequence of bytes and find tables of the same size. Between runs the
    // list is topped up from the fastest rate seen so far, so that none is made during a run.
    let fastest = 0;
    const run = async (side: Side, seconds: number) => {
      bodies.ensure(Math.min(MAX_BODIES, Math.max(MIN_BODIES, Math.ceil(fastest * seconds * 2.5) + 2 * settings.connections)));
      side.cursor = 0;
      const figures = await measure(side, submitOptions(side, bodies, seconds));
      fastest = Math.max(fastest, figures.rps);
      // Requests in flight when autocannon stopped still commit: wait until the count settles.
      figures.rows = await settledCount(monitor, side.table);
      await monitor.query(`truncate ${side.table} cascade`);
      return figures;
    };
    log(`warm-up ${settings.warmupSeconds} s each`);
    for (const side of [baseline, app]) log(brief(side.name, await run(side, settings.warmupSeconds)));
    const madeBeforeRounds = bodies.madeDuringRuns;
    const rounds: Round[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      log(`round ${r + 1}/${settings.rounds} (${elapsed()})`);
      const figures = {} as Round;
      for (const side of roundOrder(r, baseline, app)) {
        figures[side.name] = await run(side, settings.seconds);
        log(brief(side.name, figures[side.name]));
      }
      rounds.push(figures);
    }
    const madeDuringRounds = bodies.madeDuringRuns - madeBeforeRounds;
    await monitor.end();

    // Mailbox reads.
    log(`opening ${settings.mailboxes} mailboxes (${elapsed()})`);
    const mailboxes = await openMailboxes(app.url, advisers, settings.mailboxes);
    const tokens = mailboxes.map((m) => m.token);
    const sample = mailboxes.find((m) => m.messages > 0) as MailboxCase;
    const views: Record<SideName, MailboxView> = {} as Record<SideName, MailboxView>;
    for (const side of [baseline, app]) {
      const response = await fetch(side.url + MAILBOX_PATH, { headers: { authorization: `Bearer ${sample.token}` } });
      if (response.status !== 200) throw new Error(`${side.name} mailbox read answered ${response.status}`);
      views[side.name] = (await response.json()) as MailboxView;
    }
    if (!isDeepStrictEqual(views.app, views.baseline)) throw new Error('the baseline mailbox answer differs from the app');
    const opened = decryptRecord(sample.caseKey, views.app.report, reportAd(sample.caseId), REPORT_BLOCK);
    if (!isReportPlaintext(opened) || views.app.messages.length !== sample.messages) throw new Error('the mailbox does not give back what was sent');
    for (const m of views.app.messages) decryptRecord(sample.caseKey, m, messageAd(sample.caseId, 'reporter'), MESSAGE_BLOCK);
    const readBytes = JSON.stringify(views.app).length;

    log(`mailbox reads: warm-up 2 s each, then ${settings.rounds} rounds of ${settings.readSeconds} s (${elapsed()})`);
    for (const side of [baseline, app]) await measure(side, readOptions(side, tokens, 2));
    const reads: Round[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      const figures = {} as Round;
      for (const side of roundOrder(r, baseline, app)) {
        figures[side.name] = await measure(side, readOptions(side, tokens, settings.readSeconds));
        log(brief(side.name, figures[side.name]));
      }
      reads.push(figures);
    }

    const markdown = report({
      started,
      machine,
      tableShape,
      bodyBytes: bodies.items[0]?.length ?? 0,
      bodiesMade: bodies.items.length,
      madeDuringRounds,
      rounds,
      reads,
      readBytes,
      mailboxes,
      wrapsPerCase: advisers.length,
      sealMs,
      seconds: (performance.now() - t0) / 1000,
    });
    await writeSection(settings.results, 'submit', markdown);
    log(`\n${markdown}\n\nwritten to ${settings.results} (${elapsed()})`);
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => {});
    await scratch.drop();
  }
}

/** Rows in `table` once the count stops moving (polled every 250 ms, for at most 10 s). */
async function settledCount(client: pg.Client, table: string): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${table}`);
    const n = Number(rows[0]?.n);
    if (n === last) return n;
    last = n;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return last;
}

// ---------------------------------------------------------------------------------------
// The report

interface ReportInput {
  started: Date;
  machine: Machine;
  tableShape: string;
  bodyBytes: number;
  bodiesMade: number;
  madeDuringRounds: number;
  rounds: Round[];
  reads: Round[];
  readBytes: number;
  mailboxes: MailboxCase[];
  wrapsPerCase: number;
  /** Milliseconds to seal one case key for all recipients with the protocol module here. */
  sealMs: number;
  seconds: number;
}

function report(input: ReportInput): string {
  const { rounds, reads, machine } = input;
  type Key = 'rps' | 'p50' | 'p99' | 'serverCpu' | 'postgresCpu' | 'machineBusy' | 'others';
  const med = (list: Round[], side: SideName, key: Key) => median(list.map((r) => r[side][key]));
  const ratio = med(rounds, 'app', 'rps') / med(rounds, 'baseline', 'rps');
  const roundRatios = rounds.map((r) => r.app.rps / r.baseline.rps);
  const cpu = (side: SideName) => med(rounds, side, 'serverCpu') + med(rounds, side, 'postgresCpu');
  const readRatio = med(reads, 'app', 'rps') / med(reads, 'baseline', 'rps');
  const busiest = Math.max(0, ...[...rounds, ...reads].flatMap((r) => [r.baseline.others, r.app.others]).filter(Number.isFinite));
  const all = (list: Round[]) => list.flatMap((r) => [r.baseline, r.app]);
  const problems = (list: Round[]) => all(list).reduce((n, f) => n + f.non2xx + f.errors + f.timeouts, 0);
  const statuses = (list: Round[], side: SideName) => {
    const counts: Record<string, number> = {};
    for (const r of list) for (const [status, n] of Object.entries(r[side].statuses)) counts[status] = (counts[status] ?? 0) + n;
    return Object.entries(counts)
      .map(([status, n]) => `${n} × ${status}`)
      .join(', ');
  };
  const busy = (f: Pick<RunFigures, 'machineBusy' | 'others'>) => `${fixed(f.machineBusy * 100, 0)}% (${fixed(f.others * 100, 0)}%)`;
  const table = (list: Round[], withRows: boolean) => {
    const header = ['run', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx, errors', ...(withRows ? ['rows'] : []), 'server CPU µs/req', 'PostgreSQL CPU µs/req', 'cores busy (others)'];
    const row = (label: string, f: RunFigures) => [
      label,
      fixed(f.rps),
      fixed(f.p50),
      fixed(f.p99),
      String(f.ok),
      String(f.non2xx + f.errors + f.timeouts),
      ...(withRows ? [String(f.rows ?? '')] : []),
      fixed(f.serverCpu, 0),
      fixed(f.postgresCpu, 0),
      busy(f),
    ];
    const medians = (side: SideName) => [
      `**median ${side}**`,
      `**${fixed(med(list, side, 'rps'))}**`,
      `**${fixed(med(list, side, 'p50'))}**`,
      `**${fixed(med(list, side, 'p99'))}**`,
      '',
      '',
      ...(withRows ? [''] : []),
      fixed(med(list, side, 'serverCpu'), 0),
      fixed(med(list, side, 'postgresCpu'), 0),
      busy({ machineBusy: med(list, side, 'machineBusy'), others: med(list, side, 'others') }),
    ];
    return markdownTable(header, [
      ...list.flatMap((r, i) => [row(`${i + 1} baseline`, r.baseline), row(`${i + 1} app`, r.app)]),
      medians('baseline'),
      medians('app'),
    ]);
  };
  const cpuRatio = cpu('app') / cpu('baseline');
  const met = ratio >= TARGET && cpuRatio <= CPU_TARGET;
  const readCpu = (side: SideName) => med(reads, side, 'serverCpu') + med(reads, side, 'postgresCpu');
  const readCpuRatio = readCpu('app') / readCpu('baseline');
  const readMet = readRatio >= TARGET && readCpuRatio <= CPU_TARGET;
  const withMessages = input.mailboxes.filter((m) => m.messages > 0).length;
  const extra = all(rounds).map((f) => (f.rows ?? 0) - f.ok);

  return [
    '## Report submission (bench/submit.ts)',
    '',
    `Run ${input.started.toISOString()} with \`npm run bench\`, ${fixed(input.seconds, 0)} s in all.`,
    '',
    `**Submissions: the app reached ${fixed(ratio, 2)}× the baseline's median throughput (${fixed(med(rounds, 'app', 'rps'))} against ${fixed(med(rounds, 'baseline', 'rps'))} req/s) with ${fixed(cpuRatio, 2)}× its CPU per request; target ≥ ${TARGET}× and ≤ ${CPU_TARGET}×: ${met ? 'met' : 'NOT met'}.** Per round: ${roundRatios.map((r) => `${fixed(r, 2)}×`).join(', ')}.`,
    '',
    `CPU per submission (server process + PostgreSQL backends, medians of rounds): app ${fixed(cpu('app') / 1000, 2)} ms, baseline ${fixed(cpu('baseline') / 1000, 2)} ms; baseline/app = ${fixed(cpu('baseline') / cpu('app'), 2)}, the throughput ratio to expect where CPU is the limit. This figure moves less than req/s when other work shares the machine.`,
    '',
    `**Mailbox reads (app, ${settings.connections} connections): p50 ${fixed(med(reads, 'app', 'p50'))} ms, p99 ${fixed(med(reads, 'app', 'p99'))} ms, ${fixed(med(reads, 'app', 'rps'))} req/s**; ${fixed(readRatio, 2)}× the baseline's throughput with ${fixed(readCpuRatio, 2)}× its CPU per request (app ${fixed(readCpu('app') / 1000, 2)} ms, baseline ${fixed(readCpu('baseline') / 1000, 2)} ms); target ≥ ${TARGET}× and ≤ ${CPU_TARGET}×: **${readMet ? 'met' : 'NOT met'}**.`,
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
    '### Method',
    '',
    `- Each server runs in a child process of its own, both through the same TypeScript loader (tsx); the load generator, autocannon with ${settings.connections} connections and no pipelining, runs in the parent; one server is under load at a time. A child process per server keeps autocannon off the server's event loop; on ${machine.cores} cores the server, PostgreSQL and autocannon still share the CPUs, equally for both sides. The app and the baseline each have a pg pool of ${POOL_SIZE}, on a scratch database that is dropped afterwards.`,
    '- **app**: `buildApp()` as production builds it: helmet headers, JSON schemas, services, drizzle, info-level request logs (written to /dev/null: formatting and writing included).',
    `- **baseline**: bare Fastify (no logger, no plugins, no schemas) with one route that JSON-parses the same body, base64url-decodes the same fields and inserts them in one transaction (BEGIN, the case row, one multi-row insert of the wraps, COMMIT) into ${input.tableShape}, foreign keys included. It looks the channel id up once at start.`,
    `- **bodies**: ${input.bodiesMade} submission bodies of ~${fixed(input.bodyBytes / 1024, 1)} KB made with the protocol module before the runs. Each has its own caseId, mailboxId and report: a ~1.5 KB Dutch form as JSON, padded to 4096 bytes and sealed with XChaCha20-Poly1305 under its own report AD and nonce, plus ${input.wrapsPerCase} adviser wraps and a reporter wrap. Case keys and their wraps come from ${KITS} kits sealed with \`sealKey\` (sealing took ${fixed(input.sealMs, 1)} ms a report here, reporter's work; the server stores a wrap as opaque bytes either way). One reporter key pair throughout (the server checks its length only).${
      input.madeDuringRounds > 0 ? ` **${input.madeDuringRounds} bodies had to be made during the measured rounds** (the list ran out), taking load-generator CPU.` : ''
    }`,
    '- **same bytes, same tables**: every run starts at the first body, on an emptied table (`truncate` after each run), so the app and the baseline receive the same sequence of bytes and insert into tables of the same size.',
    '- **proof of work**: difficulty 0 on this channel. Proof of work is client work; with it on, the server adds one HMAC, one BLAKE2b hash and one insert of the spent challenge per submission.',
    `- **order**: warm-up ${settings.warmupSeconds} s each, then ${settings.rounds} rounds of ${settings.seconds} s a side; the baseline runs first in odd rounds, the app in even ones. req/s counts 2xx answers per second; latencies are autocannon's (2xx answers). CPU per request: the server process (user + system) and the PostgreSQL backends of the scratch database, divided by completed requests. Cores busy: the whole machine, load generator included; in brackets the share of all other processes (other work on the machine, and PostgreSQL's shared background writers).`,
    '',
    '### Submissions',
    '',
    table(rounds, true),
    '',
    `- Answers: app ${statuses(rounds, 'app')}; baseline ${statuses(rounds, 'baseline')}. Non-2xx answers, socket errors and timeouts over all rounds: ${problems(rounds)}.`,
    `- Rows: each run's table held ${Math.min(...extra) === Math.max(...extra) ? Math.min(...extra) : `${Math.min(...extra)} to ${Math.max(...extra)}`} rows more than the 201 answers counted: requests in flight when autocannon stopped and closed its sockets, which the server still committed (at most ${settings.connections}).${
      Math.min(...extra) < 0 ? ' **Some run has fewer rows than 201 answers: a 201 without a committed row.**' : ' Every 201 has its row.'
    }`,
    '',
    '### Mailbox reads',
    '',
    `${input.mailboxes.length} reporters submitted through the app, opened a session through \`POST /api/v1/mailbox/challenge\` and \`/session\` (Ed25519 signature with a key pair of their own), and ${withMessages} of them posted 3 encrypted messages. Then \`GET /api/v1/mailbox\` with ${settings.connections} connections, each request with the next bearer token; the answer is ~${fixed(input.readBytes / 1024, 1)} KB for a case with messages. The baseline route runs the app's queries by hand as named prepared statements, as the app does (session by token hash, case row, then messages, relays, files and readers in parallel) and answers the same JSON (checked: deep-equal to the app's answer; the report and the messages decrypt with the case key). Warm-up 2 s each, then ${settings.rounds} rounds of ${settings.readSeconds} s each, the order alternating as above.`,
    '',
    table(reads, false),
    '',
    `- Answers: app ${statuses(reads, 'app')}; baseline ${statuses(reads, 'baseline')}. Non-2xx answers, socket errors and timeouts: ${problems(reads)}.`,
  ].join('\n');
}

if (process.argv[2] === 'serve') {
  const url = process.env.BENCH_CHILD_DATABASE_URL ?? '';
  await serveInChild(process.argv[3] === 'app' ? () => serveApp(url) : () => serveBaseline(url));
} else {
  await main();
}
