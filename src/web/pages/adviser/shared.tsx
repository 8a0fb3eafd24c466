/** What every adviser page shares: errors in plain words, announced status, the session helpers. */
import type { StaffAccount } from '../../../protocol/index.js';
import { call } from '../../crypto.js';
import { ErrorText } from '../../components/ui.js';
import { adviser as strings } from '../../i18n/adviser.js';
import { useT } from '../../i18n/index.js';
import { navigate } from '../../router.js';
import { setAccount } from '../../session.js';

export const CASE_PAGE_SIZE = 25;

/** The error code of a failed worker call, when it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

/** An error in plain words: our own text for the codes we know, the API's message otherwise. */
export function AdviserError(props: { error: unknown }) {
  const t = useT();
  if (!props.error) return null;
  const code = errorCode(props.error);
  const key = `adviser.error.${code ?? ''}`;
  if (code && key in strings.en) {
    return (
      <p class="error" role="alert">
        {t(key)}
      </p>
    );
  }
  if (props.error instanceof TypeError || /fetch|network/i.test((props.error as Error).message ?? '')) {
    return (
      <p class="error" role="alert">
        {t('error.network')}
      </p>
    );
  }
  return <ErrorText error={props.error} />;
}

/** A polite live region that is always in the page, so that its changes are announced. */
export function LiveStatus(props: { message: string | null | undefined }) {
  return (
    <div role="status" aria-live="polite" class="live">
      {props.message ? <p class="ok">{props.message}</p> : null}
    </div>
  );
}

/**
 * A worker call that needs the signed-in session. When the session has ended (sign-in lost
 * with a reload, or 30 minutes without use) the page forgets the account, so that the gate
 * offers the sign-in again.
 */
export async function staffCall<T>(method: string, args: unknown[] = [], progress?: (stage: string, fraction?: number) => void): Promise<T> {
  try {
    return await call<T>(method, args, progress);
  } catch (error) {
    if (errorCode(error) === 'not_signed_in') setAccount(null);
    throw error;
  }
}

/** Where an account belongs after signing in. */
export function homeOf(account: Pick<StaffAccount, 'role'>): string {
  if (account.role === 'operator') return '/operator';
  return account.role === 'adviser' ? '/inbox' : '/relays';
}

export async function signOut(): Promise<void> {
  try {
    await call('signOut');
  } finally {
    setAccount(null);
    navigate('/login');
  }
}

/** Days from now to `iso`, rounded; negative in the past. */
export function daysFromNow(iso: string, now = Date.now()): number {
  return Math.round((new Date(iso).getTime() - now) / (24 * 3600 * 1000));
}

/** "in 5 days", "tomorrow", "3 days ago" in the page's language. */
export function relativeDays(iso: string, lang: string, now = Date.now()): string {
  return new Intl.RelativeTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-GB', { numeric: 'auto' }).format(daysFromNow(iso, now), 'day');
}

