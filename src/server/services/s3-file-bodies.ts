/**
 * Encrypted file bodies in an S3 bucket (S3_BUCKET), so that several instances share them: the
 * tus S3 store (@tus/s3-store) writes each upload as a multipart upload with a `.info` record
 * (and a `.part` object for a tail shorter than a part); a finished body is one object named by
 * the file id. The bucket holds ciphertext only, and must be Confidant's alone: the sweep removes
 * every object no file row names.
 */
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { ERRORS, Upload } from '@tus/server';
import type { S3Config } from '../config.js';
import type { FileBodies } from './file-bodies.js';

/** The suffixes of the store's side objects: an upload's record, and its short unfinished tail. */
const SIDE_OBJECTS = ['.info', '.part'];

/** An S3 answer that the key or upload does not exist. */
const isMissing = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

export function createS3FileBodies(config: S3Config): FileBodies {
  const clientConfig: S3ClientConfig = {
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    // Checksums only where S3 requires them: S3-compatible stores differ in the newer ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const client = new S3Client(clientConfig);
  const store = new S3Store({
    partSize: config.partBytes,
    // No expiry tags: the sweep removes unfinished uploads (services/files.ts), on any S3 store.
    useTags: false,
    s3ClientConfig: { bucket: config.bucket, ...clientConfig },
  });
  const bucket = config.bucket;

  /** A finished body's length; null when there is none. */
  async function finishedLength(id: string): Promise<number | null> {
    try {
      return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: id }))).ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  return {
    store,
    async create(id, bytes, createdAt) {
      await store.create(new Upload({ id, size: bytes, offset: 0, creation_date: createdAt.toISOString() }));
    },
    // S3 answers a part or a completed upload once it is stored durably.
    async sync() {},
    read: (id) => store.read(id),
    async written(id) {
      const finished = await finishedLength(id);
      if (finished !== null) return finished;
      try {
        return (await store.getUpload(id)).offset;
      } catch (error) {
        if (error === ERRORS.FILE_NOT_FOUND || isMissing(error)) return null;
        throw error;
      }
    },
    async remove(id) {
      try {
        // Aborts an unfinished multipart upload; a finished or unknown one answers "not found".
        await store.remove(id);
      } catch (error) {
        if (error !== ERRORS.FILE_NOT_FOUND && !isMissing(error)) throw error;
      }
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [id, ...SIDE_OBJECTS.map((s) => `${id}${s}`)].map((Key) => ({ Key })), Quiet: true } }));
    },
    async ids() {
      const ids = new Set<string>();
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const { Key } of page.Contents ?? []) {
          if (!Key) continue;
          const side = SIDE_OBJECTS.find((s) => Key.endsWith(s));
          ids.add(side ? Key.slice(0, -side.length) : Key);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return [...ids];
    },
    close: () => client.destroy(),
  };
}
