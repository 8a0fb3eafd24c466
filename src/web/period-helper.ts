/// <reference lib="webworker" />
/**
 * The crypto worker's helper for the annual report (worker/parallel-open.ts): opens the half
 * page it is sent with the keys sent along, answers, and wipes its copy of the secret key.
 * It keeps nothing between messages and makes no request.
 */
import { openPinnedRegistrations, ready } from '../protocol/index.js';
import type { HelperRequest, HelperResponse } from './worker/parallel-open.js';

declare const self: DedicatedWorkerGlobalScope;

self.addEventListener('message', (event: MessageEvent<HelperRequest>) => {
  const { id, items, keys } = event.data;
  const post = (message: HelperResponse) => self.postMessage(message);
  void (async () => {
    try {
      await ready();
      post({ id, opened: await openPinnedRegistrations(items, keys) });
    } catch (error) {
      post({ id, failed: (error as Error).message });
    } finally {
      keys.boxSecretKey.fill(0);
    }
  })();
});
