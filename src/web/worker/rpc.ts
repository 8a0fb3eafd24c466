/**
 * The message shapes between the page and the crypto worker. Every protocol flow (Argon2id,
 * proof of work, encryption, the API calls) runs in the worker, so the page never freezes
 * and no key or code is held by the page beyond what it shows.
 */
export interface RpcRequest {
  id: number;
  method: string;
  args: unknown[];
}

export type RpcResponse =
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'error'; error: { name: string; code: string; status?: number; message: string } }
  | { id: number; kind: 'progress'; stage: string; fraction?: number };

/**
 * Reports a stage of a long flow to the page ("deriving", "proof of work", "sending"), with how
 * far it is (0 to 1) when the stage can tell: the slow primitives do, and without WebAssembly
 * they take most of a minute.
 */
export type Progress = (stage: string, fraction?: number) => void;

export type Handler = (progress: Progress, ...args: never[]) => Promise<unknown>;
