/**
 * Where a signed-in staff tab keeps what a reload needs (protocol/staff-resume.ts): one
 * IndexedDB store with the browser's non-extractable device key and the sealed session. Staff
 * pages only: reporter pages never open it, so a reporter's browser holds nothing of theirs.
 */
import type { ResumeRecord } from '../../protocol/staff-resume.js';

const DATABASE = 'confidant-staff';
const STORE = 'resume';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available'));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await open();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export interface Stored {
  deviceKey: CryptoKey;
  record: ResumeRecord;
}

export async function loadResume(): Promise<Stored | undefined> {
  const [deviceKey, record] = await Promise.all([
    run<CryptoKey>('readonly', (store) => store.get('deviceKey')),
    run<ResumeRecord>('readonly', (store) => store.get('record')),
  ]);
  return deviceKey && record ? { deviceKey, record } : undefined;
}

export async function saveResume(stored: Stored): Promise<void> {
  await run('readwrite', (store) => {
    store.put(stored.deviceKey, 'deviceKey');
    store.put(stored.record, 'record');
  });
}

/** Sign-out and a session the server no longer knows: the key and the record both go. */
export async function forgetResume(): Promise<void> {
  await run('readwrite', (store) => store.clear());
}
