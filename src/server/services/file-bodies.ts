/**
 * Where encrypted file bodies live: the interface, and its disk form, the tus file store
 * (@tus/file-store) under FILES_DIR, one file per file id beside its `.json` upload record (the
 * S3 form is services/s3-file-bodies.ts). The bodies are ciphertext; which case they belong to
 * lives in the database only (services/files.ts), so the store alone tells nothing.
 */
import { constants, createReadStream, mkdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { Upload, type DataStore } from '@tus/server';

export interface FileBodies {
  /** The tus data store the upload routes write through. */
  readonly store: DataStore;
  /** An empty body that takes exactly `bytes` bytes; `createdAt` is what its record keeps. */
  create(id: string, bytes: number, createdAt: Date): Promise<void>;
  /** Forces a finished body to the disk, so a 2xx for its last byte survives a power cut. */
  sync(id: string): Promise<void>;
  read(id: string): Promise<Readable>;
  /** The bytes of a body stored so far; null when there is none. */
  written(id: string): Promise<number | null>;
  /** Removes a body and its record; one that is gone already is no error. */
  remove(id: string): Promise<void>;
  /** Every id the store holds a body or a record for. */
  ids(): Promise<string[]>;
  /** Lets go of connections, when the app closes. */
  close(): void;
}

export function createFileBodies(directory: string): FileBodies {
  // Owner only, made before the store: its constructor makes the folder without waiting or a mode.
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const store = new FileStore({ directory });
  const where = (id: string) => path.join(directory, id);
  const unlinkIfThere = async (file: string) => {
    try {
      await unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
  return {
    store,
    async create(id, bytes, createdAt) {
      await store.create(new Upload({ id, size: bytes, offset: 0, creation_date: createdAt.toISOString() }));
    },
    async sync(id) {
      const handle = await open(where(id), 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    read: async (id) => createReadStream(where(id)),
    async written(id) {
      try {
        return (await stat(where(id))).size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async remove(id) {
      await unlinkIfThere(where(id));
      await unlinkIfThere(`${where(id)}.json`);
    },
    async ids() {
      const names = await readdir(directory);
      return [...new Set(names.map((name) => (name.endsWith('.json') ? name.slice(0, -'.json'.length) : name)))];
    },
    close() {},
  };
}

/**
 * Copies the file store `from` into the new folder `to` (owner only), for a backup or a restore:
 * bodies and their upload records, never over anything. A body removed while the copy runs (the
 * sweep took it) is skipped. Answers how many bodies and bytes were copied.
 */
export async function copyFileStore(from: string, to: string): Promise<{ files: number; bytes: number }> {
  await mkdir(to, { mode: 0o700 });
  let names: string[];
  try {
    names = await readdir(from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: 0, bytes: 0 };
    throw error;
  }
  let files = 0;
  let bytes = 0;
  for (const name of names) {
    const target = path.join(to, name);
    try {
      await copyFile(path.join(from, name), target, constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    await chmod(target, 0o600);
    if (!name.endsWith('.json')) {
      files += 1;
      bytes += (await stat(target)).size;
    }
  }
  return { files, bytes };
}
