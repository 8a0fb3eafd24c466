/**
 * Evidence files of a case (docs/protocol.md §4 "Files", §6 "Files"): the reporter's and the
 * advisers'. A file is made with its sealed header and its encrypted length; its body then
 * arrives over tus (routes/file-routes.ts) into the file store, and the file counts (is listed,
 * can be downloaded) only once its last byte is written. Unfinished uploads are swept after a
 * day, and bodies whose row is gone (a case deleted by retention) in the same sweep.
 */
import { and, asc, count, eq, inArray, isNotNull, isNull, lt, or, sql, sum, type Placeholder, type SQL } from 'drizzle-orm';
import { encryptedFileSize, plaintextSizeOf } from '../../protocol/index.js';
import type { Limits } from '../config.js';
import type { Database } from '../db/connection.js';
import { isUniqueViolation } from '../db/errors.js';
import { cases, files, relays } from '../db/schema.js';
import { conflict, forbidden, invalid, notFound, tooLarge, unauthenticated, unavailable } from '../errors.js';
import { recordAudit } from './audit.js';
import type { createCases } from './cases.js';
import { toHour } from './coarse-time.js';
import type { FileBodies } from './file-bodies.js';
import { caseAdvisers, caseChannel, noteActivity } from './notifications.js';
import { recordReporterEvent } from './reporter-events.js';
import type { Sealed } from './sealed.js';

/** Who acts on a case's files: the reporter through the mailbox, or an adviser holding the case key. */
export type FileActor = { kind: 'reporter'; caseId: string } | { kind: 'adviser'; accountId: string; caseId: string };

export interface NewFile {
  fileId: string;
  header: Sealed;
  /** The encrypted body's exact length. */
  bytes: number;
}

/** Extension: an adviser's attachment for a relay, before the relay takes it; the relay's text will be its header. */
export type NewRelayAttachment = Omit<NewFile, 'header'>;

/** Extension: a relay's attachment as readers get it listed: the relay's text names it and holds its key. */
export interface RelayAttachment {
  fileId: string;
  /** The encrypted body's length. */
  bytes: number;
}

export interface CreatedUpload {
  fileId: string;
  bytes: number;
  /** After this, an unfinished upload is swept. */
  expiresAt: Date;
}

/**
 * Extension: the attachments of a case's relays (by `caseId`, a value or a placeholder of a
 * prepared query), and a lookup of them by relay.
 */
export const caseRelayAttachments = (db: Database, caseId: string | Placeholder) =>
  db
    .select({ relayId: files.relayId, fileId: files.id, bytes: files.bytes })
    .from(files)
    .innerJoin(relays, eq(files.relayId, relays.id))
    .where(eq(relays.caseId, caseId))
    .orderBy(asc(files.id));

export function attachmentsByRelay(rows: Array<{ relayId: string | null } & RelayAttachment>): (relayId: string) => RelayAttachment[] {
  return (relayId) => rows.filter((row) => row.relayId === relayId).map(({ fileId, bytes }) => ({ fileId, bytes }));
}

/** How long an upload may stay unfinished, and a finished relay attachment wait for its relay. */
export const UPLOAD_LIFETIME_MS = 24 * 3600 * 1000;

const unknownUpload = () => notFound('unknown_upload', 'There is no unfinished upload with this id that you can write to.');
const unknownFile = () => notFound('unknown_file', 'There is no file with this id in this case.');
const storeUnavailable = () => unavailable('file_store_unavailable', 'The file store cannot be reached now; try again later.');
const bodyMissing = () =>
  notFound('file_body_missing', 'The file is listed, but its body is not in the file store (FILES_DIR or S3_BUCKET), for example after a restore without it: tell the operator.');
/** A mailbox session that outlived its case: the same answer as any ended session. */
const caseGone = () => unauthenticated('not_signed_in', 'Open the mailbox with your code first.');

export function createFiles(db: Database, bodies: FileBodies, limits: Limits, caseAccess: ReturnType<typeof createCases>) {
  /** An adviser must still hold the case key; the reporter's session already names its case. */
  const checkAccess = async (actor: FileActor) => {
    if (actor.kind === 'adviser') await caseAccess.caseFor(actor.accountId, actor.caseId);
  };
  /** A file of the case: a relay attachment has no header, and is read through its relay. */
  const caseFile = isNotNull(files.headerNonce);
  const ownedBy = (actor: FileActor) =>
    and(
      eq(files.caseId, actor.caseId),
      eq(files.author, actor.kind),
      actor.kind === 'adviser' ? eq(files.accountId, actor.accountId) : isNull(files.accountId),
    );

  /**
   * The last byte is written: the body goes to the disk, then the file counts. A reporter's
   * file is reporter activity, heard of by the case's advisers like a message.
   */
  async function complete(fileId: string, now = new Date()): Promise<void> {
    await bodies.sync(fileId);
    await db.transaction(async (tx) => {
      const [done] = await tx
        .update(files)
        .set({ completedAt: sql`case when ${files.author} = 'reporter' then ${toHour(now).toISOString()}::timestamptz else ${now.toISOString()}::timestamptz end` })
        .where(and(eq(files.id, fileId), isNull(files.completedAt)))
        .returning({ caseId: files.caseId, author: files.author });
      if (done?.author === 'reporter' && done.caseId !== null) {
        await recordReporterEvent(tx, { action: 'file', caseId: done.caseId, at: now });
        await noteActivity(tx, caseAdvisers(done.caseId), caseChannel(done.caseId), now);
      }
    });
  }

  async function make(actor: FileActor, fileId: string, bytes: number, header: Sealed | null, now: Date): Promise<CreatedUpload> {
    if (limits.fileBytes === 0) throw forbidden('files_disabled', 'This service takes no files.');
    if (plaintextSizeOf(bytes) === null) {
      throw invalid('invalid_length', `${bytes} is not the length of an encrypted file: it is 24 + size + 17 per started 64 KiB chunk (docs/protocol.md §4 "Files").`);
    }
    if (bytes > encryptedFileSize(limits.fileBytes)) {
      throw tooLarge('file_too_large', `A file may hold at most ${limits.fileBytes} bytes (${encryptedFileSize(limits.fileBytes)} encrypted).`);
    }
    await checkAccess(actor);
    const createdAt = actor.kind === 'reporter' ? toHour(now) : now;
    await db.transaction(async (tx) => {
      const [live] = await tx
        .select({ id: cases.id })
        .from(cases)
        .where(and(eq(cases.id, actor.caseId), isNull(cases.deletedAt)))
        .for('update');
      if (!live) throw actor.kind === 'reporter' ? caseGone() : notFound('unknown_case', 'There is no case with this id that you can open.');
      const [held] = await tx.select({ n: count(), bytes: sum(files.bytes) }).from(files).where(eq(files.caseId, actor.caseId));
      if ((held?.n ?? 0) >= limits.filesPerCase) {
        throw tooLarge('case_files_full', `A case may hold ${limits.filesPerCase} files; this one holds that many.`);
      }
      if (Number(held?.bytes ?? 0) + bytes > limits.caseFileBytes) {
        throw tooLarge('case_files_full', `The files of a case may hold ${limits.caseFileBytes} encrypted bytes together; this file does not fit.`);
      }
      try {
        await tx.insert(files).values({
          id: fileId,
          caseId: actor.caseId,
          author: actor.kind,
          accountId: actor.kind === 'adviser' ? actor.accountId : null,
          headerNonce: header?.nonce ?? null,
          headerCiphertext: header?.ciphertext ?? null,
          bytes,
          createdAt,
        });
      } catch (error) {
        if (isUniqueViolation(error, 'files_pkey')) throw conflict('file_exists', 'A file with this id exists already; make a new id.');
        throw error;
      }
      if (actor.kind === 'adviser') await recordAudit(tx, { actor: actor.accountId, action: 'file', subject: actor.caseId, at: now });
    });
    try {
      await bodies.create(fileId, bytes, createdAt);
    } catch {
      await db.delete(files).where(eq(files.id, fileId));
      throw storeUnavailable();
    }
    return { fileId, bytes, expiresAt: new Date(createdAt.getTime() + UPLOAD_LIFETIME_MS) };
  }

  /** The bytes the store holds for a body; a store that cannot be asked is unavailable, not a fault. */
  const storedBytes = (fileId: string) =>
    bodies.written(fileId).catch(() => {
      throw storeUnavailable();
    });

  /** A complete file's encrypted length and body; `where` names the file and who may read it. */
  async function openBody(fileId: string, where: SQL) {
    const [row] = await db.select({ bytes: files.bytes }).from(files).where(and(eq(files.id, fileId), where, isNotNull(files.completedAt)));
    if (!row) throw unknownFile();
    // Checked before the answer starts: a stream that fails to open after the headers could only end as a 500.
    if ((await storedBytes(fileId)) === null) throw bodyMissing();
    const body = await bodies.read(fileId).catch(() => {
      throw storeUnavailable();
    });
    return { bytes: row.bytes, body };
  }

  return {
    /**
     * Makes a file and its empty upload. The case's row lock serialises the limits check, so
     * parallel uploads cannot together pass the case's file count or bytes.
     */
    create: (actor: FileActor, file: NewFile, now = new Date()) => make(actor, file.fileId, file.bytes, file.header, now),

    /**
     * Extension: makes an adviser's attachment for a relay of the case and its empty upload, on
     * the same terms as a file of the case (it counts in the case's limits). A relay takes it
     * once its last byte is in (relays.create); until then only its adviser sees it.
     */
    createRelayAttachment: (actor: Extract<FileActor, { kind: 'adviser' }>, file: NewRelayAttachment, now = new Date()) => make(actor, file.fileId, file.bytes, null, now),

    /** Whether `actor` may write to the upload `fileId` (its own, in its case); unknown_upload otherwise. */
    async checkUpload(actor: FileActor, fileId: string): Promise<void> {
      await checkAccess(actor);
      const [row] = await db.select({ bytes: files.bytes, completedAt: files.completedAt }).from(files).where(and(eq(files.id, fileId), ownedBy(actor)));
      if (!row) throw unknownUpload();
      // Every byte is in but the file does not count: the completion after the last PATCH
      // failed. The client's next tus request (a HEAD, to see where it stands) completes it,
      // rather than the sweep taking a whole file.
      if (row.completedAt === null && (await storedBytes(fileId)) === row.bytes) await complete(fileId);
    },

    complete,

    /** Ends an unfinished upload of one's own: its row and its body go. */
    async cancel(actor: FileActor, fileId: string): Promise<void> {
      await checkAccess(actor);
      const [gone] = await db
        .delete(files)
        .where(and(eq(files.id, fileId), ownedBy(actor), isNull(files.completedAt)))
        .returning({ id: files.id });
      if (!gone) {
        const [row] = await db.select({ completedAt: files.completedAt }).from(files).where(and(eq(files.id, fileId), ownedBy(actor)));
        if (row) throw conflict('file_complete', 'This file is complete; it is no upload to cancel.');
        throw unknownUpload();
      }
      await bodies.remove(fileId);
    },

    /** A complete file of the actor's case, to read: its encrypted length and body. */
    async open(actor: FileActor, fileId: string) {
      await checkAccess(actor);
      return openBody(fileId, and(eq(files.caseId, actor.caseId), caseFile) as SQL);
    },

    /** Extension: a complete attachment of a relay, for a reader relays.checkReader let through. */
    openRelayAttachment: (relayId: string, fileId: string) => openBody(fileId, eq(files.relayId, relayId)),

    /** Extension: an attachment of a relay of the reporter's case, to open before deciding. */
    openMailboxRelayAttachment: (caseId: string, relayId: string, fileId: string) =>
      openBody(fileId, and(eq(files.relayId, relayId), eq(files.caseId, caseId)) as SQL),

    /**
     * Unfinished uploads older than a day, and relay attachments no relay took in that day; then
     * bodies no row names (a deleted case's).
     */
    async sweep(now = new Date()): Promise<{ uploads: number; bodies: number }> {
      const untaken = and(isNull(files.headerNonce), isNull(files.relayId));
      const stale = await db
        .delete(files)
        .where(and(or(isNull(files.completedAt), untaken), lt(files.createdAt, new Date(now.getTime() - UPLOAD_LIFETIME_MS))))
        .returning({ id: files.id });
      for (const { id } of stale) await bodies.remove(id);
      // The store first, the rows second: a row is made before its body, so a new upload is never taken for an orphan.
      const stored = await bodies.ids();
      let orphans = 0;
      for (let i = 0; i < stored.length; i += 500) {
        const batch = stored.slice(i, i + 500);
        const known = await db.select({ id: files.id }).from(files).where(inArray(files.id, batch));
        const named = new Set(known.map((row) => row.id));
        for (const id of batch.filter((id) => !named.has(id))) {
          await bodies.remove(id);
          orphans += 1;
        }
      }
      return { uploads: stale.length, bodies: orphans };
    },
  };
}

export type Files = ReturnType<typeof createFiles>;
