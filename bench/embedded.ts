/**
 * What durability costs on the embedded database: the real app's report submission on PGlite
 * with fsync on and a NODEFS fsync that reaches the disk (as `npm start` runs it) against the
 * same app on PGlite as it comes (fsync off), in one run. Each side gets a fresh data folder, a
 * server in a child process and the same kind of submissions; the sides alternate which goes
 * first in each round. Figures go to bench/RESULTS.md between `<!-- embedded:start -->` and
 * `<!-- embedded:end -->`.
 *
 * Settings (environment): BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10),
 * BENCH_RESULTS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_BLOCK, encryptRecord, ready, reportAd, sealKey, toBase64url, type SubmitReportRequest } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { addAdviser, addChannel } from '../test/fixtures.js';
import { describeMachine, fixed, markdownTable, measureLoad, median, serveInChild, startChildServer, writeSection, type RunFigures, listenOnLoopback } from './lib.js';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback) || fallback;
const settings = { seconds: setting('BENCH_SECONDS', 10), rounds: setting('BENCH_ROUNDS', 3), connections: setting('BENCH_CONNECTIONS', 10) };
const SLUG = 'bench';
/** More than either side submits in one run on this machine. */
const BODIES = setting('BENCH_BODIES', 6000);
type SideName = 'durable' | 'fsync off';

/** Child process: the app on the embedded database in `dataDir`, durable or not. */
async function serve(dataDir: string, durable: boolean) {
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', POW_DIFFICULTY: '0' });
  const database = await openDatabase({ dataDir, durable });
  const app = await buildApp(config, database);
  return listenOnLoopback(app, database);
}

/** A data folder with a channel and one adviser, and submission bodies sealed to that adviser. */
async function prepare(bodies: number): Promise<{ dataDir: string; bodies: Buffer[] }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'confidant-embedded-bench-'));
  const database = await openDatabase({ dataDir });
  await database.migrate();
  await addChannel(database.db, SLUG);
  const adviser = await addAdviser(database.db, SLUG);
  await database.close();
  const made: Buffer[] = [];
  for (let n = 0; n < bodies; n++) {
    const caseId = randomBytes(16).toString('base64url');
    const caseKey = new Uint8Array(randomBytes(32));
    const body: SubmitReportRequest = {
      v: 1,
      caseId,
      mailboxId: randomBytes(16).toString('base64url'),
      reporterSignPublicKey: toBase64url(randomBytes(32)),
      reporterBoxPublicKey: toBase64url(randomBytes(32)),
      wraps: [{ keyId: adviser.id, wrap: sealKey(caseKey, adviser.boxPublicKey) }],
      reporterWrap: sealKey(caseKey, adviser.boxPublicKey),
      report: encryptRecord(caseKey, { v: 1, lang: 'nl', anonymity: 'anonymous', answers: { what: `Melding ${n}: ${'x'.repeat(1500)}` } }, reportAd(caseId), REPORT_BLOCK),
    };
    made.push(Buffer.from(JSON.stringify(body)));
  }
  return { dataDir, bodies: made };
}

/** One side's run on a fresh folder, with bodies sealed to that folder's adviser. */
async function runSide(name: SideName): Promise<RunFigures & { side: SideName }> {
  const prepared = await prepare(BODIES);
  let next = 0;
  const script = fileURLToPath(import.meta.url);
  const server = await startChildServer(name, script, ['serve', prepared.dataDir, name === 'durable' ? 'durable' : 'fast'], {});
  try {
    const figures = await measureLoad(server, {
      url: `http://127.0.0.1:${server.port}`,
      connections: settings.connections,
      duration: settings.seconds,
      requests: [
        {
          method: 'POST',
          path: `/api/v1/channels/${SLUG}/reports`,
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            // Past the prepared bodies a repeat is refused as case_exists (counted as non-2xx).
            request.body = prepared.bodies[next++ % prepared.bodies.length];
            return request;
          },
        },
      ],
    });
    return { ...figures, side: name };
  } finally {
    await server.stop();
    await rm(prepared.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await ready();
  const machine = await describeMachine();
  const runs: Array<RunFigures & { side: SideName }> = [];
  for (let round = 0; round < settings.rounds; round++) {
    const order: SideName[] = round % 2 === 0 ? ['durable', 'fsync off'] : ['fsync off', 'durable'];
    for (const side of order) {
      runs.push(await runSide(side));
      process.stdout.write(`round ${round + 1} ${side}: ${fixed(runs[runs.length - 1]!.rps)} submissions/s\n`);
    }
  }
  const of = (side: SideName) => runs.filter((r) => r.side === side);
  const medianOf = (side: SideName, pick: (r: RunFigures) => number) => median(of(side).map(pick));
  const ratio = medianOf('durable', (r) => r.rps) / medianOf('fsync off', (r) => r.rps);
  const markdown = [
    '## Embedded database: what durability costs (`bench/embedded.ts`)',
    '',
    `${machine.cores} cores (${machine.cpu}), ${machine.memory}, Node.js ${machine.node}; load average at the start ${machine.loadAverage}; data folders under ${os.tmpdir()}. ${settings.rounds} rounds of ${settings.seconds} s per side, ${settings.connections} connections, sides alternating which goes first; each run on a fresh data folder, the server in a child process.`,
    '',
    markdownTable(
      ['round', 'side', 'submissions/s', 'p50 ms', 'p99 ms', 'non-2xx'],
      runs.map((r, i) => [String(Math.floor(i / 2) + 1), r.side, fixed(r.rps), fixed(r.p50), fixed(r.p99), String(r.non2xx)]),
    ),
    '',
    `Median: durable ${fixed(medianOf('durable', (r) => r.rps))}/s, fsync off ${fixed(medianOf('fsync off', (r) => r.rps))}/s: durability costs ${fixed((1 - ratio) * 100)} % of the throughput (durable = ${fixed(ratio, 2)}× fsync off).`,
  ].join('\n');
  await writeSection(process.env.BENCH_RESULTS ?? fileURLToPath(new URL('./RESULTS.md', import.meta.url)), 'embedded', markdown);
  process.stdout.write(`${markdown}\n`);
}

if (process.argv[2] === 'serve') {
  await serveInChild(() => serve(process.argv[3] ?? '', process.argv[4] === 'durable'));
} else {
  await main();
}
