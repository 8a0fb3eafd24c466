/**
 * The page side of the crypto worker. The worker's script URL goes through the one Trusted
 * Types policy the CSP allows ('confidant'), which admits only our own worker bundle.
 */
import { trustedScriptUrl } from './trusted-script-url.js';
import type { RpcRequest, RpcResponse } from './worker/rpc.js';

/** A failure from the worker: `code` is the API's or the protocol's error code. */
export class FlowError extends Error {
  constructor(
    readonly code: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'FlowError';
  }
}

const WORKER_URL = '/assets/worker.js';

type WorkListener = (stage: string, fraction: number) => void;
const workListeners = new Set<WorkListener>();

/** Hears how far the slow steps (Argon2id, the proof of work) are; returns the unsubscribe. */
export function listenToWork(listener: WorkListener): () => void {
  workListeners.add(listener);
  return () => workListeners.delete(listener);
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; progress?: ((stage: string, fraction?: number) => void) | undefined }>();

function start(): Worker {
  if (worker) return worker;
  worker = new Worker(trustedScriptUrl(WORKER_URL), { type: 'module', name: 'confidant-crypto' });
  worker.addEventListener('message', (event: MessageEvent<RpcResponse>) => {
    const message = event.data;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    if (message.kind === 'progress') {
      if (message.fraction !== undefined) for (const listener of workListeners) listener(message.stage, message.fraction);
      return waiting.progress?.(message.stage, message.fraction);
    }
    pending.delete(message.id);
    if (message.kind === 'result') waiting.resolve(message.value);
    else waiting.reject(new FlowError(message.error.code, message.error.status, message.error.message));
  });
  return worker;
}

/** Runs a worker flow; `progress` hears its stages. */
export function call<T>(method: string, args: unknown[] = [], progress?: (stage: string, fraction?: number) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject, progress });
    const request: RpcRequest = { id, method, args };
    start().postMessage(request);
  });
}

let warming: Promise<unknown> | undefined;
/** Warms the worker's key derivation once per page load (see the worker's warmUp); never fails. */
export function warmUp(): void {
  warming ??= call('warmUp').catch(() => undefined);
}
