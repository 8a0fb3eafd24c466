/** The signed-in staff account as the page knows it (its keys stay in the worker). */
import { useEffect, useState } from 'preact/hooks';
import type { StaffAccount } from '../protocol/index.js';

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
