/**
 * PGlite on disk, durable. Out of the box PGlite starts PostgreSQL with fsync off (`-F`), and
 * Emscripten's NODEFS has no fsync at all, so a committed transaction can sit in the page cache
 * and vanish in a power cut. Here PostgreSQL runs with fsync on, and NODEFS gets an fsync that
 * reaches the disk: a 2xx then survives a power cut, as it does on PostgreSQL.
 */
import { fsyncSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { byteaCodec } from './pglite-bytea.js';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** PGlite's own start parameters without `-F`, with fsync forced on through plain fsync(2). */
export const DURABLE_START_PARAMS = [
  '--single', '-O', '-j',
  '-c', 'search_path=public',
  '-c', 'exit_on_error=false',
  '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0',
  '-c', 'max_parallel_workers=0',
  '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync',
  '-c', 'max_parallel_maintenance_workers=0',
  '-c', 'fsync=on',
  '-c', 'synchronous_commit=on',
  // The one sync call NODEFS receives for every method is fsync; say so rather than rely on fdatasync.
  '-c', 'wal_sync_method=fsync',
];

/** Emscripten's errno for EIO: PostgreSQL treats a failed fsync as fatal, as it must. */
const EIO = 29;

interface EmscriptenModule {
  NODEFS: { stream_ops: { fsync?: (stream: { nfd?: number }) => number } };
  FS: { ErrnoError: new (errno: number) => Error };
}

type InitResult = Awaited<ReturnType<NodeFS['init']>>;

/** NodeFS whose streams fsync for real; counts the calls so tests can see them happen. */
export class DurableNodeFS extends NodeFS {
  syncs = 0;

  override async init(pg: PGlite, options: Parameters<NodeFS['init']>[1]): Promise<InitResult> {
    const result = await super.init(pg, options);
    const preRun = result.emscriptenOpts.preRun ?? [];
    const patch = (module: EmscriptenModule) => {
      module.NODEFS.stream_ops.fsync = (stream) => {
        if (typeof stream.nfd !== 'number') return 0;
        try {
          fsyncSync(stream.nfd);
        } catch {
          throw new module.FS.ErrnoError(EIO);
        }
        this.syncs++;
        return 0;
      };
    };
    return { ...result, emscriptenOpts: { ...result.emscriptenOpts, preRun: [...(Array.isArray(preRun) ? preRun : [preRun]), patch] } };
  }
}

/** `loadDataDir`: a dump to start from (a restore into an empty folder). */
export function durablePglite(dataDir: string, loadDataDir?: Blob): { client: PGlite; fs: DurableNodeFS } {
  const fs = new DurableNodeFS(dataDir);
  return { client: new PGlite({ ...byteaCodec, fs, startParams: DURABLE_START_PARAMS, ...(loadDataDir ? { loadDataDir } : {}) }), fs };
}
