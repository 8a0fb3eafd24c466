/// <reference lib="webworker" />
/** The crypto worker: one ConfidantClient against the same origin, and the flows that use it. */
import { ApiError, ConfidantClient, onWork, ProtocolError, ready, type WorkListener } from '../protocol/index.js';
import { fileTransfers, transferHandlers } from './worker/file-transfers.js';
import { reporterHandlers } from './worker/reporter-handlers.js';
import type { Handler, RpcRequest, RpcResponse } from './worker/rpc.js';
import { staffHandlers } from './worker/staff-handlers.js';

declare const self: DedicatedWorkerGlobalScope;

const client = new ConfidantClient({ baseUrl: self.location.origin });
const transfers = fileTransfers();
const handlers: Record<string, Handler> = { ...reporterHandlers(client, transfers), ...staffHandlers(client, transfers), ...transferHandlers(transfers) } as unknown as Record<string, Handler>;
const post = (message: RpcResponse) => self.postMessage(message);

/** Forwards work progress in whole percents: Argon2id reports ten thousand steps. */
function percentSteps(forward: WorkListener): WorkListener {
  let last = { stage: '', percent: -1 };
  return (stage, fraction) => {
    const percent = Math.floor(fraction * 100);
    if (stage === last.stage && percent === last.percent) return;
    last = { stage, percent };
    forward(stage, fraction);
  };
}

self.addEventListener('message', (event: MessageEvent<RpcRequest>) => {
  const { id, method, args } = event.data;
  const handler = handlers[method];
  void (async () => {
    try {
      if (!handler) throw new Error(`unknown method ${method}`);
      await ready();
      onWork(percentSteps((stage, fraction) => post({ id, kind: 'progress', stage, fraction })));
      const value = await handler((stage, fraction) => post({ id, kind: 'progress', stage, ...(fraction === undefined ? {} : { fraction }) }), ...(args as never[]));
      post({ id, kind: 'result', value });
    } catch (error) {
      const e = error as Error & { code?: string; status?: number };
      post({
        id,
        kind: 'error',
        error: {
          name: error instanceof ApiError ? 'ApiError' : error instanceof ProtocolError ? 'ProtocolError' : e.name,
          code: e.code ?? 'failed',
          ...(e.status !== undefined ? { status: e.status } : {}),
          message: e.message,
        },
      });
    }
  })();
});
