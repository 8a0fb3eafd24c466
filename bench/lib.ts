/**
 * Helpers shared by the benchmarks in bench/: a typed autocannon call and its summary, a
 * scratch PostgreSQL database, servers in child processes, CPU accounting, a description of
 * the machine, medians, and the marked sections of bench/RESULTS.md.
 *
 * Every benchmark sends traffic to 127.0.0.1 only, and every loop is bounded in time.
 */
import type { FastifyInstance } from 'fastify';
import type { DatabaseHandle } from '../src/server/db/connection.js';
import { createRequire } from 'node:module';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

// ---------------------------------------------------------------------------------------
// autocannon (it ships no types: these are the parts the benchmarks use)

export interface LoadRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Called before each request is built; returning a falsy value restarts the sequence. */
  setupRequest?: (request: LoadRequest, context: Record<string, unknown>) => LoadRequest | null | undefined;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  pipelining?: number;
  /** Seconds before a request counts as timed out. */
  timeout?: number;
  method?: LoadRequest['method'];
  headers?: Record<string, string>;
  body?: string | Buffer;
  requests?: LoadRequest[];
}

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  p99_9: number;
}

export interface LoadResult {
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  resets: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
  /** Milliseconds, 2xx answers only. */
  latency: Histogram;
  requests: Histogram & { sent: number };
  throughput: Histogram;
}

type Autocannon = (options: LoadOptions, done: (error: Error | null, result: LoadResult) => void) => unknown;
const require = createRequire(import.meta.url);

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  // Loaded on first use: server child processes import this module too and need none of it.
  const autocannon = require('autocannon') as Autocannon;
  return new Promise((resolve, reject) => {
    autocannon({ pipelining: 1, timeout: 10, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** What a report needs of one load run. Throughput counts 2xx answers only. */
export interface LoadSummary {
  seconds: number;
  /** 2xx answers per second. */
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  ok: number;
  sent: number;
  completed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
}

export function summarise(result: LoadResult): LoadSummary {
  const statuses: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) statuses[status] = count;
  return {
    seconds: result.duration,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    sent: result.requests.sent,
    completed: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** An empty database `<prefix>_<random>` beside the one `baseUrl` names; drop() removes it. */
export async function createScratchDatabase(baseUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      const cleaner = new pg.Client({ connectionString: baseUrl });
      await cleaner.connect();
      try {
        await cleaner.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleaner.end();
      }
    },
  };
}

/** A TCP port on 127.0.0.1 that the OS says is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const run = promisify(execFile);

/** The newest PostgreSQL server binaries Debian installed, or PG_BIN. */
function postgresBin(): string {
  if (process.env.PG_BIN?.trim()) return process.env.PG_BIN.trim();
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}; set PG_BIN to their folder`);
  return path.join(root, versions[0] as string, 'bin');
}

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/** A PostgreSQL cluster of its own in a temporary folder, listening on 127.0.0.1 only. */
export interface PrivateCluster {
  /** Its `cluster_name`, which every one of its processes carries in its title. */
  name: string;
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  /** `pg_ctl stop -m <mode>`: `fast` ends sessions cleanly, `immediate` is a crash (recovery at the next start). */
  stop(mode: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  /** Stops it (immediately) and deletes its folder; safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * initdb into a temporary folder and start it on a free port, without touching any other
 * server. PostgreSQL refuses to run as root: as root, its programs run as the `postgres`
 * user, which then owns the folder.
 */
export async function startPrivateCluster(prefix: string): Promise<PrivateCluster> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const pgRun = (program: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args], { timeout: 120_000 }) : run(path.join(bin, program), args, { timeout: 120_000 });
  const folder = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  const dataDir = path.join(folder, 'data');
  const remove = async () => {
    await pgRun('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => {});
    await rm(folder, { recursive: true, force: true });
  };
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    if (asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      await chown(folder, Number(stdout.trim()), Number(group.trim()));
    }
    // --no-sync: an empty cluster made for one run; the server itself keeps fsync on.
    await pgRun('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    // The socket goes into the private folder, and TCP to 127.0.0.1 only.
    const options = `-h 127.0.0.1 -p ${port} -k ${folder} -c cluster_name=${name}`;
    const start = async () => {
      await pgRun('pg_ctl', ['start', '-D', dataDir, '-l', path.join(folder, 'server.log'), '-w', '-t', '60', '-o', options]);
    };
    await start();
    return {
      name,
      port,
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async (mode) => {
        await pgRun('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
      },
      start,
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Servers in child processes

type ParentMessage = { kind: 'stop' } | { kind: 'cpu'; id: number };
type ChildMessage = { kind: 'ready'; port: number } | { kind: 'failed'; message: string } | { kind: 'cpu'; id: number; micros: number };

export interface ChildServer {
  name: string;
  port: number;
  pid: number;
  /** User + system CPU time the child has used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks `script` with `args` (the same loader flags as this process, so TypeScript runs) and
 * waits until it reports the loopback port it listens on. Its standard output goes to
 * /dev/null: a logger writing there pays for formatting and the write, as in production.
 */
export function startChildServer(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { profileDir?: string | undefined } = {},
): Promise<ChildServer> {
  // With a profile folder, the child writes V8 CPU profiles to `<folder>/<name>/` when it stops:
  // one per thread (the TypeScript loader has a thread of its own); the main thread's is the largest.
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, name)}`] : [];
  const child: ChildProcess = fork(script, args, {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...profile],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const waiting = new Map<number, (micros: number) => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no ready message within 60 s`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name}: exited with ${code} before it was ready`));
    });
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      if (message.kind === 'cpu') {
        waiting.get(message.id)?.(message.micros);
        waiting.delete(message.id);
      } else if (message.kind === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name}: ${message.message}`));
      } else if (message.kind === 'ready') {
        clearTimeout(timer);
        resolve({
          name,
          port: message.port,
          pid: child.pid ?? 0,
          cpuMicros: () =>
            new Promise((done, fail) => {
              const id = nextId++;
              waiting.set(id, done);
              child.send({ kind: 'cpu', id } satisfies ParentMessage, (error) => error && fail(error));
            }),
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.send({ kind: 'stop' } satisfies ParentMessage);
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(killer);
          },
        });
      }
    });
  });
}

/** The child's side of startChildServer: start, report the port, answer CPU queries, stop on request. */
/** The app listening on a loopback port, as serveInChild wants it: its port, and a close that also closes the database. */
export async function listenOnLoopback(app: FastifyInstance, database: DatabaseHandle): Promise<{ port: number; close(): Promise<void> }> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

export async function serveInChild(start: () => Promise<{ port: number; close(): Promise<void> }>): Promise<void> {
  // The parent may be gone (Ctrl-C): a failed send ends this process instead of throwing.
  const send = (message: ChildMessage) => {
    if (!process.connected) process.exit(0);
    process.send?.(message, undefined, undefined, (error: Error | null) => error && process.exit(0));
  };
  let server: { port: number; close(): Promise<void> };
  try {
    server = await start();
  } catch (error) {
    send({ kind: 'failed', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  }
  const close = async () => {
    await server.close().catch(() => {});
    process.exit(0);
  };
  process.on('message', (raw) => {
    const message = raw as ParentMessage;
    if (message.kind === 'stop') void close();
    if (message.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ kind: 'cpu', id: message.id, micros: user + system });
    }
  });
  // The parent went away without stopping us: do not linger.
  process.on('disconnect', () => void close());
  send({ kind: 'ready', port: server.port });
}

// ---------------------------------------------------------------------------------------
// CPU of the whole machine

/** Busy and total CPU time of all cores since boot, in milliseconds. */
export interface CpuSample {
  busy: number;
  total: number;
}

export function cpuSample(): CpuSample {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** CPU time all cores were busy between two samples, in microseconds. */
export const busyMicros = (from: CpuSample, to: CpuSample): number => (to.busy - from.busy) * 1000;

/** Share of all cores that was busy between two samples, 0–1. */
export const busyShare = (from: CpuSample, to: CpuSample): number => (to.busy - from.busy) / Math.max(1, to.total - from.total);

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU of every process whose command name is `name`, in microseconds, by pid,
 * read from /proc (empty elsewhere). Compare two samples pid by pid: processes come and go.
 * With `commandLineIncludes`, only processes whose command line (for PostgreSQL backends, the
 * process title `postgres: <cluster>: <user> <database> <client> <state>`) contains it.
 */
export function processCpuMicros(name: string, commandLineIncludes?: string): Map<number, number> {
  const byPid = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return byPid;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (stat.slice(open + 1, close) !== name) continue;
      if (commandLineIncludes !== undefined && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(commandLineIncludes)) continue;
      // Fields after the command: state is field 3, utime 14 and stime 15.
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      byPid.set(Number(pid), (ticks * 1_000_000) / TICKS_PER_SECOND);
    } catch {
      // The process ended while we looked.
    }
  }
  return byPid;
}

// ---------------------------------------------------------------------------------------
// One measured run

/** A load run's summary with where the CPU went. */
export interface RunFigures extends LoadSummary {
  /** Server process CPU (user + system) per completed request, µs. */
  serverCpu: number;
  /** CPU of the PostgreSQL processes per completed request, µs (NaN where /proc is missing). */
  postgresCpu: number;
  /** Share of all cores busy during the run, 0–1. */
  machineBusy: number;
  /** Share of all cores taken by other processes than the server, PostgreSQL and this one (the load generator), 0–1. */
  others: number;
}

/**
 * Runs `options` against `server` (autocannon in this process) and accounts for the CPU it took.
 * With `postgresDatabase`, PostgreSQL CPU counts only the backends connected to that database
 * (a shared server may serve other work); otherwise every PostgreSQL process.
 */
export async function measureLoad(server: ChildServer, options: LoadOptions, accounting: { postgresDatabase?: string } = {}): Promise<RunFigures> {
  const postgresFilter = accounting.postgresDatabase === undefined ? undefined : ` ${accounting.postgresDatabase} `;
  const server0 = await server.cpuMicros();
  const postgres0 = processCpuMicros('postgres', postgresFilter);
  const machine0 = cpuSample();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runLoad(options);
  const wall = (performance.now() - t0) * 1000;
  const self = process.cpuUsage(self0);
  const machine1 = cpuSample();
  const postgres1 = processCpuMicros('postgres', postgresFilter);
  const server1 = await server.cpuMicros();
  const summary = summarise(result);
  const completed = Math.max(1, summary.completed);
  // Per pid: PostgreSQL backends come and go between the two samples.
  let postgres = 0;
  for (const [pid, micros] of postgres1) postgres += micros - (postgres0.get(pid) ?? 0);
  const serverMicros = server1 - server0;
  const others = busyMicros(machine0, machine1) - serverMicros - postgres - self.user - self.system;
  return {
    ...summary,
    serverCpu: serverMicros / completed,
    postgresCpu: postgres1.size === 0 ? Number.NaN : postgres / completed,
    machineBusy: busyShare(machine0, machine1),
    others: postgres1.size === 0 ? Number.NaN : Math.max(0, others) / (wall * os.availableParallelism()),
  };
}

// ---------------------------------------------------------------------------------------
// Description of the run

export interface Machine {
  cores: number;
  cpu: string;
  memory: string;
  os: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews figures. */
  loadAverage: string;
  postgres?: string;
  postgresSettings?: string;
}

export async function describeMachine(postgresUrl?: string): Promise<Machine> {
  const machine: Machine = {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((n) => n.toFixed(2)).join(', '),
  };
  if (postgresUrl) {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const version = await client.query<{ server_version: string }>('show server_version');
      machine.postgres = version.rows[0]?.server_version ?? 'unknown';
      const settings = await client.query<{ name: string; setting: string; unit: string | null }>(
        `select name, setting, unit from pg_settings
         where name in ('synchronous_commit', 'fsync', 'shared_buffers', 'max_connections', 'wal_level')
         order by name`,
      );
      machine.postgresSettings = settings.rows.map((r) => `${r.name}=${r.setting}${r.unit ? ` ${r.unit}` : ''}`).join(', ');
    } finally {
      await client.end();
    }
  }
  return machine;
}

// ---------------------------------------------------------------------------------------
// Numbers and Markdown

/**
 * The sides of round `round` (from 0) in the order they run: the baseline first in even rounds,
 * the app first in odd ones, so neither side always runs on a database and caches the other
 * just warmed. Use an even number of rounds for a fair split.
 */
export function roundOrder<T>(round: number, baseline: T, app: T): [T, T] {
  return round % 2 === 0 ? [baseline, app] : [app, baseline];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Replaces the part of `file` between `<!-- name:start -->` and `<!-- name:end -->` with
 * `markdown`, keeping everything else; appends the section when the markers are absent.
 */
export async function writeSection(file: string, name: string, markdown: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(file) ? await readFile(file, 'utf8') : '# Benchmark results\n\nWritten by the scripts in bench/; see bench/README.md.\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from
      ? current.slice(0, from) + section + current.slice(to + end.length)
      : `${current.replace(/\s*$/, '')}\n\n${section}\n`;
  await writeFile(file, next);
}
