/**
 * The busy and error state of a page's action (save, send, sign in): one action at a time,
 * its failure kept for the page's error text, the last error cleared when a new try starts.
 */
import { useState } from 'preact/hooks';

export interface Action {
  busy: boolean;
  error: unknown;
  /** For a check the page makes itself, before anything runs. */
  setError(error: unknown): void;
  /** Runs `action`: busy meanwhile, its failure in `error`; true when it succeeded. */
  run(action: () => Promise<void>): Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
