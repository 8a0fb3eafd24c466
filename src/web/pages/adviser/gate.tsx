/** The gate of the adviser pages, and the signed-in bar with sign-out and a later TOTP enrolment. */
import { OwnFingerprint } from '../../components/fingerprint.js';
import type { ComponentChildren } from 'preact';
import type { StaffAccount } from '../../../protocol/index.js';
import { Busy, Link } from '../../components/ui.js';
import { useT } from '../../i18n/index.js';
import { setAccount, useAccount, useResumedAccount } from '../../session.js';
import { homeOf, signOut } from './shared.js';
import { TotpEnrolment, useTotpOffer } from './totp.js';

/**
 * The adviser pages' gate: signed in (the keys live in the worker; a reloaded page or a new tab
 * resumes the session first), an adviser, and enrolled in TOTP when the installation requires it.
 */
export function RequireAdviser(props: { children: (account: StaffAccount) => ComponentChildren }) {
  const t = useT();
  const { account, resuming } = useResumedAccount();
  if (resuming) return <Busy />;
  if (!account) {
    return (
      <div class="panel">
        <p>{t('adviser.signedOut.body')}</p>
        <p>
          <Link href="/login" class="button">
            {t('adviser.signedOut.login')}
          </Link>
        </p>
      </div>
    );
  }
  if (account.role !== 'adviser') {
    return (
      <div class="panel">
        <p>{t(account.role === 'operator' ? 'adviser.notAdviser.operator' : 'adviser.notAdviser.body')}</p>
        <p>
          <Link href={homeOf(account)}>{t(account.role === 'operator' ? 'adviser.notAdviser.console' : 'adviser.notAdviser.relays')}</Link>
        </p>
      </div>
    );
  }
  if (account.totpRequired && !account.totpEnabled) {
    return <TotpEnrolment account={account} required onDone={() => setAccount({ ...account, totpEnabled: true })} />;
  }
  return <>{props.children(account)}</>;
}


/** "Signed in as …" with the sign-out button; nothing when signed out. */
export function AccountBar(props: { offerTotp?: boolean }) {
  const account = useAccount();
  return account ? <SignedInBar account={account} offerTotp={props.offerTotp !== false} /> : null;
}

/** Any staff account's bar: who is signed in, their key's fingerprint, TOTP until it is on, notifications, sign-out. */
export function SignedInBar(props: { account: StaffAccount; offerTotp: boolean }) {
  const t = useT();
  const totp = useTotpOffer(props.account, props.offerTotp);
  return (
    <>
      <div class="account-bar">
        <span>{t('adviser.signedInAs', { name: props.account.displayName })}</span>
        <OwnFingerprint />
        {totp.button}
        <Link href="/notifications">{t('staff.notifications.link')}</Link>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          {t('nav.signOut')}
        </button>
      </div>
      {totp.panel}
    </>
  );
}
