/**
 * Soak under faults (the review's "Suites to keep", 10. Load and faults): two instances of the
 * real app, each in a child process, share one scratch PostgreSQL database while N reporters
 * submit realistic encrypted reports, log into their mailboxes through the challenge/session
 * routes, post messages and read the mailbox, alternating between the instances. Mid-run one
 * instance is killed with SIGKILL (and a replacement started), and PostgreSQL is stopped and
 * started again. Afterwards every acknowledged submission and message is looked up in the
 * database and through the mailbox, every answer is accounted for, and recovery is timed.
 *
 * By default PostgreSQL is a private cluster made for the run (initdb into a temporary folder,
 * 127.0.0.1 and a free port), removed at the end: the machine's shared server is never restarted.
 * `npm run soak -- --short` is the CI form (50 reporters, 15 s; RESULTS.md untouched). The
 * closing line is `N passed, M failed`; the exit code is 1 when a check failed. See bench/README.md.
 *
 * Settings (environment): SOAK_REPORTERS, SOAK_SECONDS, SOAK_DATABASE_URL, SOAK_RESTART_CMD,
 * SOAK_RESTART_MODE, SOAK_DOWN_MS, SOAK_RECOVERY_SECONDS, SOAK_RESULTS.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  MESSAGE_BLOCK,
  REPORT_BLOCK,
  encryptRecord,
  fromBase64url,
  messageAd,
  ready,
  reportAd,
  sealKey,
  signCaseCommitment,
  signMailboxLogin,
  toBase64url,
  type MailboxView,
  type ReportPlaintext,
  type SubmitReportRequest,
} from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { addAdviser, addChannel } from '../test/fixtures.js';
import {
  busyShare,
  cpuSample,
  createScratchDatabase,
  describeMachine,
  fixed,
  markdownTable,
  processCpuMicros,
  serveInChild,
  startChildServer,
  startPrivateCluster,
  writeSection,
  type ChildServer,
  type CpuSample,
  type PrivateCluster,
  type ScratchDatabase,
  type ShutdownMode,
  listenOnLoopback,
} from './lib.js';

const SLUG = 'soak';
const SUBMIT_PATH = `/api/v1/channels/${SLUG}/reports`;
/** Messages a reporter posts per case, each followed by a read: well under MESSAGES_PER_HOUR (30). */
const MESSAGES_PER_CASE = 3;
/** A request that takes longer than this counts as timed out. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Faults at these shares of the run: late enough for a full burst, early enough to see recovery under load. */
const KILL_AT = 0.25;
const RESTART_AT = 0.5;
/** How long the load goes on at least once both instances are ready again after the restart. */
const AFTER_RECOVERY_MS = 3000;
/** Mailboxes verified at once after the run. */
const VERIFY_CONCURRENCY = 16;

const short = process.argv.includes('--short');

function setting(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

function restartMode(): ShutdownMode {
  const raw = process.env.SOAK_RESTART_MODE?.trim() || 'fast';
  if (raw !== 'fast' && raw !== 'immediate') throw new Error(`SOAK_RESTART_MODE must be fast or immediate, got "${raw}"`);
  return raw;
}

const settings = {
  reporters: setting('SOAK_REPORTERS', short ? 50 : 200),
  seconds: setting('SOAK_SECONDS', short ? 15 : 60),
  /** An existing server to make the scratch database on, instead of a private cluster. */
  databaseUrl: process.env.SOAK_DATABASE_URL?.trim() || undefined,
  /** A shell command that restarts the server of SOAK_DATABASE_URL; without it, no restart fault there. */
  restartCommand: process.env.SOAK_RESTART_CMD?.trim() || undefined,
  restartMode: restartMode(),
  /** How long the private cluster stays down between stop and start. */
  downMs: setting('SOAK_DOWN_MS', 2000),
  recoverySeconds: setting('SOAK_RECOVERY_SECONDS', 20),
  results: process.env.SOAK_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url)),
};

// ---------------------------------------------------------------------------------------
// The instances (child processes)

/** The app as `npm start` runs it on PostgreSQL: production configuration, migrations at start, info logs (to /dev/null). */
async function serveApp(url: string) {
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0' });
  const database = await openDatabase({ url });
  await database.migrate();
  const app = await buildApp(config, database);
  return listenOnLoopback(app, database);
}

// ---------------------------------------------------------------------------------------
// Submissions, made before the clock starts

interface Adviser {
  keyId: string;
  boxPublicKey: Uint8Array;
}

interface Prepared {
  caseId: string;
  mailboxId: string;
  /** The submission's JSON, as the browser sends it. */
  body: string;
  reportNonce: string;
  reportCiphertext: string;
  /** The reporter's login key; the real one is derived from the code (Argon2, too slow to do thousands of times here). */
  signSecretKey: Uint8Array;
  /** Message envelopes' JSON, sealed with the case key. */
  messages: string[];
}

/** A report as the web form makes it: a few hundred bytes of answers, padded to 4 KB when sealed. */
const plaintext = (n: number): ReportPlaintext => ({
  v: 1,
  lang: 'nl',
  anonymity: 'anonymous',
  answers: {
    what:
      `Opdrachten boven de aanbestedingsgrens worden opgeknipt in kleinere bestellingen bij hetzelfde bureau, telkens net onder ` +
      `de drempel; de facturen keurt dezelfde persoon goed die de opdracht geeft (melding ${n}).`,
    when: 'Sinds het voorjaar, ongeveer eens per maand.',
    where: 'Afdeling inkoop, hoofdkantoor.',
    who: 'Een teamleider inkoop en een externe adviseur.',
    evidence: 'Bestelnummers en data genoteerd; de offertes staan in het inkoopsysteem.',
  },
});

function prepare(s: Awaited<ReturnType<typeof ready>>, advisers: readonly Adviser[], n: number): Prepared {
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  const caseId = randomBytes(16).toString('base64url');
  const mailboxId = randomBytes(16).toString('base64url');
  const caseKey = new Uint8Array(randomBytes(32));
  const report = encryptRecord(caseKey, plaintext(n), reportAd(caseId), REPORT_BLOCK);
  const body: SubmitReportRequest = {
    v: 1,
    caseId,
    mailboxId,
    reporterSignPublicKey: toBase64url(sign.publicKey),
    reporterBoxPublicKey: toBase64url(box.publicKey),
    wraps: advisers.map((a) => ({ keyId: a.keyId, wrap: sealKey(caseKey, a.boxPublicKey) })),
    reporterWrap: sealKey(caseKey, box.publicKey),
    report,
    commitment: signCaseCommitment({ caseId, caseKey, chosen: advisers.map((a) => a.keyId), excluded: [] }, sign.privateKey),
  };
  const messages = Array.from({ length: MESSAGES_PER_CASE }, (_, m) =>
    JSON.stringify(
      encryptRecord(
        caseKey,
        { v: 1, body: `Aanvulling ${m + 1}: nog twee bestelnummers in hetzelfde patroon.`, sentAt: new Date().toISOString() },
        messageAd(caseId, 'reporter'),
        MESSAGE_BLOCK,
      ),
    ),
  );
  return { caseId, mailboxId, body: JSON.stringify(body), reportNonce: report.nonce, reportCiphertext: report.ciphertext, signSecretKey: sign.privateKey, messages };
}

// ---------------------------------------------------------------------------------------
// Requests and their outcomes

type Route = 'submit' | 'challenge' | 'session' | 'message' | 'read';
const ROUTES: readonly Route[] = ['submit', 'challenge', 'session', 'message', 'read'];

interface Outcome {
  route: Route;
  slot: number;
  /** 0 for the instance started first in its slot, 1 for its replacement. */
  generation: number;
  /** Milliseconds since the load started. */
  start: number;
  end: number;
  /** 0 when no answer came (socket error or timeout). */
  status: number;
  /** The answer's `error` code for 5xx, or the socket error's code. */
  error?: string;
  /** A 409 for a submission retried after an answer was lost: the first attempt had stored it. */
  expected?: boolean;
}

interface Slot {
  server: ChildServer;
  url: string;
  generation: number;
  inFlight: number;
}

interface Answer {
  status: number;
  json: unknown;
  outcome: Outcome;
}

let t0 = 0;
const now = () => performance.now() - t0;

/** Alternates instance by instance, so that a session opened on one is used on the other. */
class Client {
  constructor(
    private readonly slots: Slot[],
    private readonly log: Outcome[],
    private turn: number,
  ) {}

  async send(route: Route, method: 'GET' | 'POST', path: string, body?: string, token?: string): Promise<Answer> {
    const index = this.turn++ % this.slots.length;
    const slot = this.slots[index] as Slot;
    const outcome: Outcome = { route, slot: index, generation: slot.generation, start: now(), end: 0, status: 0 };
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let json: unknown = null;
    slot.inFlight++;
    try {
      const response = await fetch(slot.url + path, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await response.text();
      outcome.status = response.status;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        json = null;
      }
      if (response.status >= 500) outcome.error = (json as { error?: string } | null)?.error ?? 'no_error_code';
    } catch (error) {
      outcome.error = socketError(error);
    } finally {
      slot.inFlight--;
      outcome.end = now();
      this.log.push(outcome);
    }
    return { status: outcome.status, json, outcome };
  }
}

/** fetch wraps the socket's error in `cause`: its code (ECONNREFUSED, UND_ERR_SOCKET…) says what happened. */
function socketError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
  return String(cause?.code ?? cause?.name ?? (error as Error).name);
}

/** No answer, or the database was unavailable: the outcome is unknown, so the step is tried again. */
const transient = (a: Answer) => a.status === 0 || (a.status === 503 && a.outcome.error === 'database_unavailable');
const pause = () => sleep(100 + Math.random() * 200);

// ---------------------------------------------------------------------------------------
// Reporters

/** A case a reporter reached the mailbox of, with what the server acknowledged. */
interface Case {
  prepared: Prepared;
  /** The submission was answered 201 (not only stored behind a lost answer). */
  acknowledged: boolean;
  messageIds: string[];
}

interface Tally {
  cases: Case[];
  /** Submissions answered 201. */
  submissions: number;
  messages: number;
  /** Reads during the run that lacked the report or a message acknowledged before them. */
  staleReads: number;
  /** The pool of prepared submissions ran out before the end. */
  poolEmptyAt: number | undefined;
}

async function reporter(client: Client, pool: Prepared[], tally: Tally, running: () => boolean): Promise<void> {
  let lastToken: string | undefined;
  let last: Case | undefined;
  while (running()) {
    const prepared = pool.pop();
    if (!prepared) {
      tally.poolEmptyAt ??= now();
      break;
    }
    const opened = await runCase(client, prepared, tally, running);
    if (opened) [last, lastToken] = opened;
  }
  // Out of prepared submissions: keep reading the last mailbox, so the load stays on.
  while (running() && last && lastToken) {
    const a = await client.send('read', 'GET', '/api/v1/mailbox', undefined, lastToken);
    if (a.status === 200) checkRead(a.json as MailboxView, last, tally);
    else if (transient(a)) await pause();
    else return;
  }
}

/** Submit, log in, then post and read. Returns the case and its session, or nothing when a step was refused. */
async function runCase(client: Client, prepared: Prepared, tally: Tally, running: () => boolean): Promise<[Case, string] | undefined> {
  const entry: Case = { prepared, acknowledged: false, messageIds: [] };
  let uncertain = false;
  for (;;) {
    if (!running()) return undefined;
    const a = await client.send('submit', 'POST', SUBMIT_PATH, prepared.body);
    if (a.status === 201) {
      entry.acknowledged = true;
      tally.submissions++;
      break;
    }
    if (a.status === 409 && uncertain) {
      a.outcome.expected = true;
      break;
    }
    if (!transient(a)) return undefined;
    uncertain = true;
    await pause();
  }
  tally.cases.push(entry);

  const token = await logIn(client, prepared, running);
  if (!token) return undefined;
  for (const message of prepared.messages) {
    for (;;) {
      if (!running()) return undefined;
      const a = await client.send('message', 'POST', '/api/v1/mailbox/messages', message, token);
      if (a.status === 201) {
        entry.messageIds.push((a.json as { id: string }).id);
        tally.messages++;
        break;
      }
      if (!transient(a)) return undefined;
      await pause();
    }
    for (;;) {
      if (!running()) return undefined;
      const a = await client.send('read', 'GET', '/api/v1/mailbox', undefined, token);
      if (a.status === 200) {
        checkRead(a.json as MailboxView, entry, tally);
        break;
      }
      if (!transient(a)) return undefined;
      await pause();
    }
  }
  return [entry, token];
}

/** Challenge, signature, session; a lost answer to either starts over with a new challenge (the old one may be spent). */
async function logIn(client: Client, prepared: Prepared, running: () => boolean): Promise<string | undefined> {
  while (running()) {
    const c = await client.send('challenge', 'POST', '/api/v1/mailbox/challenge', JSON.stringify({ mailboxId: prepared.mailboxId }));
    if (transient(c)) {
      await pause();
      continue;
    }
    if (c.status !== 200) return undefined;
    const challenge = (c.json as { challenge: string }).challenge;
    const signature = toBase64url(signMailboxLogin(fromBase64url(challenge), prepared.signSecretKey));
    const s = await client.send('session', 'POST', '/api/v1/mailbox/session', JSON.stringify({ mailboxId: prepared.mailboxId, challenge, signature }));
    if (s.status === 200) return (s.json as { token: string }).token;
    if (!transient(s)) return undefined;
    await pause();
  }
  return undefined;
}

/** The mailbox must hold the report as sent and every message acknowledged so far. */
function mailboxHolds(view: MailboxView, entry: Case): boolean {
  const ids = new Set(view.messages.map((m) => m.id));
  return (
    view.caseId === entry.prepared.caseId &&
    view.report.ciphertext === entry.prepared.reportCiphertext &&
    view.report.nonce === entry.prepared.reportNonce &&
    entry.messageIds.every((id) => ids.has(id))
  );
}

function checkRead(view: MailboxView, entry: Case, tally: Tally): void {
  if (!mailboxHolds(view, entry)) tally.staleReads++;
}

// ---------------------------------------------------------------------------------------
// Faults

interface KillFault {
  slot: number;
  at: number;
  /** Requests in flight to the instance when it was killed. */
  inFlight: number;
  replacedAt?: number;
}

interface RestartFault {
  at: number;
  inFlight: number;
  /** PostgreSQL stopped (private cluster only). */
  downAt?: number;
  /** PostgreSQL accepts connections again. */
  upAt?: number;
  /** Every instance's /readyz answered 200 again. */
  readyAt?: number;
  error?: string;
}

const inFlight = (slots: Slot[]) => slots.reduce((n, s) => n + s.inFlight, 0);

async function readyEverywhere(slots: Slot[]): Promise<boolean> {
  const answers = await Promise.all(
    slots.map((slot) =>
      fetch(`${slot.url}/readyz`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.status === 200)
        .catch(() => false),
    ),
  );
  return answers.every(Boolean);
}

function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: 120_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

// ---------------------------------------------------------------------------------------
// CPU: was the machine quiet?

/** CPU time of one process so far, in microseconds, from /proc (undefined when it has gone). */
function pidCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Samples the machine and the soak's own processes (this one, the instances, PostgreSQL's)
 * every second; what the machine did beyond them is other work. Processes that end lose at
 * most their last second, so the share of others is an upper bound.
 */
class CpuWatch {
  private first: CpuSample = cpuSample();
  private last: CpuSample = this.first;
  private readonly start = new Map<string, number>();
  private readonly latest = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ours: () => Map<string, number>) {}

  begin(): void {
    this.first = cpuSample();
    for (const [key, micros] of this.ours()) this.start.set(key, micros);
    this.timer = setInterval(() => this.sample(), 1000);
  }

  private sample(): void {
    this.last = cpuSample();
    for (const [key, micros] of this.ours()) this.latest.set(key, micros);
  }

  /** Shares of all cores, 0–1: busy in all, and taken by other processes. */
  end(): { busy: number; others: number } {
    clearInterval(this.timer);
    this.sample();
    let ours = 0;
    for (const [key, micros] of this.latest) ours += micros - (this.start.get(key) ?? 0);
    const total = Math.max(1, this.last.total - this.first.total);
    const busy = busyShare(this.first, this.last);
    return { busy, others: Math.max(0, busy - ours / 1000 / total) };
  }
}

// ---------------------------------------------------------------------------------------
// The run

const log = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

interface Check {
  name: string;
  passed: boolean | undefined;
  detail: string;
}

async function main(): Promise<number> {
  const started = new Date();
  const s = await ready();
  let cluster: PrivateCluster | undefined;
  let scratch: ScratchDatabase | undefined;
  const children: ChildServer[] = [];
  const cleanUp = async () => {
    for (const child of children) await child.stop().catch(() => {});
    await scratch?.drop().catch(() => {});
    await cluster?.remove();
  };
  // Ctrl-C also reaches the instances (same process group), not the cluster (pg_ctl detaches it).
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

  try {
    if (settings.databaseUrl) {
      scratch = await createScratchDatabase(settings.databaseUrl, 'confidant_soak');
    } else {
      cluster = await startPrivateCluster('confidant_soak');
      scratch = await createScratchDatabase(cluster.url, 'confidant_soak');
    }
    const where = cluster ? `a private PostgreSQL cluster on 127.0.0.1:${cluster.port}` : 'SOAK_DATABASE_URL';
    log(`soak: ${settings.reporters} reporters for ${settings.seconds} s, scratch database ${scratch.name} on ${where}`);
    const machine = await describeMachine(scratch.url);
    const canRestart = cluster !== undefined || settings.restartCommand !== undefined;

    const scratchUrl = scratch.url;
    const script = fileURLToPath(import.meta.url);
    let instances = 0;
    const startInstance = async () => {
      const child = await startChildServer(`instance-${instances++}`, script, ['serve'], { SOAK_CHILD_DATABASE_URL: scratchUrl });
      children.push(child);
      return child;
    };
    // Both migrate at start, as two instances of `npm start` would (an advisory lock serialises them).
    const first = await Promise.all([startInstance(), startInstance()]);
    const slots: Slot[] = first.map((server) => ({ server, url: `http://127.0.0.1:${server.port}`, generation: 0, inFlight: 0 }));

    const database = await openDatabase({ url: scratch.url });
    let advisers: Adviser[];
    try {
      await addChannel(database.db, SLUG, { powDifficulty: 0 });
      advisers = (await Promise.all([addAdviser(database.db, SLUG, 'Adviser A'), addAdviser(database.db, SLUG, 'Adviser B')])).map((a) => ({
        keyId: a.id,
        boxPublicKey: a.boxPublicKey,
      }));
    } finally {
      await database.close();
    }

    // Enough for every reporter to start a new case every ~0.7 s, so that writes go on through the
    // PostgreSQL restart on a quiet machine too (a pool that ran out at 6.7 s of 15 left no write
    // after the restart to check); a pool that runs out is reported.
    const poolSize = Math.ceil(settings.reporters * settings.seconds * 1.5);
    const preparing = performance.now();
    const pool = Array.from({ length: poolSize }, (_, n) => prepare(s, advisers, n)).reverse();
    log(`${poolSize} submissions prepared in ${fixed((performance.now() - preparing) / 1000, 1)} s`);

    const cpu = new CpuWatch(() => {
      const ours = new Map<string, number>();
      const self = process.cpuUsage();
      ours.set('self', self.user + self.system);
      for (const child of children) {
        const micros = pidCpuMicros(child.pid);
        if (micros !== undefined) ours.set(`node:${child.pid}`, micros);
      }
      // A shared server: only the scratch database's backends, whose titles name it.
      for (const [pid, micros] of processCpuMicros('postgres', cluster ? cluster.name : ` ${scratchUrl.split('/').pop()} `)) ours.set(`pg:${pid}`, micros);
      return ours;
    });

    // The load, with the faults on a schedule of their own.
    const outcomes: Outcome[] = [];
    const tally: Tally = { cases: [], submissions: 0, messages: 0, staleReads: 0, poolEmptyAt: undefined };
    const planned = settings.seconds * 1000;
    let faultsDone = false;
    // The load lasts its planned time, and longer only while a fault has not finished (bounded).
    const running = () => now() < planned + 60_000 && (now() < planned || !faultsDone);
    const kill: KillFault = { slot: 1, at: Number.NaN, inFlight: 0 };
    const restart: RestartFault = { at: Number.NaN, inFlight: 0 };

    /** Waits, for at most 2 s, for requests in flight: each fault is meant to land mid-burst, not in a lull. */
    const busyMoment = async (inFlightNow: () => number) => {
      const until = now() + 2000;
      while (inFlightNow() === 0 && now() < until) await sleep(2);
    };

    const faults = async () => {
      await sleep(Math.max(0, planned * KILL_AT - now()));
      await busyMoment(() => (slots[kill.slot] as Slot).inFlight);
      const victim = slots[kill.slot] as Slot;
      kill.at = now();
      kill.inFlight = victim.inFlight;
      process.kill(victim.server.pid, 'SIGKILL');
      log(`  ${fixed(kill.at / 1000, 1)} s: instance ${kill.slot} killed with SIGKILL (${kill.inFlight} requests in flight)`);
      const replacement = await startInstance();
      slots[kill.slot] = { server: replacement, url: `http://127.0.0.1:${replacement.port}`, generation: victim.generation + 1, inFlight: 0 };
      kill.replacedAt = now();
      log(`  ${fixed(kill.replacedAt / 1000, 1)} s: replacement listening`);

      if (!canRestart) return;
      await sleep(Math.max(0, planned * RESTART_AT - now()));
      await busyMoment(() => inFlight(slots));
      restart.at = now();
      restart.inFlight = inFlight(slots);
      try {
        if (cluster) {
          await cluster.stop(settings.restartMode);
          restart.downAt = now();
          log(`  ${fixed(restart.downAt / 1000, 1)} s: PostgreSQL stopped (-m ${settings.restartMode}; ${restart.inFlight} requests in flight at the stop)`);
          await sleep(settings.downMs);
          await cluster.start();
        } else {
          await shell(settings.restartCommand as string);
        }
        restart.upAt = now();
        log(`  ${fixed(restart.upAt / 1000, 1)} s: PostgreSQL accepts connections again`);
        while (now() < restart.upAt + settings.recoverySeconds * 1000) {
          if (await readyEverywhere(slots)) {
            restart.readyAt = now();
            log(`  ${fixed(restart.readyAt / 1000, 1)} s: both instances ready`);
            // The load goes on a little past recovery, so that writes after it are seen even when
            // a slow replacement pushed the restart towards the end of the planned time.
            await sleep(AFTER_RECOVERY_MS);
            break;
          }
          await sleep(100);
        }
      } catch (error) {
        restart.error = (error as Error).message.split('\n')[0];
      }
    };

    log('load starts');
    t0 = performance.now();
    cpu.begin();
    const faulting = faults()
      .catch((error: unknown) => {
        log(`fault schedule failed: ${(error as Error).message}`);
      })
      .finally(() => {
        faultsDone = true;
      });
    await Promise.all([
      faulting,
      ...Array.from({ length: settings.reporters }, (_, i) => reporter(new Client(slots, outcomes, i), pool, tally, running)),
    ]);
    const loadMs = now();
    const machineLoad = cpu.end();
    log(`load ended after ${fixed(loadMs / 1000, 1)} s: ${outcomes.length} requests, ${tally.submissions} submissions and ${tally.messages} messages acknowledged`);

    // Verification: the database, then every mailbox through the instances.
    const verification = await verify(scratch.url, slots, tally);
    const figures = summarise(outcomes, loadMs, kill, restart);
    const checks = judge({ tally, verification, figures, kill, restart, canRestart });

    const quiet = machineLoad.others <= 0.15;
    const markdown = report({ started, machine, settings, loadMs, tally, verification, figures, kill, restart, checks, machineLoad, quiet, where, poolSize });
    log(`\n${markdown}\n`);
    if (!short) {
      await writeSection(settings.results, 'soak', markdown);
      log(`written to ${settings.results}`);
    }
    const failed = checks.filter((c) => c.passed === false).length;
    const passed = checks.filter((c) => c.passed === true).length;
    log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

// ---------------------------------------------------------------------------------------
// Verification

interface Verification {
  /** Acknowledged submissions whose case row holds the exact report nonce and ciphertext. */
  submissionsStored: number;
  /** Acknowledged submissions whose mailbox opened and answered with the report and every acknowledged message. */
  mailboxesAnswered: number;
  /** Mailboxes checked (every case with an acknowledged submission or message). */
  mailboxesChecked: number;
  messagesStored: number;
  messagesInMailbox: number;
  /** Case rows in the database: more than the acknowledged submissions when an answer was lost after the commit. */
  caseRows: number;
  messageRows: number;
  /** Verification requests that failed to get an answer or got an unexpected one. */
  failures: string[];
}

async function verify(url: string, slots: Slot[], tally: Tally): Promise<Verification> {
  const acknowledged = tally.cases.filter((c) => c.acknowledged);
  const messageIds = tally.cases.flatMap((c) => c.messageIds);
  const result: Verification = {
    submissionsStored: 0,
    mailboxesAnswered: 0,
    mailboxesChecked: 0,
    messagesStored: 0,
    messagesInMailbox: 0,
    caseRows: 0,
    messageRows: 0,
    failures: [],
  };
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const rows = await db.query<{ id: string; report_nonce: Buffer; report_ciphertext: Buffer }>(
      'select id, report_nonce, report_ciphertext from cases where id = any($1::text[])',
      [acknowledged.map((c) => c.prepared.caseId)],
    );
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    for (const c of acknowledged) {
      const row = byId.get(c.prepared.caseId);
      if (row && row.report_nonce.toString('base64url') === c.prepared.reportNonce && row.report_ciphertext.toString('base64url') === c.prepared.reportCiphertext) {
        result.submissionsStored++;
      }
    }
    const stored = await db.query<{ id: string }>('select id from messages where id = any($1::text[])', [messageIds]);
    result.messagesStored = stored.rowCount ?? 0;
    const counts = await db.query<{ cases: string; messages: string }>('select (select count(*) from cases) as cases, (select count(*) from messages) as messages');
    result.caseRows = Number(counts.rows[0]?.cases);
    result.messageRows = Number(counts.rows[0]?.messages);
  } finally {
    await db.end();
  }

  // Through the real routes, alternating instances, as the reporter would come back.
  const toCheck = tally.cases.filter((c) => c.acknowledged || c.messageIds.length > 0);
  const outcomes: Outcome[] = [];
  const deadline = performance.now() + 120_000;
  let next = 0;
  const worker = async (w: number) => {
    const client = new Client(slots, outcomes, w);
    const still = () => performance.now() < deadline;
    while (next < toCheck.length && still()) {
      const entry = toCheck[next++] as Case;
      const token = await logIn(client, entry.prepared, still);
      if (!token) {
        result.failures.push(`case ${entry.prepared.caseId}: login failed`);
        continue;
      }
      const a = await client.send('read', 'GET', '/api/v1/mailbox', undefined, token);
      if (a.status !== 200) {
        result.failures.push(`case ${entry.prepared.caseId}: GET /api/v1/mailbox answered ${a.status || a.outcome.error}`);
        continue;
      }
      const view = a.json as MailboxView;
      result.mailboxesChecked++;
      if (entry.acknowledged && mailboxHolds(view, { ...entry, messageIds: [] })) result.mailboxesAnswered++;
      const ids = new Set(view.messages.map((m) => m.id));
      result.messagesInMailbox += entry.messageIds.filter((id) => ids.has(id)).length;
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, (_, w) => worker(w)));
  if (next < toCheck.length) result.failures.push(`${toCheck.length - next} mailboxes not checked within 120 s`);
  return result;
}

// ---------------------------------------------------------------------------------------
// Figures and checks

interface RouteFigures {
  route: Route;
  requests: number;
  ok: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
}

interface Figures {
  routes: RouteFigures[];
  statuses: Record<string, number>;
  /** 503 database_unavailable while PostgreSQL was restarting (the request overlapped the window). */
  restart503: number;
  /** Connection errors and timeouts of requests to the killed instance, from the kill until its replacement took its place. */
  killedErrors: number;
  /** 5xx answers other than the allowed 503s, by status and code. */
  bad5xx: string[];
  /** Connection errors and timeouts other than those to the killed instance. */
  otherErrors: string[];
  /** 4xx answers other than the expected 409 of a retried submission. */
  unexpected4xx: string[];
  /** Milliseconds from PostgreSQL accepting connections to the next acknowledged write (submission or message). */
  firstWriteAfterUp: number;
  /** Milliseconds from the kill to the replacement's first 2xx. */
  replacementFirstOk: number;
}

function summarise(outcomes: Outcome[], loadMs: number, kill: KillFault, restart: RestartFault): Figures {
  const statusKey = (o: Outcome) => (o.status === 0 ? (o.error ?? 'error') : o.status >= 500 ? `${o.status} ${o.error}` : String(o.status));
  const count = (list: Outcome[]) => {
    const counts: Record<string, number> = {};
    for (const o of list) counts[statusKey(o)] = (counts[statusKey(o)] ?? 0) + 1;
    return counts;
  };
  const routes = ROUTES.map((route) => {
    const mine = outcomes.filter((o) => o.route === route);
    const ok = mine.filter((o) => o.status >= 200 && o.status < 300);
    const latencies = ok.map((o) => o.end - o.start).sort((a, b) => a - b);
    return { route, requests: mine.length, ok: ok.length, rps: ok.length / (loadMs / 1000), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), statuses: count(mine) };
  });
  // The window: from the stop until every instance was ready again (or the recovery limit).
  const windowEnd = restart.readyAt ?? Number.POSITIVE_INFINITY;
  const inRestart = (o: Outcome) => Number.isFinite(restart.at) && o.end >= restart.at && o.start <= windowEnd;
  const toKilled = (o: Outcome) => o.slot === kill.slot && o.generation === 0 && o.end >= kill.at;
  const figures: Figures = {
    routes,
    statuses: count(outcomes),
    restart503: 0,
    killedErrors: 0,
    bad5xx: [],
    otherErrors: [],
    unexpected4xx: [],
    firstWriteAfterUp: Number.NaN,
    replacementFirstOk: Number.NaN,
  };
  const describe = (o: Outcome) => `${o.route} on instance ${o.slot}${o.generation ? ' (replacement)' : ''} at ${fixed(o.start / 1000, 2)} s: ${statusKey(o)}`;
  for (const o of outcomes) {
    if (o.status === 0) {
      if (toKilled(o)) figures.killedErrors++;
      else figures.otherErrors.push(describe(o));
    } else if (o.status >= 500) {
      if (o.status === 503 && o.error === 'database_unavailable' && inRestart(o)) figures.restart503++;
      else figures.bad5xx.push(describe(o));
    } else if (o.status >= 400 && !o.expected) {
      figures.unexpected4xx.push(describe(o));
    }
  }
  const writes = outcomes.filter((o) => (o.route === 'submit' || o.route === 'message') && o.status === 201);
  if (restart.upAt !== undefined) {
    const upAt = restart.upAt;
    const after = writes.filter((o) => o.start >= upAt).map((o) => o.end);
    if (after.length > 0) figures.firstWriteAfterUp = Math.min(...after) - upAt;
  }
  const replacementOk = outcomes.filter((o) => o.slot === kill.slot && o.generation === 1 && o.status >= 200 && o.status < 300).map((o) => o.end);
  if (replacementOk.length > 0) figures.replacementFirstOk = Math.min(...replacementOk) - kill.at;
  return figures;
}

function judge(input: { tally: Tally; verification: Verification; figures: Figures; kill: KillFault; restart: RestartFault; canRestart: boolean }): Check[] {
  const { tally, verification: v, figures: f, kill, restart } = input;
  const acknowledged = tally.submissions;
  const sample = (list: string[]) => (list.length === 0 ? '' : `: ${list.slice(0, 5).join('; ')}${list.length > 5 ? ` … (${list.length})` : ''}`);
  const checks: Check[] = [
    {
      name: 'acknowledged submissions stored with their exact report',
      passed: acknowledged > 0 && v.submissionsStored === acknowledged,
      detail: `${v.submissionsStored} of ${acknowledged} case rows found with the report's nonce and ciphertext`,
    },
    {
      name: 'acknowledged submissions readable through the mailbox',
      passed: acknowledged > 0 && v.mailboxesAnswered === acknowledged && v.failures.length === 0,
      detail: `${v.mailboxesAnswered} of ${acknowledged} mailboxes opened (challenge, session) and answered GET /api/v1/mailbox with the report${sample(v.failures)}`,
    },
    {
      name: 'acknowledged messages stored',
      passed: tally.messages > 0 && v.messagesStored === tally.messages && v.messagesInMailbox === tally.messages,
      detail: `${v.messagesStored} of ${tally.messages} in the database, ${v.messagesInMailbox} listed in their mailbox`,
    },
    {
      name: 'reads during the run saw every earlier acknowledged write',
      passed: tally.staleReads === 0,
      detail: `${tally.staleReads} reads lacked the report or an acknowledged message`,
    },
    {
      name: 'no 5xx but database-unavailable 503s during the PostgreSQL restart',
      passed: f.bad5xx.length === 0,
      detail: `${f.restart503} allowed 503s in the restart window; ${f.bad5xx.length} others${sample(f.bad5xx)}`,
    },
    {
      name: 'no connection errors but to the killed instance',
      passed: f.otherErrors.length === 0,
      detail: `${f.killedErrors} to the killed instance; ${f.otherErrors.length} others${sample(f.otherErrors)}`,
    },
    {
      name: 'no unexpected 4xx',
      passed: f.unexpected4xx.length === 0,
      detail: `${f.unexpected4xx.length}${sample(f.unexpected4xx)}`,
    },
    {
      name: 'an instance killed mid-burst was replaced and served requests',
      passed: kill.inFlight > 0 && Number.isFinite(f.replacementFirstOk),
      detail: `${kill.inFlight} requests in flight at the kill; replacement's first 2xx ${fixed(f.replacementFirstOk / 1000, 2)} s after it`,
    },
  ];
  if (input.canRestart) {
    const limit = settings.recoverySeconds;
    checks.push({
      name: `the instances recovered within ${limit} s of PostgreSQL restarting mid-burst`,
      passed: restart.error === undefined && restart.inFlight > 0 && restart.readyAt !== undefined && Number.isFinite(f.firstWriteAfterUp),
      detail:
        restart.error ??
        `${restart.inFlight} requests in flight at the stop; /readyz 200 on both ${restart.readyAt === undefined ? 'never' : `${fixed(((restart.readyAt - (restart.upAt ?? 0)) / 1000), 2)} s`} after PostgreSQL was up; first acknowledged write ${fixed(f.firstWriteAfterUp / 1000, 2)} s after`,
    });
  } else {
    checks.push({ name: 'PostgreSQL restart', passed: undefined, detail: 'skipped: SOAK_DATABASE_URL without SOAK_RESTART_CMD' });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------
// The report

interface ReportInput {
  started: Date;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  settings: typeof settings;
  loadMs: number;
  tally: Tally;
  verification: Verification;
  figures: Figures;
  kill: KillFault;
  restart: RestartFault;
  checks: Check[];
  machineLoad: { busy: number; others: number };
  quiet: boolean;
  where: string;
  poolSize: number;
}

function report(input: ReportInput): string {
  const { figures: f, kill, restart, tally, verification: v, machine } = input;
  const statuses = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${n} × ${status}`)
      .join(', ');
  const at = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '–' : `${fixed(ms / 1000, 2)} s`);
  const since = (ms: number | undefined, from: number | undefined) => (ms === undefined || from === undefined ? '–' : `${fixed((ms - from) / 1000, 2)} s`);
  const routes = markdownTable(
    ['route', 'requests', '2xx', '2xx/s', 'p50 ms', 'p99 ms', 'answers'],
    f.routes.map((r) => [r.route, String(r.requests), String(r.ok), fixed(r.rps), fixed(r.p50), fixed(r.p99), statuses(r.statuses)]),
  );
  const timeline = markdownTable(
    ['event', 'at', ''],
    [
      ['instance killed (SIGKILL)', at(kill.at), `${kill.inFlight} requests in flight to it`],
      ['replacement listening', at(kill.replacedAt), `${since(kill.replacedAt, kill.at)} after the kill; its first 2xx ${at(f.replacementFirstOk)} after the kill`],
      ['PostgreSQL restart begins', at(restart.at), `${restart.downAt === undefined ? 'SOAK_RESTART_CMD' : `\`pg_ctl stop -m ${input.settings.restartMode}\``}, ${restart.inFlight} requests in flight`],
      ['PostgreSQL down', at(restart.downAt), `stopped ${since(restart.downAt, restart.at)} after the restart began; started again ${input.settings.downMs} ms later`],
      ['PostgreSQL accepting connections', at(restart.upAt), `${since(restart.upAt, restart.at)} after the restart began`],
      ['both instances ready (`/readyz` 200)', at(restart.readyAt), `${since(restart.readyAt, restart.upAt)} after PostgreSQL was up`],
      ['first acknowledged write after', at(restart.upAt === undefined ? undefined : restart.upAt + f.firstWriteAfterUp), `${at(f.firstWriteAfterUp)} after PostgreSQL was up`],
    ],
  );
  const checks = input.checks.map((c) => `- ${c.passed === undefined ? 'skipped' : c.passed ? 'passed' : '**FAILED**'}: ${c.name} (${c.detail})`);
  const total = f.routes.reduce((n, r) => n + r.requests, 0);
  return [
    '## Soak under faults (bench/soak.ts)',
    '',
    `Run ${input.started.toISOString()} with \`npm run soak${short ? ' -- --short' : ''}\`: ${input.settings.reporters} reporters for ${input.settings.seconds} s (the load ran ${fixed(input.loadMs / 1000, 1)} s), two instances of \`buildApp()\` in child processes on one scratch database on ${input.where}.`,
    '',
    `**Machine ${input.quiet ? 'quiet' : 'NOT quiet'}**: ${fixed(input.machineLoad.busy * 100, 0)}% of the cores busy during the load, ${fixed(input.machineLoad.others * 100, 0)}% of them by other processes than the soak's (load average at the start ${machine.loadAverage}). ${machine.cores} cores (${machine.cpu}), ${machine.memory}, Node.js ${machine.node}, PostgreSQL ${machine.postgres ?? '?'} (${machine.postgresSettings ?? ''}).`,
    '',
    `**Acknowledged and verified**: ${tally.submissions} submissions acknowledged, ${v.submissionsStored} stored with their exact report, ${v.mailboxesAnswered} readable through their mailbox; ${tally.messages} messages acknowledged, ${v.messagesStored} stored, ${v.messagesInMailbox} in their mailbox. The database holds ${v.caseRows} cases and ${v.messageRows} messages: the difference to the acknowledged counts is writes committed whose answer was lost to a fault (the reporter retried; a retried submission answered 409).`,
    '',
    `**Faults**: ${f.killedErrors} connection errors to the killed instance; ${f.restart503} × 503 \`database_unavailable\` while PostgreSQL restarted; other 5xx: ${f.bad5xx.length}; other connection errors: ${f.otherErrors.length}.`,
    '',
    timeline,
    '',
    `Requests (${total} in all; latencies of 2xx answers, measured by the reporters in the parent process):`,
    '',
    routes,
    '',
    '### Checks',
    '',
    ...checks,
    '',
    `Method: each reporter runs cases one after another: submit a prepared encrypted report (4 KB padded, wraps for 2 advisers and the reporter, a signed case commitment), open its mailbox (challenge, Ed25519 signature, session), then ${MESSAGES_PER_CASE} times post an encrypted message and read the mailbox. Consecutive requests alternate between the instances, so a session opened on one is used on the other. No answer, or 503 \`database_unavailable\`, is retried after 100–300 ms (a retried submission that answers 409 was stored by the lost attempt); any other refusal ends the case. ${input.poolSize} submissions were prepared before the clock started${tally.poolEmptyAt === undefined ? '' : `; they ran out at ${at(tally.poolEmptyAt)}, after which reporters read their last mailbox`}. Instance 1 is killed at ${KILL_AT * 100}% of the run and replaced (a new process on a new port, which the reporters use once it listens); PostgreSQL is restarted at ${RESTART_AT * 100}%, or when the replacement listens if that is later (${restart.downAt === undefined ? 'with SOAK_RESTART_CMD' : `stopped, and started ${input.settings.downMs} ms later`}).`,
  ].join('\n');
}

if (process.argv[2] === 'serve') {
  await serveInChild(() => serveApp(process.env.SOAK_CHILD_DATABASE_URL ?? ''));
} else {
  // Exit outright: idle keep-alive sockets must not hold the run open.
  process.exit(await main());
}
