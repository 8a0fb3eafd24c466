/**
 * Progress of the slow primitives (Argon2id, the proof of work) for whoever shows it: the crypto
 * worker forwards it to the page as a progress bar. One listener, because the worker runs one
 * long flow at a time; none in Node.
 */
export type WorkStage = 'deriving' | 'pow';
export type WorkListener = (stage: WorkStage, fraction: number) => void;

let listener: WorkListener | undefined;

export function onWork(next: WorkListener | undefined): void {
  listener = next;
}

/** `fraction` runs from 0 to 1. */
export function reportWork(stage: WorkStage, fraction: number): void {
  listener?.(stage, Math.min(1, Math.max(0, fraction)));
}
