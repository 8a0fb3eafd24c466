/// <reference lib="webworker" />
/**
 * The annual report's decryption on two threads. Per case it takes a symmetric decryption or two
 * (the account's key copy, the record), or, for a case without a copy yet, two public-key
 * operations (the wrap, the pin): ~0.25 ms, seconds for a year of such cases. Half of each page goes to a helper
 * worker (src/web/period-helper.ts) with the keys opening needs, and half is opened here, so a
 * two-core machine does it in about half the time. Where a worker cannot start another, or the
 * helper fails, this thread opens everything.
 */
import { openPinnedRegistrations, type OpenedPage, type PeriodKeys, type PeriodOpener } from '../../protocol/index.js';
import type { PeriodRegistration } from '../../protocol/wire.js';
import { trustedScriptUrl } from '../trusted-script-url.js';

export interface HelperRequest {
  id: number;
  items: PeriodRegistration[];
  keys: PeriodKeys;
}

export type HelperResponse = { id: number; opened: OpenedPage } | { id: number; failed: string };

/** Below this a page is not worth a message to another thread. */
const MIN_SPLIT = 64;

/** An opener that sends the second half of each page to `helper` and opens the first half here. */
export function splitOpener(helper: PeriodOpener | null): PeriodOpener {
  return async (items, keys) => {
    if (!helper || items.length < MIN_SPLIT) return openPinnedRegistrations(items, keys);
    const half = Math.floor(items.length / 2);
    const away = helper(items.slice(half), keys).catch(() => null);
    const here = await openPinnedRegistrations(items.slice(0, half), keys);
    const there = (await away) ?? (await openPinnedRegistrations(items.slice(half), keys));
    return { registrations: [...here.registrations, ...there.registrations], copies: [...here.copies, ...there.copies] };
  };
}

const HELPER_URL = '/assets/period-helper.js';

let policyUrl: string | undefined;

/** A helper worker for the annual report (the crypto worker keeps it while signed in), or null where workers cannot start workers. */
export function startHelper(): { open: PeriodOpener; stop(): void } | null {
  if (typeof Worker === 'undefined') return null;
  let worker: Worker;
  try {
    // A realm may make its policy once: the URL it gave is kept for the next helper.
    policyUrl ??= trustedScriptUrl(HELPER_URL);
    worker = new Worker(policyUrl, { type: 'module', name: 'confidant-period' });
  } catch {
    return null;
  }
  const waiting = new Map<number, { resolve(value: OpenedPage): void; reject(error: Error): void }>();
  let nextId = 1;
  const failAll = (reason: string) => {
    for (const w of waiting.values()) w.reject(new Error(reason));
    waiting.clear();
  };
  worker.addEventListener('message', (event: MessageEvent<HelperResponse>) => {
    const answer = event.data;
    const w = waiting.get(answer.id);
    if (!w) return;
    waiting.delete(answer.id);
    if ('failed' in answer) w.reject(new Error(answer.failed));
    else w.resolve(answer.opened);
  });
  worker.addEventListener('error', () => failAll('the helper worker failed'));
  return {
    open: (items, keys) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        const request: HelperRequest = { id, items: [...items], keys };
        worker.postMessage(request);
      }),
    stop: () => {
      worker.terminate();
      failAll('the helper worker stopped');
    },
  };
}
