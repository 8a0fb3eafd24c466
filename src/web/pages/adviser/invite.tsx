/**
 * Accepting an invite: name, user name and passphrase (with a strength hint); the recovery key
 * shown once, with the plain warning about losing both; then sign-in and TOTP enrolment.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreatedAccount, StaffAccount } from '../../../protocol/index.js';
import { Busy, Link, Page } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { call } from '../../crypto.js';
import { useT } from '../../i18n/index.js';
import { keepLang, navigate } from '../../router.js';
import { setAccount } from '../../session.js';
import { MIN_PASSPHRASE_LENGTH } from './strength.js';
import { NewPassphraseFields } from './new-passphrase.js';
import { AdviserError, LiveStatus, homeOf } from './shared.js';
import { AccountBar } from './gate.js';
import { TotpEnrolment } from './totp.js';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

type Step = 'form' | 'recovery' | 'signingIn' | 'totp';

/** The roles an invite link can name; a link without one (an older link) gets texts for either. */
const INVITED_AS = ['adviser', 'recipient', 'operator'] as const;

export function InvitePage(_: { params: Record<string, string> }) {
  const t = useT();
  const [token] = useState(() => location.hash.replace(/^#/, '').trim());
  // Chooses the texts only: the invite itself decides the role.
  const [invitedAs] = useState(() => INVITED_AS.find((role) => role === new URLSearchParams(location.search).get('for')) ?? 'staff');
  const [step, setStep] = useState<Step>('form');
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [stage, setStage] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<CreatedAccount | null>(null);
  const [stored, setStored] = useState(false);
  const [copied, setCopied] = useState(false);
  const [account, setLocalAccount] = useState<StaffAccount | null>(null);

  // Focus the new step's heading, so that keyboard and screen reader users start there.
  const firstStep = useRef(true);
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    document.getElementById('invite-step')?.focus();
  }, [step]);

  if (!token) {
    return (
      <Page title={t('adviser.invite.title')}>
        <p class="error" role="alert">
          {t('adviser.invite.noToken')}
        </p>
      </Page>
    );
  }

  const validation = (): string | null => {
    if (!displayName.trim()) return 'display_name_missing';
    if (!USERNAME_PATTERN.test(username)) return 'invalid_username';
    if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return 'passphrase_short';
    if (passphrase !== repeat) return 'passphrase_mismatch';
    return null;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = validation();
    if (problem) return setError({ code: problem });
    await run(async () => {
      const result = await call<CreatedAccount>('setUpAccount', [token, username, displayName.trim(), passphrase], setStage);
      // The invite is used: it has no business in the address bar any more.
      history.replaceState(null, '', keepLang('/invite'));
      setCreated(result);
      setStep('recovery');
    });
    setStage(null);
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.recoveryKey);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  const finish = (signedIn: StaffAccount) => {
    setAccount(signedIn);
    navigate(homeOf(signedIn));
  };

  const continueToSignIn = async () => {
    setStep('signingIn');
    await run(async () => {
      const signedIn = await call<StaffAccount>('signIn', [username, passphrase, undefined], setStage);
      setCreated(null);
      setPassphrase('');
      setRepeat('');
      setLocalAccount(signedIn);
      setAccount(signedIn);
      setStep('totp');
    });
    setStage(null);
  };

  return (
    <Page title={t('adviser.invite.title')}>
      <AccountBar offerTotp={false} />
      {step === 'form' ? (
        <>
          <h2 id="invite-step" tabIndex={-1}>
            {t('adviser.invite.formTitle')}
          </h2>
          <p>{t(`adviser.invite.intro.${invitedAs}`)}</p>
          <form onSubmit={(event) => void submit(event)} noValidate>
            <label for="invite-display-name">{t('adviser.invite.displayName')}</label>
            <input
              id="invite-display-name"
              type="text"
              autoComplete="name"
              maxLength={100}
              value={displayName}
              aria-describedby="invite-display-name-hint"
              onInput={(event) => setDisplayName((event.target as HTMLInputElement).value)}
            />
            <p class="hint" id="invite-display-name-hint">
              {t(`adviser.invite.displayNameHint.${invitedAs}`)}
            </p>
            <label for="invite-username">{t('adviser.username')}</label>
            <input
              id="invite-username"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              maxLength={64}
              value={username}
              aria-describedby="invite-username-hint"
              onInput={(event) => setUsername((event.target as HTMLInputElement).value.trim().toLowerCase())}
            />
            <p class="hint" id="invite-username-hint">
              {t('adviser.invite.usernameHint')}
            </p>
            <NewPassphraseFields
              ids={{ passphrase: 'invite-passphrase', repeat: 'invite-passphrase-repeat' }}
              label={t('adviser.passphrase')}
              passphrase={passphrase}
              repeat={repeat}
              onPassphrase={setPassphrase}
              onRepeat={setRepeat}
            />
            <p class="panel warning">{t('adviser.invite.noEscrow')}</p>
            <div class="actions">
              <button type="submit" disabled={busy}>
                {t('adviser.invite.submit')}
              </button>
            </div>
          </form>
        </>
      ) : null}

      {step === 'recovery' && created ? (
        <>
          <h2 id="invite-step" tabIndex={-1}>
            {t('adviser.recovery.title')}
          </h2>
          <p>{t('adviser.recovery.intro')}</p>
          <p class="code" data-testid="recovery-key">
            {created.recoveryKey}
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void copy()}>
              {t('adviser.recovery.copy')}
            </button>
          </div>
          <LiveStatus message={copied ? t('adviser.recovery.copied') : null} />
          <div class="panel warning">
            <p>
              <strong>{t('adviser.recovery.warningTitle')}</strong>
            </p>
            <p>{t('adviser.recovery.warning')}</p>
          </div>
          <label class="choice" for="recovery-stored">
            <input id="recovery-stored" type="checkbox" checked={stored} onChange={(event) => setStored((event.target as HTMLInputElement).checked)} />
            <span>{t('adviser.recovery.confirm')}</span>
          </label>
          <div class="actions">
            <button type="button" disabled={!stored} onClick={() => void continueToSignIn()}>
              {t('adviser.recovery.continue')}
            </button>
          </div>
        </>
      ) : null}

      {step === 'signingIn' ? (
        <>
          <h2 id="invite-step" tabIndex={-1}>
            {t('adviser.invite.signingIn')}
          </h2>
          {error ? (
            <p>
              <Link href="/login">{t('adviser.invite.toLogin')}</Link>
            </p>
          ) : null}
        </>
      ) : null}

      {step === 'totp' && account ? (
        <div id="invite-step" tabIndex={-1}>
          <p class="ok">{t('adviser.invite.ready', { name: account.displayName })}</p>
          <TotpEnrolment account={account} required={account.totpRequired} onDone={() => finish({ ...account, totpEnabled: true })} onSkip={() => finish(account)} />
        </div>
      ) : null}

      {busy ? <Busy stage={stage} /> : null}
      <AdviserError error={error} />
    </Page>
  );
}
