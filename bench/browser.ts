/**
 * The reporter's and the adviser's waits in a real browser: Debian's Chromium driven by
 * playwright-core, the web bundle as `npm run build` makes it (public/assets), and the app on
 * the embedded database in this process. Each run opens a fresh page (so the worker starts and
 * compiles its WebAssembly as a reporter's first visit does) and calls the page's own crypto
 * worker, as the pages do:
 *
 *  - warm-up: the report form's `warmUp` (one throwaway derivation) when the page opens;
 *  - submission: `submitReport` on a channel at the instance's proof-of-work difficulty, from
 *    the call to the code, split by the worker's stages: deriving (channel, a fresh code, its
 *    Argon2id keys, sealing), proof of work, sending;
 *  - mailbox open: `openMailbox` with that code (Argon2id, challenge, session, read, decrypt);
 *  - adviser login: `signIn` (staff Argon2id, login, key bundle) on a fresh page.
 *
 * Long tasks of the page's main thread (PerformanceObserver "longtask", over 50 ms) are
 * recorded throughout. Targets (issue 10): deriving ≤ 0.5 s, a whole submission ≤ 1.5 s, no
 * main-thread task over 50 ms while deriving. Medians go to bench/RESULTS.md between
 * `<!-- browser:start -->` and `<!-- browser:end -->`.
 *
 * With `--jitless`, the reporter's flows instead run alternately in two Chromiums, one as
 * usual and one with `--js-flags=--jitless` (no JIT and so no WebAssembly, as Tor Browser at
 * its "Safer" level), the order swapped every run; figures go between
 * `<!-- browser-jitless:start -->` and `<!-- browser-jitless:end -->`.
 *
 * Settings (environment): BENCH_RUNS (7; `--short`: 2; `--jitless`: 3), CHROMIUM_PATH
 * (/usr/bin/chromium), BENCH_RESULTS.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { ConfidantClient, setUpAccount } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { createAdministration } from '../src/server/services/administration.js';
import { describeMachine, fixed, listenOnLoopback, markdownTable, median, writeSection } from './lib.js';

const short = process.argv.includes('--short');
const jitless = process.argv.includes('--jitless');
const RUNS = Number(process.env.BENCH_RUNS) || (short ? 2 : jitless ? 3 : 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = process.env.BENCH_RESULTS?.trim() || fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../public/assets/worker.js', import.meta.url));
const TARGETS = { derivingMs: 500, submissionMs: 1500, longTaskMs: 50 };
const SLUG = 'bench';
const ADVISER = { username: 'bench-adviser', passphrase: 'a long passphrase for the benchmark' };

interface Timings {
  /** The form's warm-up derivation, from a fresh worker: WebAssembly compiled and its memory grown. */
  warmUpMs: number;
  derivingMs: number;
  powMs: number;
  sendingMs: number;
  submissionMs: number;
  mailboxMs: number;
  /** Main-thread tasks over 50 ms that overlapped the deriving stage, and in the whole run. */
  longTasksWhileDeriving: number[];
  longTasks: number[];
}

/**
 * Runs in the page: starts the app's crypto worker the way src/web/crypto.ts does, and times
 * its flows by the stages it reports. Serialised by Playwright, so it may use only its arguments.
 */
async function reporterRun(slug: string): Promise<Timings> {
  const longTasks: Array<{ start: number; duration: number }> = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const worker = new Worker('/assets/worker.js', { type: 'module', name: 'confidant-crypto' });
  let nextId = 1;
  const call = (method: string, args: unknown[], stages: Record<string, number>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const listen = (event: MessageEvent) => {
        const message = event.data as { id: number; kind: string; stage?: string; value?: unknown; error?: { code: string } };
        if (message.id !== id) return;
        if (message.kind === 'progress') {
          // A stage's first report marks its start; the slow ones report their progress after it.
          stages[message.stage ?? '?'] ??= performance.now();
          return;
        }
        worker.removeEventListener('message', listen);
        if (message.kind === 'result') resolve(message.value);
        else reject(new Error(message.error?.code ?? 'worker error'));
      };
      worker.addEventListener('message', listen);
      worker.postMessage({ id, method, args });
    });
  const report = {
    v: 1,
    lang: 'nl',
    anonymity: 'anonymous',
    answers: { what: 'Bij inkoop worden facturen gesplitst om onder de aanbestedingsgrens te blijven.'.repeat(8), when: 'Sinds maart', how: 'saw' },
  };
  // As the report form does when it opens (src/web/crypto.ts, warmUp); a reporter writes for
  // longer than it takes, so the submission starts after it.
  const warmStart = performance.now();
  await call('warmUp', [], {});
  const warmUpMs = performance.now() - warmStart;
  const stages: Record<string, number> = {};
  const start = performance.now();
  const submitted = (await call('submitReport', [slug, report, undefined, undefined], stages)) as { code: string };
  const end = performance.now();
  const mailboxStart = performance.now();
  await call('openMailbox', [submitted.code], {});
  const mailboxEnd = performance.now();
  worker.terminate();
  const deriving = stages.deriving ?? start;
  const pow = stages.pow ?? deriving;
  const sending = stages.sending ?? pow;
  return {
    warmUpMs,
    derivingMs: pow - deriving,
    powMs: sending - pow,
    sendingMs: end - sending,
    submissionMs: end - start,
    mailboxMs: mailboxEnd - mailboxStart,
    longTasksWhileDeriving: longTasks.filter((t) => t.start < pow && t.start + t.duration > deriving).map((t) => t.duration),
    longTasks: longTasks.filter((t) => t.start >= start).map((t) => t.duration),
  };
}

/** Runs in the page: the adviser's sign-in through the worker. */
async function adviserRun(credentials: { username: string; passphrase: string }): Promise<number> {
  const worker = new Worker('/assets/worker.js', { type: 'module', name: 'confidant-crypto' });
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as { id: number; kind: string; error?: { code: string } };
      if (message.kind === 'result') resolve();
      else if (message.kind === 'error') reject(new Error(message.error?.code ?? 'worker error'));
    });
    worker.postMessage({ id: 1, method: 'signIn', args: [credentials.username, credentials.passphrase, undefined] });
  });
  const ms = performance.now() - start;
  worker.terminate();
  return ms;
}

interface Bench {
  baseUrl: string;
  difficulty: number;
  startedAt: Date;
}

/** The app on a fresh embedded database, with a channel at the default difficulty and one adviser. */
async function withApp(run: (bench: Bench) => Promise<void>): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium`);
  if (!existsSync(BUNDLE)) throw new Error('public/assets/worker.js is missing: run npm run build first');
  const startedAt = new Date();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'confidant-bench-browser-'));
  // Load shedding off: the server shares this process with the set-up's own Argon2id, which
  // holds the event loop for a second and would make it answer 503.
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', MAX_EVENT_LOOP_DELAY_MS: '0' });
  const database = await openDatabase({ dataDir });
  await database.migrate();
  const app = await buildApp(config, database);
  const server = await listenOnLoopback(app, database);
  const baseUrl = `http://127.0.0.1:${server.port}`;
  try {
    const admin = createAdministration(database.db, { powDifficulty: config.powDifficulty });
    await admin.createOrganisation({ slug: 'bench-org', name: 'Bench B.V.' });
    await admin.createChannel({ slug: SLUG, name: 'Meldpunt Bench', organisation: 'bench-org' });
    const invite = await admin.createInvite({ role: 'adviser', channel: SLUG });
    await setUpAccount(new ConfidantClient({ baseUrl }), { token: invite.token, username: ADVISER.username, displayName: 'Bench Adviser', passphrase: ADVISER.passphrase });
    await run({ baseUrl, difficulty: config.powDifficulty, startedAt });
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

/** A fresh context and report page; Playwright may start the worker in it (see below). */
async function reportPage(browser: Browser, baseUrl: string) {
  // Playwright evaluates through the DevTools protocol; bypassing the CSP lets it start the
  // worker without the page's one Trusted Types policy, which the page has already taken.
  const context = await browser.newContext({ bypassCSP: true, baseURL: baseUrl });
  // tsx names functions with an __name helper that a serialised function takes along.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  const page = await context.newPage();
  await page.goto(`/c/${SLUG}/report`);
  return { context, page };
}

async function main(): Promise<void> {
  await withApp(async ({ baseUrl, difficulty, startedAt }) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const version = browser.version();
      const runs: Timings[] = [];
      const logins: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { context, page } = await reportPage(browser, baseUrl);
        runs.push(await page.evaluate(reporterRun, SLUG));
        await page.goto('/login');
        logins.push(await page.evaluate(adviserRun, ADVISER));
        await context.close();
        const last = runs[runs.length - 1];
        console.log(`run ${i + 1}/${RUNS}: submission ${fixed(last?.submissionMs ?? 0, 0)} ms, mailbox ${fixed(last?.mailboxMs ?? 0, 0)} ms, adviser login ${fixed(logins[i] ?? 0, 0)} ms`);
      }
      const machine = await describeMachine();
      await writeSection(RESULTS, 'browser', report({ startedAt, runs, logins, version, difficulty, machine, seconds: (Date.now() - startedAt.getTime()) / 1000 }));
      console.log(`written to ${RESULTS}`);
    } finally {
      await browser.close();
    }
  });
}

/** The reporter's flows with and without JIT (and WebAssembly), alternating which goes first. */
async function jitlessMain(): Promise<void> {
  await withApp(async ({ baseUrl, difficulty, startedAt }) => {
    const browsers = {
      jit: await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
      jitless: await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--js-flags=--jitless'] }),
    };
    try {
      const runs = { jit: [] as Timings[], jitless: [] as Timings[] };
      for (let i = 0; i < RUNS; i++) {
        for (const kind of i % 2 === 0 ? (['jit', 'jitless'] as const) : (['jitless', 'jit'] as const)) {
          const { context, page } = await reportPage(browsers[kind], baseUrl);
          if (kind === 'jitless' && (await page.evaluate(() => typeof WebAssembly)) !== 'undefined') throw new Error('the jitless Chromium still has WebAssembly');
          runs[kind].push(await page.evaluate(reporterRun, SLUG));
          await context.close();
          const last = runs[kind][runs[kind].length - 1];
          console.log(`run ${i + 1}/${RUNS} ${kind}: submission ${fixed(last?.submissionMs ?? 0, 0)} ms, mailbox ${fixed(last?.mailboxMs ?? 0, 0)} ms`);
        }
      }
      const machine = await describeMachine();
      await writeSection(RESULTS, 'browser-jitless', jitlessReport({ startedAt, runs, version: browsers.jit.version(), difficulty, machine, seconds: (Date.now() - startedAt.getTime()) / 1000 }));
      console.log(`written to ${RESULTS}`);
    } finally {
      await browsers.jit.close();
      await browsers.jitless.close();
    }
  });
}

function jitlessReport(input: {
  startedAt: Date;
  runs: { jit: Timings[]; jitless: Timings[] };
  version: string;
  difficulty: number;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  seconds: number;
}): string {
  const { runs, machine } = input;
  const keys = [
    ['derivingMs', 'deriving (channel, a new code, its Argon2id keys, sealing)'],
    ['powMs', `proof of work (${input.difficulty} bits)`],
    ['sendingMs', 'sending'],
    ['submissionMs', 'whole submission'],
    ['mailboxMs', 'mailbox open with the code (Argon2id, login, read)'],
  ] as const;
  const s = (value: number) => `${fixed(value / 1000, 1)} s`;
  return [
    '## Without JIT and WebAssembly (bench/browser.ts --jitless)',
    '',
    `Run ${input.startedAt.toISOString()} with \`npm run bench:browser -- --jitless\`, ${fixed(input.seconds, 0)} s in all: ${runs.jitless.length} runs in each of two Chromiums ${input.version} (headless), one as usual (libsodium in WebAssembly) and one with \`--js-flags=--jitless\`, which leaves it without WebAssembly as Tor Browser at its "Safer" level: its worker uses the pure-JavaScript engine (src/protocol/sodium-noble.ts). Each run is a fresh page; the two alternate, the order swapped every run.`,
    '',
    markdownTable(
      ['median of the runs', 'as usual', 'jitless', 'jitless ÷ usual'],
      keys.map(([key, label]) => {
        const usual = median(runs.jit.map((r) => r[key]));
        const slow = median(runs.jitless.map((r) => r[key]));
        return [label, s(usual), s(slow), usual > 0 ? `${fixed(slow / usual, 0)}×` : '–'];
      }),
    ),
    '',
    markdownTable(
      ['run', ...keys.map(([, label]) => `jitless: ${label.split(' (')[0]}`)],
      runs.jitless.map((r, i) => [String(i + 1), ...keys.map(([key]) => s(r[key]))]),
    ),
    '',
    `- Without a JIT the reporter waits ${s(median(runs.jitless.map((r) => r.submissionMs)))} for a submission (its Argon2id alone ${s(median(runs.jitless.map((r) => r.derivingMs)))}) and ${s(median(runs.jitless.map((r) => r.mailboxMs)))} to open the mailbox; the pages show a progress bar for each slow step and say why it is slow. Staff pages require WebAssembly (their Argon2id is 128 MiB and three passes).`,
    "- Proof of work varies with luck: with a few runs its median moves more than the other stages'. It is the same BLAKE2b as the key derivation's, interpreted: a channel that expects many reporters over Tor may lower its difficulty (each bit less halves the expected wait).",
    `- ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}; Node.js ${machine.node}; load average at the end: ${machine.loadAverage}.`,
  ].join('\n');
}

function report(input: {
  startedAt: Date;
  runs: Timings[];
  logins: number[];
  version: string;
  difficulty: number;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  seconds: number;
}): string {
  const { runs, logins, machine } = input;
  const med = (key: 'warmUpMs' | 'derivingMs' | 'powMs' | 'sendingMs' | 'submissionMs' | 'mailboxMs') => median(runs.map((r) => r[key]));
  const max = (values: number[]) => (values.length === 0 ? 0 : Math.max(...values));
  const longestWhileDeriving = max(runs.flatMap((r) => r.longTasksWhileDeriving));
  const longest = max(runs.flatMap((r) => r.longTasks));
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  const ms = (value: number) => `${fixed(value, 0)} ms`;
  return [
    '## In the browser (bench/browser.ts)',
    '',
    `Run ${input.startedAt.toISOString()} with \`npm run bench:browser\`, ${fixed(input.seconds, 0)} s in all: ${runs.length} runs, each on a fresh page of Chromium ${input.version} (headless), the bundle of public/assets, proof of work at the instance's default difficulty (${input.difficulty} bits).`,
    '',
    `- **Deriving (channel, a new code, its Argon2id keys, sealing): median ${ms(med('derivingMs'))}**; target ≤ ${TARGETS.derivingMs} ms: **${verdict(med('derivingMs') <= TARGETS.derivingMs)}**.`,
    `- **Whole submission (deriving, proof of work, sending): median ${ms(med('submissionMs'))}**; target ≤ ${TARGETS.submissionMs} ms: **${verdict(med('submissionMs') <= TARGETS.submissionMs)}**.`,
    `- **Main thread while deriving: longest task ${longestWhileDeriving === 0 ? 'none over 50 ms' : ms(longestWhileDeriving)}**; target no task over ${TARGETS.longTaskMs} ms: **${verdict(longestWhileDeriving <= TARGETS.longTaskMs)}**. Over the whole runs: ${longest === 0 ? 'no task over 50 ms' : `longest ${ms(longest)}`}.`,
    `- Mailbox open with the code: median ${ms(med('mailboxMs'))}. Adviser sign-in: median ${ms(median(logins))}. The form's warm-up (a fresh worker's first derivation, while the reporter writes): median ${ms(med('warmUpMs'))}.`,
    '',
    markdownTable(
      ['run', 'warm-up', 'deriving', 'proof of work', 'sending', 'submission', 'mailbox open', 'adviser sign-in', 'main-thread tasks > 50 ms'],
      [
        ...runs.map((r, i) => [
          String(i + 1),
          ms(r.warmUpMs),
          ms(r.derivingMs),
          ms(r.powMs),
          ms(r.sendingMs),
          ms(r.submissionMs),
          ms(r.mailboxMs),
          ms(logins[i] ?? 0),
          r.longTasks.length === 0 ? 'none' : r.longTasks.map((d) => ms(d)).join(', '),
        ]),
        ['**median**', ms(med('warmUpMs')), ms(med('derivingMs')), ms(med('powMs')), ms(med('sendingMs')), ms(med('submissionMs')), ms(med('mailboxMs')), ms(median(logins)), ''],
      ],
    ),
    '',
    '### Method',
    '',
    "- The page is the reporter's report form (`/c/bench/report`) or the adviser's sign-in page (`/login`), loaded fresh for every run; the benchmark starts the app's own crypto worker (`/assets/worker.js`) and calls its flows as the pages do, timing them by the stages the worker reports. Every flow includes its requests to the app, which runs in the benchmark's process on the embedded database.",
    "- As the report form does when it opens, each run first warms the worker (one derivation of a throwaway code: WebAssembly compiled, its memory grown to Argon2id's 64 MiB); the submission starts when that is done, as it would for a reporter who writes for longer than the warm-up takes. Proof of work varies with luck: its median over few runs moves more than the other stages.",
    `- ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}; Node.js ${machine.node}; load average at the end: ${machine.loadAverage}.`,
  ].join('\n');
}

await (jitless ? jitlessMain() : main());
