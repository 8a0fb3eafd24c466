/** The signed-in staff account as the page knows it (its keys stay in the worker). */
import { useEffect, useState } from 'preact/hooks';
import type { StaffAccount } from '../protocol/index.js';
import { call } from './crypto.js';

let current: StaffAccount | null = null;
const listeners = new Set<(account: StaffAccount | null) => void>();

export function setAccount(account: StaffAccount | null): void {
  current = account;
  for (const listener of listeners) listener(account);
}

export function useAccount(): StaffAccount | null {
  const [account, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return account;
}

let resuming: Promise<void> | undefined;
let resumed = false;

/** Once per page load: the worker resumes the session a reload or another tab left (protocol/staff-resume.ts). */
function resumeOnce(): Promise<void> {
  resuming ??= call<StaffAccount | null>('resumeSession')
    .then((account) => {
      if (account && !current) setAccount(account);
    })
    .catch(() => undefined)
    .finally(() => {
      resumed = true;
    });
  return resuming;
}

/** The signed-in account for a staff page's gate, and whether a session is still being resumed. */
export function useResumedAccount(): { account: StaffAccount | null; resuming: boolean } {
  const account = useAccount();
  const [done, setDone] = useState(resumed);
  useEffect(() => {
    if (!done) void resumeOnce().then(() => setDone(true));
  }, []);
  return { account, resuming: !account && !done };
}
