/**
 * Evidence files: a large file (1 GiB by default) sent through the real routes as the client
 * sends it (encrypted as tus asks for bytes, tus-js-client, 8 MiB per PATCH) and read back
 * (streamed, decrypted, written to disk), beside copying the same bytes with plain Node streams
 * to the same disk, once for each direction. The server runs in a child process on the embedded
 * database; its resident memory is sampled every 50 ms during each transfer. Rounds alternate
 * which side goes first. Figures go to bench/RESULTS.md between `<!-- files:start -->` and
 * `<!-- files:end -->`.
 *
 * Settings (environment): BENCH_FILE_MIB (1024), BENCH_ROUNDS (4), BENCH_RESULTS, BENCH_DIR
 * (where the files go: the same disk for both sides; default the system's temporary folder).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Upload } from 'tus-js-client';
import { ConfidantClient, openMailbox, ready, submitNewReport, type FileUpload, type Mailbox } from '../src/protocol/index.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/server/db/connection.js';
import { uploadOptions } from '../src/web/worker/file-transfers.js';
import { addAdviser, addChannel } from '../test/fixtures.js';
import { describeMachine, fixed, listenOnLoopback, markdownTable, median, roundOrder, serveInChild, startChildServer, writeSection } from './lib.js';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback) || fallback;
const MIB = 1024 * 1024;
const settings = { mib: setting('BENCH_FILE_MIB', 1024), rounds: setting('BENCH_ROUNDS', 4) };
const SLUG = 'bench';

/** Child process: the app on the embedded database, files in `filesDir`. */
async function serve(dataDir: string, filesDir: string) {
  const config = loadConfig({ DATA_DIR: dataDir, FILES_DIR: filesDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: '0', POW_DIFFICULTY: '0' });
  const database = await openDatabase({ dataDir });
  const app = await buildApp(config, database);
  return listenOnLoopback(app, database);
}

/** The server's resident memory now, from /proc. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Runs `work` while sampling the server's RSS: the time taken and the growth over the RSS before it. */
async function measured(pid: number, work: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number }> {
  const before = await rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => void rssOf(pid).then((rss) => (peak = Math.max(peak, rss))).catch(() => {}), 50);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, await rssOf(pid));
  return { seconds, rssGrowth: peak - before };
}

/** The plaintext file, read in ranges as the browser reads a File. */
async function plainFile(file: string, size: number) {
  const handle = await open(file, 'r');
  return {
    name: 'evidence.bin',
    type: 'application/octet-stream',
    size,
    read: async (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** tus-js-client (its Node build) sending a made file, as the worker sends it. */
function send(baseUrl: string, made: FileUpload): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(Buffer.alloc(0), {
      // As the worker sends, with Node's HTTP stack: a Buffer carrying its `size`, as tus's own Buffer source makes it.
      ...uploadOptions(made, baseUrl, (bytes) => Object.assign(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), { size: bytes.length })),
      retryDelays: [],
      onSuccess: () => resolve(),
      onError: reject,
    });
    upload.start();
  });
}

/** Reads a file back as the worker does, writing the plaintext to `target`. */
async function receive(baseUrl: string, mailbox: Mailbox, fileId: string, target: string): Promise<void> {
  const download = mailbox.fileDownload(fileId);
  const response = await fetch(new URL(download.path, baseUrl), { headers: download.headers });
  if (!response.ok || !response.body) throw new Error(`download: HTTP ${response.status}`);
  const out = createWriteStream(target);
  for await (const piece of response.body) {
    for (const plain of download.decryptor.push(piece as Uint8Array)) {
      if (!out.write(plain)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  download.decryptor.end();
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

interface Round {
  round: number;
  first: 'app' | 'copy';
  upload: { seconds: number; rssGrowth: number };
  download: { seconds: number; rssGrowth: number };
  copyUp: number;
  copyDown: number;
}

async function main(): Promise<void> {
  await ready();
  const size = settings.mib * MIB;
  const work = await mkdtemp(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'confidant-files-bench-'));
  const dataDir = path.join(work, 'data');
  const filesDir = path.join(work, 'files');
  const source = path.join(work, 'source.bin');
  process.stderr.write(`files: writing ${settings.mib} MiB of random bytes\n`);
  const writer = createWriteStream(source);
  for (let written = 0; written < size; written += 64 * MIB) {
    if (!writer.write(randomBytes(Math.min(64 * MIB, size - written)))) await new Promise<void>((resolve) => writer.once('drain', () => resolve()));
  }
  await new Promise((resolve) => writer.end(resolve));

  const database = await openDatabase({ dataDir });
  await database.migrate();
  await addChannel(database.db, SLUG);
  await addAdviser(database.db, SLUG);
  await database.close();

  const server = await startChildServer('files', fileURLToPath(import.meta.url), ['serve', dataDir, filesDir], {});
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const rounds: Round[] = [];
  try {
    const client = new ConfidantClient({ baseUrl });
    const { code } = await submitNewReport(client, { slug: SLUG, report: { v: 1, lang: 'nl', anonymity: 'anonymous', answers: { what: 'bench' } } });
    const mailbox = await openMailbox(client, code);
    const machine = await describeMachine();
    for (let round = 0; round < settings.rounds; round++) {
      let upload = { seconds: 0, rssGrowth: 0 };
      let download = { seconds: 0, rssGrowth: 0 };
      let copyUp = 0;
      let copyDown = 0;
      const app = async () => {
        const file = await plainFile(source, size);
        const made = await mailbox.attachFile(file);
        upload = await measured(server.pid, () => send(baseUrl, made));
        await file.close();
        await mailbox.refresh();
        const target = path.join(work, 'received.bin');
        download = await measured(server.pid, () => receive(baseUrl, mailbox, made.fileId, target));
        await rm(target);
      };
      const copy = async () => {
        const up = path.join(work, 'copy-up.bin');
        const down = path.join(work, 'copy-down.bin');
        copyUp = (await measured(server.pid, () => pipeline(createReadStream(source), createWriteStream(up)))).seconds;
        copyDown = (await measured(server.pid, () => pipeline(createReadStream(up), createWriteStream(down)))).seconds;
        await rm(up);
        await rm(down);
      };
      const [a, b] = roundOrder(round, copy, app);
      await a();
      await b();
      rounds.push({ round: round + 1, first: round % 2 === 0 ? 'copy' : 'app', upload, download, copyUp, copyDown });
      process.stderr.write(`files: round ${round + 1}: upload ${fixed(upload.seconds, 2)} s, download ${fixed(download.seconds, 2)} s, copies ${fixed(copyUp, 2)} / ${fixed(copyDown, 2)} s\n`);
    }
    await mailbox.close();
    await writeSection(process.env.BENCH_RESULTS ?? 'bench/RESULTS.md', 'files', report(rounds, size, machine));
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function report(rounds: Round[], size: number, machine: Awaited<ReturnType<typeof describeMachine>>): string {
  const mibps = (seconds: number) => fixed(size / MIB / seconds, 0);
  const med = (pick: (r: Round) => number) => median(rounds.map(pick));
  const maxRss = Math.max(...rounds.flatMap((r) => [r.upload.rssGrowth, r.download.rssGrowth]));
  return `## Evidence files (\`bench/files.ts\`)

A ${size / MIB} MiB file through the real routes against copying the same bytes with plain Node
streams to the same disk, ${rounds.length} rounds, the sides alternating which goes first. The
upload encrypts as tus asks for bytes (tus-js-client's Node build, 8 MiB per PATCH) and ends when
the server has forced the file to the disk and counted it; the download streams, decrypts and
writes the plaintext to disk. Client and server run on the same machine (the client in the bench
process, the server in a child on the embedded database), so each transfer's time includes both
sides' work; the copy is one read and one write of the same bytes.

| | medians | MiB/s | × the plain copy |
|---|---|---|---|
| upload (encrypt + tus + fsync) | ${fixed(med((r) => r.upload.seconds), 2)} s | ${mibps(med((r) => r.upload.seconds))} | ${fixed(med((r) => r.upload.seconds) / med((r) => r.copyUp), 2)} |
| plain copy, "up" | ${fixed(med((r) => r.copyUp), 2)} s | ${mibps(med((r) => r.copyUp))} | 1 |
| download (stream + decrypt + write) | ${fixed(med((r) => r.download.seconds), 2)} s | ${mibps(med((r) => r.download.seconds))} | ${fixed(med((r) => r.download.seconds) / med((r) => r.copyDown), 2)} |
| plain copy, "down" | ${fixed(med((r) => r.copyDown), 2)} s | ${mibps(med((r) => r.copyDown))} | 1 |

**Server memory:** the largest growth of the server's resident set over its size before a transfer,
sampled every 50 ms: **${fixed(maxRss / MIB, 1)} MiB** (target ≤ 64 MiB).

${markdownTable(
  ['round', 'first', 'upload s', 'download s', 'copy up s', 'copy down s', 'server RSS growth up / down (MiB)'],
  rounds.map((r) => [String(r.round), r.first, fixed(r.upload.seconds, 2), fixed(r.download.seconds, 2), fixed(r.copyUp, 2), fixed(r.copyDown, 2), `${fixed(r.upload.rssGrowth / MIB, 1)} / ${fixed(r.download.rssGrowth / MIB, 1)}`]),
)}

Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory}, ${machine.os}, Node ${machine.node}; load average at the start ${machine.loadAverage}.
`;
}

if (process.argv[2] === 'serve') {
  await serveInChild(() => serve(process.argv[3] ?? '', process.argv[4] ?? ''));
} else {
  await main();
}
