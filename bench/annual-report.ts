/**
 * The annual report (issue 13, item 6): an adviser's browser fetches, decrypts and counts 10,000
 * registrations. Measured in Debian's Chromium (playwright-core, the bundle of public/assets)
 * from the click on "Jaarverslag maken" until the report's heading is on screen, beside the same
 * work in Node with the same protocol module (StaffSession.periodCases over HTTP against the
 * same server, countPeriod ×2, publishReport), in one run. Target: ≤ 3 s in Chromium.
 *
 *  - Data: one organisation, one channel, one adviser set up through the API with a known
 *    passphrase (setUpAccount). N cases (10,000; `--count`) received over the report's year and
 *    the year before, about half each, each with the adviser's wrap of a fresh case key, the
 *    adviser's own pin of that key and the adviser's sealed copy of it (as StaffSession stores
 *    both when it first accepts a key; docs/protocol.md "Case key copies") and, for ~90%, a
 *    random valid registration record encrypted under the case key. Inserted with drizzle in
 *    batches (data setup, not the code under test); the report ciphertext is random bytes of the
 *    protocol's size (the annual report never opens it).
 *  - The server: buildApp() as production builds it (info logs to /dev/null) in a child
 *    process, on the embedded database (PGlite, fsync on, as `npm start`) by default, or on a
 *    scratch PostgreSQL database with `--postgres[=URL]`. Before the rounds it reads every
 *    page twice (not timed), so that neither side meets a cold server.
 *  - Chromium: every round a fresh browser context signs in through /login (not timed), opens
 *    the annual report, picks the year, waits for the page to have readied its worker
 *    (prepareAnnualReport: the second thread started and warm) and clicks "Jaarverslag maken";
 *    the page's own worker (and its helper thread) does the rest. Times in the page: the
 *    click, the worker's stages (a wrapper around the page's Worker records the messages it
 *    posts and receives), the report's heading in the
 *    DOM (MutationObserver) and two animation frames later (painted). The same page then makes
 *    the report once more ("again": the worker's code warm).
 *  - Node: every round a fresh signIn (not timed), then exactly what the worker's annualReport
 *    handler does; then once more on the same session.
 *  - Rounds: 4 (`--rounds`), Node first in rounds 1, 3, … and Chromium first in rounds 2, 4, ….
 *    The published reports of both sides are compared, and the counts checked against the data.
 *
 * `--short`: 500 cases, 1 round, nothing written. Figures go to bench/RESULTS.md between
 * `<!-- annual-report:start -->` and `<!-- annual-report:end -->` for a full run only (10,000
 * cases, at least 3 rounds), or with `--write`; `--no-write` never writes.
 *
 * Settings (environment): BENCH_DATABASE_URL (the server `--postgres` makes its scratch
 * database beside; default postgres://postgres@127.0.0.1:5432/test), CHROMIUM_PATH
 * (/usr/bin/chromium), BENCH_RESULTS, BENCH_PROFILE_DIR (the server writes V8 CPU profiles there).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  ACTIONS,
  CATEGORIES,
  CONTACT_CHANNELS,
  CONTACT_KINDS,
  ConfidantClient,
  FOLLOW_UP_KINDS,
  OUTCOMES,
  OUTSIDE_SCOPE,
  REFERRALS,
  REGISTRATION_BLOCK,
  REGISTRATION_FORMAT,
  REGISTRATION_PAGE_MAX,
  SOURCES,
  SUPPORT_KINDS,
  SUPPORT_OUTCOMES,
  TRACKS,
  caseKeyCommitment,
  caseKeyCopyKey,
  checkRegistration,
  deriveStaffMaster,
  fromBase64url,
  openKeyBundle,
  ready,
  setUpAccount,
  sealCaseKeyCopy,
  signCasePin,
  signIn,
  type FetchInit,
  type FetchLike,
  type Registration,
  type Support,
  type FollowUp,
} from '../src/protocol/index.js';
import { registrationAd } from '../src/protocol/associated-data.js';
import { encryptRecord, sealKey } from '../src/protocol/envelope.js';
import { countPeriod, previousPeriod, publishReport, type PeriodCase, type PublishedReport } from '../src/protocol/annual-report/aggregate.js';
import { DEFAULT_THRESHOLD } from '../src/protocol/annual-report/suppression.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase, type Database, type Transaction } from '../src/server/db/connection.js';
import { caseWraps, cases, registrations, type CaseStatus } from '../src/server/db/schema.js';
import { createAdministration } from '../src/server/services/administration.js';
import { toHour } from '../src/server/services/coarse-time.js';
import { newId } from '../src/server/tokens.js';
import {
  busyMicros,
  cpuSample,
  createScratchDatabase,
  describeMachine,
  fixed,
  listenOnLoopback,
  markdownTable,
  median,
  processCpuMicros,
  roundOrder,
  serveInChild,
  startChildServer,
  writeSection,
  type ChildServer,
  type CpuSample,
  type Machine,
  type ScratchDatabase,
} from './lib.js';

// ---------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);

/** `--name value` or `--name=value`; `true` for a bare `--name`. */
function option(name: string): string | true | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === `--${name}`) {
      const next = argv[i + 1];
      return next !== undefined && !next.startsWith('--') ? next : true;
    }
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

function wholeOption(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw === true || !Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const short = argv.includes('--short');
const FULL_COUNT = 10_000;
const COUNT = wholeOption('count', short ? 500 : FULL_COUNT);
const ROUNDS = wholeOption('rounds', short ? 1 : 4);
const postgresOption = option('postgres');
const POSTGRES_BASE = typeof postgresOption === 'string' ? postgresOption : postgresOption === true ? process.env.BENCH_DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test' : undefined;
const WRITE = !argv.includes('--no-write') && (argv.includes('--write') || (!short && COUNT === FULL_COUNT && ROUNDS >= 3));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = process.env.BENCH_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../public/assets/worker.js', import.meta.url));
const TARGET_MS = 3000;
/** The share of registrations left out: cases the adviser has not registered yet. */
const UNREGISTERED = 0.1;
const INSERT_BATCH = 500;
const CHANNEL = { slug: 'bench', name: 'Meldpunt Bench', organisation: 'bench-org' };
const ADVISER = { username: 'bench-adviser', displayName: 'Bench Adviser', passphrase: 'een lange wachtwoordzin voor het jaarverslag' };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Longest wait for one report (a slow machine, 10,000 cases). */
const MAKE_TIMEOUT_MS = 300_000;
const DAY_MS = 24 * 3600 * 1000;

const log = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// The data

/** A small seeded generator (mulberry32): every run lays out the same records. */
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

const NOTE_TEXT =
  'Melder belde over aanhoudende opmerkingen van een leidinggevende tijdens het werkoverleg. Besproken welke stappen mogelijk zijn: zelf aanspreken, een gesprek met HR, een informele oplossing via bemiddeling of een formele klacht. Melder wil eerst zelf het gesprek aangaan en komt over twee weken terug. Afgesproken om dan samen te kijken of een vervolgstap nodig is. ';

interface RecordMaker {
  record(receivedAt: Date): Registration;
}

function recordMaker(random: () => number): RecordMaker {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const orNull = <T>(value: T, chance = 0.05): T | null => (random() < chance ? null : value);
  /** 1..max distinct values, in list order. */
  const some = <T>(values: readonly T[], max: number, min = 1): T[] => {
    const n = Math.min(values.length, min + Math.floor(random() * (max - min + 1)));
    const chosen = new Set<T>();
    while (chosen.size < n) chosen.add(pick(values));
    return values.filter((v) => chosen.has(v));
  };
  const day = (at: number) => new Date(at).toISOString().slice(0, 10);
  return {
    record(receivedAt) {
      const start = receivedAt.getTime();
      const track = orNull(pick(TRACKS));
      const actions = some(ACTIONS, 3);
      const support: Support[] = [];
      const steps = random() < 0.35 ? 1 + Math.floor(random() * 2) : 0;
      for (let s = 0; s < steps; s++) {
        const began = start + (1 + random() * 30) * DAY_MS;
        const ended = random() < 0.6 ? began + random() * 60 * DAY_MS : null;
        support.push({ kind: pick(SUPPORT_KINDS), startedOn: day(began), endedOn: ended === null ? null : day(ended), outcome: ended === null ? 'pending' : pick(SUPPORT_OUTCOMES) });
      }
      const followUps: FollowUp[] = [];
      const later = random() < 0.4 ? 1 + Math.floor(random() * 2) : 0;
      for (let f = 0; f < later; f++) followUps.push({ on: day(start + (14 + random() * 120) * DAY_MS), kind: pick(FOLLOW_UP_KINDS), done: random() < 0.6 });
      const record: Registration = {
        v: 1,
        format: REGISTRATION_FORMAT,
        kind: orNull(pick(CONTACT_KINDS)),
        contactBy: orNull(pick(CONTACT_CHANNELS)),
        track,
        categories: track === null ? [] : some(CATEGORIES[track], 2),
        sources: some(SOURCES, 2),
        location: null,
        actions,
        referredTo: actions.includes('referred') ? some(REFERRALS, 2) : [],
        support,
        followUps,
        outsideScope: random() < 0.2 ? some(OUTSIDE_SCOPE, 1) : [],
        minutes: orNull(15 * (1 + Math.floor(random() * 40)), 0.1),
        outcome: orNull(pick(OUTCOMES), 0.1),
        notes: random() < 0.4 ? '' : NOTE_TEXT.repeat(3).slice(0, 40 + Math.floor(random() * 900)),
      };
      // What the form sends is checked the same way before it is encrypted (StaffSession.saveRegistration).
      return checkRegistration(record);
    },
  };
}

/** What the cases are, for the checks and the report. */
interface Seeded {
  /** Cases received in the report's year, and in the year before. */
  current: number;
  previous: number;
  /** Of those, with a registration. */
  currentRegistered: number;
  previousRegistered: number;
  statuses: Record<CaseStatus, number>;
  /** Registration ciphertext sizes (bytes) with their counts. */
  ciphertextSizes: Record<number, number>;
  seconds: number;
}

interface AdviserKeys {
  accountId: string;
  boxPublicKey: Uint8Array;
  signSecretKey: Uint8Array;
  /** caseKeyCopyKey of the adviser's box secret key. */
  copyKey: Uint8Array;
}

/**
 * `count` cases on the channel, alternately in the year before `year` and in `year` up to now
 * (whole hours, as the app keeps receivedAt), each with the adviser's wrap and pin, ~90% with
 * an encrypted registration.
 */
async function seed(db: Database, channelId: string, adviser: AdviserKeys, year: number, now: Date): Promise<Seeded> {
  const t0 = performance.now();
  const random = generator(20_261_306);
  const records = recordMaker(random);
  const yearStart = Date.UTC(year, 0, 1);
  const previousStart = Date.UTC(year - 1, 0, 1);
  const lastHour = now.getTime() - 3600 * 1000;
  const seeded: Seeded = { current: 0, previous: 0, currentRegistered: 0, previousRegistered: 0, statuses: { received: 0, acknowledged: 0, in_progress: 0, closed: 0 }, ciphertextSizes: {}, seconds: 0 };
  for (let start = 0; start < COUNT; start += INSERT_BATCH) {
    const end = Math.min(COUNT, start + INSERT_BATCH);
    const caseRows: Array<typeof cases.$inferInsert> = [];
    const wrapRows: Array<typeof caseWraps.$inferInsert> = [];
    const registrationRows: Array<typeof registrations.$inferInsert> = [];
    const reportBytes = 4096 + 16;
    const ciphertexts = randomBytes((end - start) * reportBytes);
    for (let i = start; i < end; i++) {
      const id = newId();
      const inCurrent = i % 2 === 1;
      const receivedAt = toHour(new Date(inCurrent ? yearStart + random() * (lastHour - yearStart) : previousStart + random() * (yearStart - previousStart)));
      const received = receivedAt.getTime();
      const age = (now.getTime() - received) / DAY_MS;
      const r = random();
      const status: CaseStatus = age < 3 ? (r < 0.7 ? 'received' : 'acknowledged') : r < 0.08 ? 'received' : r < 0.3 ? 'acknowledged' : r < 0.6 ? 'in_progress' : 'closed';
      seeded.statuses[status]++;
      const capped = (at: number) => new Date(Math.min(now.getTime() - 60_000, at));
      // Most acknowledged within the 7 days, some late.
      const acknowledgedAt = status === 'received' ? null : capped(received + (0.1 + random() * (random() < 0.9 ? 6.5 : 14)) * DAY_MS);
      // Feedback for most cases in progress or closed, most within the three months.
      const feedbackGivenAt =
        acknowledgedAt !== null && (status === 'in_progress' || status === 'closed') && random() < 0.8
          ? capped(acknowledgedAt.getTime() + (2 + random() * (random() < 0.85 ? 85 : 150)) * DAY_MS)
          : null;
      const offset = (i - start) * reportBytes;
      caseRows.push({
        id,
        channelId,
        mailboxId: newId(),
        reporterSignPublicKey: randomBytes(32),
        reporterBoxPublicKey: randomBytes(32),
        reporterWrap: randomBytes(80),
        reportNonce: randomBytes(24),
        reportCiphertext: ciphertexts.subarray(offset, offset + reportBytes),
        status,
        receivedAt,
        acknowledgedAt,
        feedbackGivenAt,
      });
      // A fresh case key, sealed to the adviser, pinned by the adviser's own signature and copied under the adviser's copy key.
      const caseKey = new Uint8Array(randomBytes(32));
      const keyCopy = sealCaseKeyCopy(adviser.copyKey, id, caseKey);
      wrapRows.push({
        caseId: id,
        accountId: adviser.accountId,
        wrap: fromBase64url(sealKey(caseKey, adviser.boxPublicKey)),
        createdAt: receivedAt,
        lastReadSeq: 0,
        pin: fromBase64url(signCasePin(id, caseKeyCommitment(caseKey), adviser.signSecretKey)),
        keyCopyNonce: fromBase64url(keyCopy.nonce),
        keyCopyCiphertext: fromBase64url(keyCopy.ciphertext),
      });
      if (inCurrent) seeded.current++;
      else seeded.previous++;
      if (random() >= UNREGISTERED) {
        const envelope = encryptRecord(caseKey, records.record(receivedAt), registrationAd(id), REGISTRATION_BLOCK);
        const ciphertext = fromBase64url(envelope.ciphertext);
        seeded.ciphertextSizes[ciphertext.length] = (seeded.ciphertextSizes[ciphertext.length] ?? 0) + 1;
        registrationRows.push({ caseId: id, nonce: fromBase64url(envelope.nonce), ciphertext, updatedAt: capped(received + random() * 30 * DAY_MS), updatedBy: adviser.accountId });
        if (inCurrent) seeded.currentRegistered++;
        else seeded.previousRegistered++;
      }
      caseKey.fill(0);
    }
    await insertRows(db, caseRows, wrapRows, registrationRows);
  }
  seeded.seconds = (performance.now() - t0) / 1000;
  return seeded;
}

/** One batch in one transaction, without waiting for each commit to reach the disk (a superuser skips the foreign-key triggers: the rows are consistent by construction). */
async function insertRows(
  db: Database,
  caseRows: Array<typeof cases.$inferInsert>,
  wrapRows: Array<typeof caseWraps.$inferInsert>,
  registrationRows: Array<typeof registrations.$inferInsert>,
): Promise<void> {
  await db.transaction(async (tx: Transaction) => {
    const answer = (await tx.execute(sql`select rolsuper from pg_roles where rolname = current_user`)) as unknown as { rows: Array<{ rolsuper: boolean }> };
    if (answer.rows[0]?.rolsuper) await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql`set local synchronous_commit = off`);
    await tx.insert(cases).values(caseRows);
    await tx.insert(caseWraps).values(wrapRows);
    if (registrationRows.length > 0) await tx.insert(registrations).values(registrationRows);
  });
}

// ---------------------------------------------------------------------------------------
// The server

interface Store {
  kind: 'pglite' | 'postgres';
  /** For the child server: DATA_DIR or DATABASE_URL. */
  env: Record<string, string>;
  open(): ReturnType<typeof openDatabase>;
  /** The scratch database, for describeMachine and the drop. */
  scratch?: ScratchDatabase;
  remove(): Promise<void>;
}

async function makeStore(): Promise<Store> {
  if (POSTGRES_BASE) {
    const scratch = await createScratchDatabase(POSTGRES_BASE, 'confidant_bench');
    return { kind: 'postgres', env: { BENCH_CHILD_DATABASE_URL: scratch.url }, open: () => openDatabase({ url: scratch.url }), scratch, remove: () => scratch.drop() };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'confidant-bench-annual-'));
  return { kind: 'pglite', env: { BENCH_CHILD_DATA_DIR: dataDir }, open: () => openDatabase({ dataDir }), remove: () => rm(dataDir, { recursive: true, force: true }) };
}

/** The child process: the app as production runs it (info-level logs to its standard output, which is /dev/null). */
async function serveApp() {
  const url = process.env.BENCH_CHILD_DATABASE_URL;
  const dataDir = process.env.BENCH_CHILD_DATA_DIR;
  const config = loadConfig({ LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...(url ? { DATABASE_URL: url } : { DATA_DIR: dataDir ?? '' }) });
  const database = await openDatabase(url ? { url } : { dataDir });
  await database.migrate();
  const app = await buildApp(config, database);
  return listenOnLoopback(app, database);
}

/** The organisation, channel and adviser (through the API, with the passphrase), then the cases, then analyze. */
async function prepare(store: Store, year: number, now: Date): Promise<{ seeded: Seeded; tables: string }> {
  const database = await store.open();
  try {
    await database.migrate();
    // Load shedding off here only: this process runs the set-up's Argon2id beside the server.
    const config = loadConfig({ LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', MAX_EVENT_LOOP_DELAY_MS: '0', POW_DIFFICULTY: '0' });
    const app = await buildApp(config, database);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    let adviser: AdviserKeys;
    let channelId: string;
    try {
      const admin = createAdministration(database.db, { powDifficulty: 0 });
      await admin.createOrganisation({ slug: CHANNEL.organisation, name: 'Bench B.V.' });
      const channel = await admin.createChannel({ slug: CHANNEL.slug, name: CHANNEL.name, organisation: CHANNEL.organisation });
      channelId = channel.id;
      const invite = await admin.createInvite({ role: 'adviser', channel: CHANNEL.slug });
      const client = new ConfidantClient({ baseUrl });
      const created = await setUpAccount(client, { token: invite.token, username: ADVISER.username, displayName: ADVISER.displayName, passphrase: ADVISER.passphrase });
      // The adviser's secret keys, as signIn opens them: derive, log in, open the key bundle.
      await ready();
      const kdf = await client.prelogin(ADVISER.username);
      const master = await deriveStaffMaster(ADVISER.passphrase, kdf);
      const answer = await client.login({ username: ADVISER.username, authKey: Buffer.from(master.authKey).toString('base64url') });
      const secrets = openKeyBundle(master.wrapKey, answer.account.keyBundle, ADVISER.username);
      adviser = { accountId: created.accountId, boxPublicKey: fromBase64url(answer.account.boxPublicKey), signSecretKey: secrets.signSecretKey, copyKey: caseKeyCopyKey(secrets.boxSecretKey) };
      secrets.boxSecretKey.fill(0);
    } finally {
      await app.close();
    }
    const seeded = await seed(database.db, channelId, adviser, year, now);
    adviser.signSecretKey.fill(0);
    adviser.copyKey.fill(0);
    await database.db.execute(sql`analyze`);
    const sizes = (await database.db.execute(
      sql`select relname as name, pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class where relname in ('cases', 'case_wraps', 'registrations') order by relname`,
    )) as unknown as { rows: Array<{ name: string; size: string }> };
    return { seeded, tables: sizes.rows.map((r) => `${r.name} ${r.size}`).join(', ') };
  } finally {
    await database.close();
  }
}

// ---------------------------------------------------------------------------------------
// Measuring

const yearPeriod = (year: number) => ({ from: new Date(Date.UTC(year, 0, 1)).toISOString(), to: new Date(Date.UTC(year + 1, 0, 1)).toISOString() });

type SideName = 'node' | 'chromium';

interface Make {
  /** Click (Chromium) or call (Node) to the report on screen (Chromium: heading painted) or made (Node), ms. */
  totalMs: number;
  /** Fetching and decrypting every page (the worker's "fetching" stage; periodCases in Node). */
  fetchDecryptMs: number;
  /** Of that, the registration requests from their start to the end of the answer. */
  requestMs: number;
  requests: number;
  /** Node: the answers' JSON, bytes (Chromium: NaN). */
  answerBytes: number;
  /** countPeriod ×2 and publishReport (the worker's "counting" stage, until its result reaches the page). */
  countMs: number;
  /** Chromium: click to the worker's request; result to the heading in the DOM, and to two frames later. */
  clickToWorkerMs: number;
  resultToHeadingMs: number;
  headingToPaintMs: number;
  /** Chromium: from Playwright's click until this process heard that the heading was painted. */
  playwrightMs: number;
  /** CPU of the server process during the make, ms. */
  serverCpuMs: number;
  /** Share of all cores taken by other processes than the server, this process and Chromium, 0–1. */
  others: number;
  report: PublishedReport;
  unread: number;
  /** Node: the counts before suppression (cases and registered, this year and last year). */
  counted?: { current: number; currentRegistered: number; previous: number; previousRegistered: number };
}

interface RoundResult {
  round: number;
  side: SideName;
  /** The first report on a fresh session (what the adviser waits for), then the same again. */
  first: Make;
  again: Make;
}

/** Wraps the CPU accounting around one make. */
async function accounted(server: ChildServer, make: () => Promise<Omit<Make, 'serverCpuMs' | 'others'>>): Promise<Make> {
  const server0 = await server.cpuMicros();
  const chromium0 = processCpuMicros('chromium');
  const machine0: CpuSample = cpuSample();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const made = await make();
  const wall = (performance.now() - t0) * 1000;
  const self = process.cpuUsage(self0);
  const machine1 = cpuSample();
  const chromium1 = processCpuMicros('chromium');
  const server1 = await server.cpuMicros();
  let chromiumMicros = 0;
  for (const [pid, micros] of chromium1) chromiumMicros += micros - (chromium0.get(pid) ?? 0);
  const serverMicros = server1 - server0;
  const others = busyMicros(machine0, machine1) - serverMicros - self.user - self.system - chromiumMicros;
  return { ...made, serverCpuMs: serverMicros / 1000, others: Math.max(0, others) / (wall * os.availableParallelism()) };
}

// ---- Node

/** The global fetch, timing the registration requests until their answer is read. */
function timedFetch(into: { ms: number; count: number; bytes: number }): FetchLike {
  return async (url: string, init: FetchInit) => {
    const t0 = performance.now();
    const response = await fetch(url, init);
    const text = await response.text();
    if (url.includes('/api/v1/registrations')) {
      into.ms += performance.now() - t0;
      into.count++;
      into.bytes += Buffer.byteLength(text);
    }
    return { ok: response.ok, status: response.status, statusText: response.statusText, text: async () => text };
  };
}

async function nodeRound(baseUrl: string, server: ChildServer, year: number): Promise<{ first: Make; again: Make }> {
  const requests = { ms: 0, count: 0, bytes: 0 };
  const client = new ConfidantClient({ baseUrl, fetch: timedFetch(requests) });
  const session = await signIn(client, { username: ADVISER.username, passphrase: ADVISER.passphrase });
  const channels = session.account.channels.map((c) => c.slug);
  const make = () =>
    accounted(server, async () => {
      requests.ms = 0;
      requests.count = 0;
      requests.bytes = 0;
      // What the worker's annualReport handler does (src/web/worker/staff-handlers.ts).
      const t0 = performance.now();
      const period = yearPeriod(year);
      const previous = previousPeriod(period);
      const found: PeriodCase[] = [];
      let unread = 0;
      for (const channel of channels) {
        const page = await session.periodCases({ from: previous.from, to: period.to, channel });
        found.push(...page.cases);
        unread += page.unread;
      }
      const t1 = performance.now();
      const now = new Date();
      const current = countPeriod(found, period, now);
      const before = countPeriod(found, previous, now);
      const report = publishReport(current, before, DEFAULT_THRESHOLD);
      const t2 = performance.now();
      return {
        totalMs: t2 - t0,
        fetchDecryptMs: t1 - t0,
        requestMs: requests.ms,
        requests: requests.count,
        answerBytes: requests.bytes,
        countMs: t2 - t1,
        clickToWorkerMs: Number.NaN,
        resultToHeadingMs: Number.NaN,
        headingToPaintMs: Number.NaN,
        playwrightMs: Number.NaN,
        report,
        unread,
        counted: { current: current.cases, currentRegistered: current.registered, previous: before.cases, previousRegistered: before.registered },
      };
    });
  const first = await make();
  const again = await make();
  return { first, again };
}

/**
 * Before the rounds, not timed: the server reads every page of the period once (its code and
 * the database's cache warm, as on a server in use), without decrypting anything here.
 */
async function warmServer(baseUrl: string, year: number): Promise<{ ms: number; pages: number }> {
  const client = new ConfidantClient({ baseUrl });
  const session = await signIn(client, { username: ADVISER.username, passphrase: ADVISER.passphrase });
  const period = yearPeriod(year);
  const from = previousPeriod(period).from;
  const t0 = performance.now();
  let pages = 0;
  for (let pass = 0; pass < 2; pass++) {
    let after: string | undefined;
    do {
      const page = await client.listRegistrations(session.token, { from, to: period.to, limit: REGISTRATION_PAGE_MAX, ...(after ? { after } : {}) });
      pages++;
      after = page.next ?? undefined;
    } while (after);
  }
  return { ms: performance.now() - t0, pages };
}

// ---- Chromium

/**
 * Runs in every page before its scripts: the page's Worker, wrapped so that the messages it
 * posts and receives are recorded with their time (the worker is the app's own, unchanged).
 */
const WORKER_PROBE = `(() => {
  const marks = (globalThis.__annualMarks = []);
  const Original = globalThis.Worker;
  if (!Original) return;
  globalThis.Worker = class extends Original {
    constructor(url, options) {
      super(url, options);
      this.addEventListener('message', (event) => {
        const m = event.data;
        if (!m || typeof m !== 'object') return;
        marks.push({ at: performance.now(), kind: m.kind, stage: m.stage ?? null, id: m.id });
        if (m.kind === 'result' && m.value && typeof m.value === 'object' && 'report' in m.value && 'unread' in m.value) globalThis.__annualResult = m.value;
        if (m.kind === 'error') globalThis.dispatchEvent(new CustomEvent('annual-probe-error', { detail: m.error && m.error.code }));
      });
    }
    postMessage(message, ...rest) {
      if (message && typeof message === 'object') marks.push({ at: performance.now(), kind: 'request', method: message.method, id: message.id });
      return super.postMessage(message, ...rest);
    }
  };
})();`;

interface PageRun {
  click: number;
  title: number;
  painted: number;
  marks: Array<{ at: number; kind: string; stage: string | null; id: number; method?: string }>;
  result: { report: PublishedReport; unread: number } | null;
}

/** Runs in the page before the click: notes the click and when a new report heading appears, and two frames after it. */
function arm(): void {
  const g = globalThis as unknown as {
    __annualMarks: unknown[];
    __annualResult: unknown;
    __annualRun: { click: number; title: number; painted: number; from: number; done: Promise<void> };
  };
  const old = document.getElementById('annual-title');
  g.__annualResult = null;
  const run = { click: 0, title: 0, painted: 0, from: g.__annualMarks.length, done: Promise.resolve() };
  document.addEventListener(
    'click',
    () => {
      run.click = performance.now();
    },
    { capture: true, once: true },
  );
  run.done = new Promise<void>((resolve, reject) => {
    addEventListener('annual-probe-error', (event) => reject(new Error(`the worker answered with an error: ${String((event as CustomEvent).detail)}`)), { once: true });
    const observer = new MutationObserver(() => {
      const heading = document.getElementById('annual-title');
      if (run.title !== 0 || !heading || heading === old) return;
      run.title = performance.now();
      observer.disconnect();
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          run.painted = performance.now();
          resolve();
        }),
      );
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  g.__annualRun = run;
}

/** Runs in the page after the heading showed: the times and the worker's messages since arm(). */
async function collect(): Promise<PageRun> {
  const g = globalThis as unknown as {
    __annualMarks: PageRun['marks'];
    __annualResult: PageRun['result'];
    __annualRun: { click: number; title: number; painted: number; from: number; done: Promise<void> };
  };
  const run = g.__annualRun;
  await run.done;
  return { click: run.click, title: run.title, painted: run.painted, marks: g.__annualMarks.slice(run.from), result: g.__annualResult };
}

async function signedInPage(browser: Browser, baseUrl: string, year: number) {
  const context = await browser.newContext({ locale: 'nl-NL', baseURL: baseUrl });
  // tsx names functions with an __name helper that a serialised function takes along.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  await context.addInitScript(WORKER_PROBE);
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto('/login');
  const login = page.locator('form').filter({ has: page.getByRole('button', { name: 'Inloggen', exact: true }) });
  await login.getByLabel('Gebruikersnaam').fill(ADVISER.username);
  await login.getByLabel('Wachtwoordzin').fill(ADVISER.passphrase);
  await login.getByRole('button', { name: 'Inloggen', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Meldingen' }).waitFor();
  await page.getByRole('link', { name: 'Jaarverslag maken' }).click();
  await page.getByRole('heading', { level: 1, name: 'Jaarverslag' }).waitFor();
  await page.locator('#annual-year').selectOption(String(year));
  // The page readies the worker's second thread when it opens (prepareAnnualReport); a user
  // choosing a period takes longer than that, so the click comes once it has answered.
  await page.waitForFunction(() => {
    const marks = (globalThis as unknown as { __annualMarks: Array<{ kind: string; method?: string; id: number }> }).__annualMarks;
    const asked = marks.find((m) => m.kind === 'request' && m.method === 'prepareAnnualReport');
    return asked !== undefined && marks.some((m) => m.id === asked.id && (m.kind === 'result' || m.kind === 'error'));
  });
  return { context, page, problems };
}

/** The registration requests Playwright saw finish (the worker's fetches), with their timing. */
function watchRequests(page: Page): { ms: number; count: number; reset(): void } {
  const seen = {
    ms: 0,
    count: 0,
    reset() {
      seen.ms = 0;
      seen.count = 0;
    },
  };
  page.context().on('requestfinished', (request) => {
    if (!request.url().includes('/api/v1/registrations')) return;
    const timing = request.timing();
    if (timing.responseEnd > 0) {
      seen.ms += timing.responseEnd;
      seen.count++;
    }
  });
  return seen;
}

async function chromiumMake(page: Page, requests: ReturnType<typeof watchRequests>, server: ChildServer): Promise<Make> {
  return accounted(server, async () => {
    requests.reset();
    await page.evaluate(arm);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Jaarverslag maken', exact: true }).click();
    let timer: NodeJS.Timeout | undefined;
    const run = await Promise.race([
      page.evaluate(collect),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no report within ${MAKE_TIMEOUT_MS / 1000} s`)), MAKE_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const playwrightMs = performance.now() - t0;
    await page.locator('#annual-title').waitFor({ state: 'visible', timeout: 5000 });
    // Let the last requestfinished events arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const request = run.marks.find((m) => m.kind === 'request' && m.method === 'annualReport');
    if (!request) throw new Error('the page did not call the worker for the annual report');
    const ofCall = run.marks.filter((m) => m.id === request.id);
    const fetching = ofCall.find((m) => m.kind === 'progress' && m.stage === 'fetching')?.at ?? request.at;
    const counting = ofCall.find((m) => m.kind === 'progress' && m.stage === 'counting')?.at ?? Number.NaN;
    const result = ofCall.find((m) => m.kind === 'result' || m.kind === 'error');
    if (!result || result.kind !== 'result' || !run.result) throw new Error('the worker did not answer with a report');
    return {
      totalMs: run.painted - run.click,
      fetchDecryptMs: counting - fetching,
      requestMs: requests.ms,
      requests: requests.count,
      answerBytes: Number.NaN,
      countMs: result.at - counting,
      clickToWorkerMs: request.at - run.click,
      resultToHeadingMs: run.title - result.at,
      headingToPaintMs: run.painted - run.title,
      playwrightMs,
      report: run.result.report,
      unread: run.result.unread,
    };
  });
}

async function chromiumRound(browser: Browser, baseUrl: string, server: ChildServer, year: number): Promise<{ first: Make; again: Make }> {
  const { context, page, problems } = await signedInPage(browser, baseUrl, year);
  try {
    const requests = watchRequests(page);
    const first = await chromiumMake(page, requests, server);
    const again = await chromiumMake(page, requests, server);
    if (problems.length > 0) throw new Error(`page errors: ${problems.join('; ')}`);
    return { first, again };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------
// Checks

/**
 * Every case of both years is counted and every registration opened: Node's counts before
 * suppression equal the seeded ones; a published total that is shown (not hidden by the
 * suppression) equals them too. That Chromium counts the same is checked by comparing reports.
 */
function checkMake(side: SideName, make: Make, seeded: Seeded): string[] {
  const problems: string[] = [];
  for (const [period, expected] of [
    ['current', seeded.current],
    ['previous', seeded.previous],
  ] as const) {
    const shown = make.report[period].cases;
    if (shown.kind === 'count' && shown.value !== expected) problems.push(`${side}: the ${period} period shows ${shown.value} cases, ${expected} seeded`);
  }
  const c = make.counted;
  if (c && (c.current !== seeded.current || c.previous !== seeded.previous || c.currentRegistered !== seeded.currentRegistered || c.previousRegistered !== seeded.previousRegistered)) {
    problems.push(`${side}: counted ${JSON.stringify(c)}, seeded ${JSON.stringify({ current: seeded.current, currentRegistered: seeded.currentRegistered, previous: seeded.previous, previousRegistered: seeded.previousRegistered })}`);
  }
  if (make.unread !== 0) problems.push(`${side}: ${make.unread} registrations did not open`);
  return problems;
}

// ---------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
  if (!existsSync(BUNDLE)) throw new Error('public/assets/worker.js is missing: run npm run build first');
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => `${fixed((performance.now() - t0) / 1000, 0)} s`;
  const year = started.getUTCFullYear();
  const loadAtStart = os.loadavg().map((n) => n.toFixed(2)).join(', ');
  log(`annual report bench: ${COUNT} cases, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, ${POSTGRES_BASE ? 'PostgreSQL' : 'PGlite'}; load average ${loadAtStart}`);
  const store = await makeStore();
  let server: ChildServer | undefined;
  let browser: Browser | undefined;
  try {
    const { seeded, tables } = await prepare(store, year, started);
    log(`seeded ${COUNT} cases (${seeded.previous} in ${year - 1}, ${seeded.current} in ${year}; ${seeded.previousRegistered + seeded.currentRegistered} registered) in ${fixed(seeded.seconds)} s; ${tables} (${elapsed()})`);
    server = await startChildServer('app', fileURLToPath(import.meta.url), ['serve'], store.env, { profileDir: process.env.BENCH_PROFILE_DIR?.trim() || undefined });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const warm = await warmServer(baseUrl, year);
    log(`server :${server.port} warmed (${warm.pages} pages read in ${fixed(warm.ms, 0)} ms), Chromium ${browser.version()} (${elapsed()})`);

    const rounds: RoundResult[] = [];
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of roundOrder<SideName>(round, 'node', 'chromium')) {
        const made = side === 'node' ? await nodeRound(baseUrl, server, year) : await chromiumRound(browser, baseUrl, server, year);
        rounds.push({ round: round + 1, side, ...made });
        problems.push(...checkMake(side, made.first, seeded), ...checkMake(side, made.again, seeded));
        log(
          `round ${round + 1}/${ROUNDS} ${side.padEnd(8)}: ${fixed(made.first.totalMs, 0)} ms (fetch+decrypt ${fixed(made.first.fetchDecryptMs, 0)}, of which requests ${fixed(made.first.requestMs, 0)} in ${made.first.requests}; count ${fixed(made.first.countMs, 0)}${
            side === 'chromium' ? `; result→heading painted ${fixed(made.first.resultToHeadingMs + made.first.headingToPaintMs, 0)}` : ''
          }); again ${fixed(made.again.totalMs, 0)} ms; others ${fixed(made.first.others * 100, 0)}% (${elapsed()})`,
        );
      }
    }
    // Both sides publish the same report (the same module, the same data).
    const node = rounds.find((r) => r.side === 'node');
    const browserRun = rounds.find((r) => r.side === 'chromium');
    const sameReport = node !== undefined && browserRun !== undefined && isDeepStrictEqual(JSON.parse(JSON.stringify(node.first.report)), browserRun.first.report);
    if (!sameReport) problems.push('the published reports of Node and Chromium differ (a deadline may have passed between them; look at the tables)');
    for (const p of problems) log(`CHECK: ${p}`);

    const machine = await describeMachine(store.scratch?.url);
    const summary = report({ started, seconds: (performance.now() - t0) / 1000, rounds, seeded, tables, year, machine, loadAtStart, chromiumVersion: browser.version(), problems, sameReport, store: store.kind });
    log('');
    log(headline(rounds).join('\n'));
    if (WRITE) {
      await writeSection(RESULTS, 'annual-report', summary);
      log(`written to ${RESULTS}`);
    } else {
      log(`not written to RESULTS.md (${short ? '--short' : argv.includes('--no-write') ? '--no-write' : `not a full run: --count ${COUNT}, --rounds ${ROUNDS}`}; --write writes anyway)`);
    }
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await store.remove().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------
// The report

const seconds = (ms: number) => `${fixed(ms / 1000, 2)} s`;
const msText = (ms: number) => (Number.isFinite(ms) ? `${fixed(ms, 0)} ms` : '–');

/** The numeric figures of a make. */
type TimedKey = Exclude<keyof Make, 'report' | 'unread' | 'counted'>;

function medianOf(rounds: RoundResult[], side: SideName, which: 'first' | 'again', key: TimedKey): number {
  return median(rounds.filter((r) => r.side === side).map((r) => r[which][key]));
}

function headline(rounds: RoundResult[]): string[] {
  const browserMs = medianOf(rounds, 'chromium', 'first', 'totalMs');
  const nodeMs = medianOf(rounds, 'node', 'first', 'totalMs');
  return [
    `Chromium: median ${seconds(browserMs)} from the click to the report on screen; target ≤ ${seconds(TARGET_MS)}: ${browserMs <= TARGET_MS ? 'met' : 'NOT met'}`,
    `Node:     median ${seconds(nodeMs)} for the same work; Chromium ÷ Node ${fixed(browserMs / nodeMs, 2)}×`,
    `Again on the same page / session: Chromium ${seconds(medianOf(rounds, 'chromium', 'again', 'totalMs'))}, Node ${seconds(medianOf(rounds, 'node', 'again', 'totalMs'))}`,
  ];
}

function report(input: {
  started: Date;
  seconds: number;
  rounds: RoundResult[];
  seeded: Seeded;
  tables: string;
  year: number;
  machine: Machine;
  loadAtStart: string;
  chromiumVersion: string;
  problems: string[];
  sameReport: boolean;
  store: Store['kind'];
}): string {
  const { rounds, seeded, machine } = input;
  const med = (side: SideName, key: TimedKey, which: 'first' | 'again' = 'first') => medianOf(rounds, side, which, key);
  const browserMs = med('chromium', 'totalMs');
  const nodeMs = med('node', 'totalMs');
  const ratio = (key: TimedKey, which: 'first' | 'again' = 'first') => {
    const n = med('node', key, which);
    return n > 0 ? `${fixed(med('chromium', key, which) / n, 2)}×` : '–';
  };
  const busiest = Math.max(0, ...rounds.flatMap((r) => [r.first.others, r.again.others]).filter(Number.isFinite));
  const registered = seeded.currentRegistered + seeded.previousRegistered;
  const sizes = Object.entries(seeded.ciphertextSizes)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([size, n]) => `${n} × ${size} bytes`)
    .join(', ');
  const stageRows = (which: 'first' | 'again'): string[][] => [
    [`**whole: ${which === 'first' ? 'click → report on screen (Chromium), call → report made (Node)' : 'the same again'}**`, `**${msText(med('chromium', 'totalMs', which))}**`, `**${msText(med('node', 'totalMs', which))}**`, ratio('totalMs', which)],
    ['fetch + decrypt (every page of registrations: unseal, verify the pin, decrypt, check)', msText(med('chromium', 'fetchDecryptMs', which)), msText(med('node', 'fetchDecryptMs', which)), ratio('fetchDecryptMs', which)],
    ['… of which the requests (start → answer read; the server and the network)', msText(med('chromium', 'requestMs', which)), msText(med('node', 'requestMs', which)), ratio('requestMs', which)],
    ['count + publish (countPeriod ×2, publishReport; Chromium: until the result reaches the page)', msText(med('chromium', 'countMs', which)), msText(med('node', 'countMs', which)), ratio('countMs', which)],
    ['click → the worker has the request', msText(med('chromium', 'clickToWorkerMs', which)), '', ''],
    ['result → heading in the page (render)', msText(med('chromium', 'resultToHeadingMs', which)), '', ''],
    ['heading → two frames later (painted)', msText(med('chromium', 'headingToPaintMs', which)), '', ''],
    ['server CPU during it', msText(med('chromium', 'serverCpuMs', which)), msText(med('node', 'serverCpuMs', which)), ''],
  ];
  const roundRow = (r: RoundResult) => [
    `${r.round} ${r.side}`,
    msText(r.first.totalMs),
    msText(r.first.fetchDecryptMs),
    `${msText(r.first.requestMs)} (${r.first.requests})`,
    msText(r.first.countMs),
    r.side === 'chromium' ? msText(r.first.resultToHeadingMs + r.first.headingToPaintMs) : '',
    r.side === 'chromium' ? msText(r.first.playwrightMs) : '',
    msText(r.again.totalMs),
    `${fixed(r.first.others * 100, 0)}%`,
  ];
  return [
    '## Annual report (bench/annual-report.ts)',
    '',
    `Run ${input.started.toISOString()} with \`npm run bench:annual\`, ${fixed(input.seconds, 0)} s in all: the annual report ${input.year} (and ${input.year - 1} beside it) over ${COUNT} cases of one adviser, ${rounds.length / 2} round${rounds.length === 2 ? '' : 's'} a side, the app on ${input.store === 'pglite' ? 'the embedded database (PGlite, as `npm start`)' : `PostgreSQL ${machine.postgres ?? ''}`} in its own process.`,
    '',
    `- **Chromium ${input.chromiumVersion} (headless): median ${seconds(browserMs)} from the click on "Jaarverslag maken" to the report on screen** (fetch, decrypt, count, render; a fresh signed-in page each round); target ≤ ${seconds(TARGET_MS)}: **${browserMs <= TARGET_MS ? 'met' : 'NOT met'}**.`,
    `- **Node ${machine.node}, the same work with the same protocol module: median ${seconds(nodeMs)}; Chromium ÷ Node ${fixed(browserMs / nodeMs, 2)}×.**`,
    `- The same report again on the same page (the worker's code warm): Chromium ${seconds(med('chromium', 'totalMs', 'again'))}, Node ${seconds(med('node', 'totalMs', 'again'))}.`,
    `- Checks: Node counts ${seeded.current} cases in ${input.year} (${seeded.currentRegistered} registered) and ${seeded.previous} in ${input.year - 1} (${seeded.previousRegistered}), as seeded, and neither side leaves a registration unread: ${input.problems.filter((p) => !p.startsWith('the published')).length === 0 ? 'yes' : '**no**'}; Node and Chromium publish the same report: ${input.sameReport ? 'yes' : '**no**'}.${
      input.problems.length > 0 ? ` Problems: ${input.problems.join('; ')}.` : ''
    }`,
    '',
    '### Where the time goes (medians)',
    '',
    markdownTable(['', 'Chromium', 'Node', 'Chromium ÷ Node'], [...stageRows('first'), ...stageRows('again').slice(0, 4)]),
    '',
    '### Rounds',
    '',
    markdownTable(['round', 'whole', 'fetch + decrypt', 'requests (n)', 'count + publish', 'render + paint', 'seen by Playwright', 'again', 'others busy'], rounds.map(roundRow)),
    '',
    '### Data',
    '',
    `- One organisation, one channel, one adviser (set up through the API with a passphrase, as an invite does). ${COUNT} cases, whole hours: ${seeded.previous} spread over ${input.year - 1} and ${seeded.current} over ${input.year} until the hour before the run; statuses ${Object.entries(seeded.statuses)
      .map(([s, n]) => `${n} ${s.replace('_', ' ')}`)
      .join(', ')}, with acknowledgement and feedback dates mostly within their deadlines.`,
    `- Each case: the adviser's wrap of a fresh case key (sealed box) and the adviser's pin of it (an Ed25519 signature, as StaffSession writes it when it accepts a key). ${registered} (${fixed((registered / COUNT) * 100, 0)}%) have a registration: a random valid record (kind, channel, track and categories, sources, actions and referrals, support steps, follow-ups, minutes, outcome; notes empty or up to ~900 characters), checked with checkRegistration and encrypted with encryptRecord under the case key (${sizes}). The report ciphertext is random bytes of the protocol's size (4112 bytes): the annual report never opens it.`,
    `- Inserted with drizzle in batches of ${INSERT_BATCH} in ${fixed(seeded.seconds)} s (making the keys, wraps, pins and records included), then \`analyze\`. Table sizes: ${input.tables}.`,
    '',
    '### Method',
    '',
    `- The server: \`buildApp()\` as production builds it (info-level logs to /dev/null) in a child process, ${input.store === 'pglite' ? 'on PGlite with fsync on' : 'on a scratch PostgreSQL database'}; both sides send their requests to it, one side at a time. Each report reads \`GET /api/v1/registrations\` for ${input.year - 1}-01-01 … ${input.year + 1}-01-01 in pages of ${REGISTRATION_PAGE_MAX} (${Math.ceil(COUNT / REGISTRATION_PAGE_MAX)} request${Math.ceil(COUNT / REGISTRATION_PAGE_MAX) === 1 ? '' : 's'}, ${fixed(med('node', 'answerBytes') / 2 ** 20, 1)} MiB of JSON in all). Before the rounds the server read every page twice (not timed), so that neither side meets a cold server.`,
    '- **Chromium**: each round a fresh browser context signs in through `/login` (Argon2id in the worker; not timed), follows the inbox\'s link to the annual report, picks the year, waits until the page has readied the worker (its `prepareAnnualReport` call, made when the page opens, has answered: the worker\'s second thread is started and both threads have opened 256 made-up cases, as they do while a user chooses the period) and clicks "Jaarverslag maken" (Playwright); the app\'s own page and worker do the rest. Timed in the page: the click (a capture listener), the worker\'s request, its "fetching" and "counting" stages and its result (a wrapper around the page\'s `Worker` records the messages the worker sends and receives, with their time; the worker itself is unchanged), the report\'s heading `#annual-title` entering the page (MutationObserver) and two animation frames after that (painted). The charts draw after the heading and are not in the figure. The request times are Playwright\'s timing of the worker\'s requests (start to the end of the answer). Then the same page makes the report again.',
    `- **Node**: each round a fresh \`signIn\` (not timed), then what the worker's \`annualReport\` handler does, in this process: \`StaffSession.periodCases({ from, to, channel })\` for [${input.year - 1}-01-01, ${input.year + 1}-01-01) per channel of the account, over HTTP to the same server (Node's fetch), opening every page on this one thread (the browser's worker splits each page with its helper thread), then \`countPeriod\` for both years and \`publishReport\` (threshold ${DEFAULT_THRESHOLD}); then the same again on the same session. The request times are from a fetch wrapper (call to the answer's text read).`,
    `- Order: Node first in rounds 1, 3, …, Chromium first in rounds 2, 4, …. "others busy": the share of the cores taken by processes other than the server, this process and Chromium during the first report of the round.`,
    '',
    '### Machine',
    '',
    `- ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}; Node.js ${machine.node}${machine.postgres ? `; PostgreSQL ${machine.postgres} (${machine.postgresSettings ?? ''})` : ''}.`,
    `- Load average at the start: ${input.loadAtStart}; at the end: ${machine.loadAverage}. Other processes took up to ${fixed(busiest * 100, 0)}% of the cores during a report.${
      busiest > 0.15 ? ' **NOT quiet: other work ran on this machine during the benchmark; absolute figures are higher and noisier than on a quiet machine.**' : ''
    }`,
  ].join('\n');
}

if (argv[0] === 'serve') {
  await serveInChild(serveApp);
} else {
  await main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
