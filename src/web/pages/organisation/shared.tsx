/**
 * What both organisation pages share: the gate (signed in, and as an organisation recipient),
 * the account bar with the sign-out button and the second factor's set-up, and the handling of
 * an ended session.
 */
import { OwnFingerprint } from '../../components/fingerprint.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { StaffAccount } from '../../../protocol/index.js';
import { call } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import { navigate } from '../../router.js';
import { setAccount, useResumedAccount } from '../../session.js';
import { Busy, Link, Page } from '../../components/ui.js';
import { useTotpOffer } from '../adviser/totp.js';

export type Params = { params: Record<string, string> };

/** Set when the server said the session is over, so the sign-in prompt can say why. */
let sessionEnded = false;

/** True for failures that mean "sign in again": the API's 401, or a worker without a session. */
export function endsSession(error: unknown): boolean {
  const e = error as { code?: unknown; status?: unknown } | null;
  return !!e && (e.status === 401 || e.code === 'not_signed_in');
}

/** Forgets the account when the session is over; otherwise hands the error on. */
export function failWith(error: unknown, show: (error: unknown) => void): void {
  if (endsSession(error)) {
    sessionEnded = true;
    setAccount(null);
    return;
  }
  show(error);
}

/** The document title follows the page heading, in the current language. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Confidant`;
  }, [title]);
}

function NotSignedIn() {
  const t = useT();
  useTitle(t('organisation.notSignedIn.title'));
  return (
    <Page title={t('organisation.notSignedIn.title')}>
      <p>{sessionEnded ? t('organisation.notSignedIn.expired') : t('organisation.notSignedIn.body')}</p>
      <p>
        <Link href="/login">{t('organisation.notSignedIn.link')}</Link>
      </p>
    </Page>
  );
}

function WrongRole() {
  const t = useT();
  useTitle(t('organisation.wrongRole.title'));
  return (
    <Page title={t('organisation.wrongRole.title')}>
      <p>{t('organisation.wrongRole.body')}</p>
      <p>
        <Link href="/inbox">{t('organisation.wrongRole.link')}</Link>
      </p>
    </Page>
  );
}

/** Renders its content only for a signed-in organisation recipient. */
export function RecipientOnly(props: { children: (account: StaffAccount) => ComponentChildren }) {
  const { account, resuming } = useResumedAccount();
  if (resuming) return <Busy />;
  if (!account) return <NotSignedIn />;
  sessionEnded = false;
  if (account.role !== 'recipient') return <WrongRole />;
  return <>{props.children(account)}</>;
}

/**
 * Who is signed in, for which organisation, and the way out; and, until it is on, the button
 * that sets up two-step verification (which the invite's set-up promised "at the top of the page").
 */
export function AccountBar(props: { account: StaffAccount }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const totp = useTotpOffer(props.account);
  const { account } = props;
  const signOut = async () => {
    setBusy(true);
    try {
      await call('signOut');
    } catch {
      // The session ends on this device whatever the server answered.
    }
    sessionEnded = false;
    setAccount(null);
    navigate('/login');
  };
  return (
    <>
      <div class="org-account" role="group" aria-label={t('organisation.account.label')}>
        <p>
          {account.organisation
            ? t('organisation.account.signedInFor', { name: account.displayName, organisation: account.organisation.name })
            : t('organisation.account.signedIn', { name: account.displayName })}
        </p>
        <OwnFingerprint />
        {totp.button}
        <Link href="/notifications">{t('staff.notifications.link')}</Link>
        <button type="button" class="secondary" disabled={busy} onClick={() => void signOut()}>
          {busy ? t('organisation.signOut.busy') : t('nav.signOut')}
        </button>
      </div>
      {totp.panel}
    </>
  );
}
