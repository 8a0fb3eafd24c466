/** TOTP enrolment: a QR code of the otpauth:// URI, the secret as text, and one code to confirm. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { setAccount } from '../../session.js';
import type { StaffAccount, TotpStartResponse } from '../../../protocol/index.js';
import { useT } from '../../i18n/index.js';
import { QrCode } from './qr.js';
import { AdviserError, errorCode, LiveStatus, staffCall } from './shared.js';
import { useAction } from '../../components/use-action.js';

/** The secret in groups of four, easier to type into an app. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function TotpEnrolment(props: { account: Pick<StaffAccount, 'totpRequired'>; required?: boolean; onDone(): void; onSkip?: () => void }) {
  const t = useT();
  const required = props.required ?? props.account.totpRequired;
  const [started, setStarted] = useState<TotpStartResponse | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState(false);

  const start = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      try {
        setStarted(await staffCall<TotpStartResponse>('startTotp', [passphrase]));
        setPassphrase('');
      } catch (e) {
        // Enabled meanwhile (another tab): nothing left to set up.
        if (errorCode(e) === 'totp_enabled') return props.onDone();
        throw e;
      }
    });
  };

  const confirm = async (event: Event) => {
    event.preventDefault();
    const clean = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(clean)) return setError({ code: 'totp_format' });
    await run(async () => {
      await staffCall('confirmTotp', [clean]);
      setDone(true);
      props.onDone();
    });
  };

  /** Each step's submit button, and a way past enrolment where the installation allows one. */
  const actions = (submit: string) => (
    <div class="actions">
      <button type="submit" disabled={busy}>
        {t(submit)}
      </button>
      {!required && props.onSkip ? (
        <button type="button" class="secondary" onClick={props.onSkip} disabled={busy}>
          {t('adviser.totp.skip')}
        </button>
      ) : null}
    </div>
  );

  return (
    <section class="panel totp" aria-labelledby="totp-title">
      <h2 id="totp-title">{t('adviser.totp.title')}</h2>
      <p>{t('adviser.totp.intro')}</p>
      {required ? <p class="warning panel">{t('adviser.totp.required')}</p> : <p>{t('adviser.totp.optional')}</p>}
      {!started ? (
        <form onSubmit={(event) => void start(event)} noValidate>
          <label for="totp-passphrase">{t('adviser.passphrase')}</label>
          <input
            id="totp-passphrase"
            type="password"
            autoComplete="current-password"
            value={passphrase}
            onInput={(event) => setPassphrase((event.target as HTMLInputElement).value)}
            aria-describedby="totp-passphrase-hint"
          />
          <p class="hint" id="totp-passphrase-hint">
            {t('adviser.totp.passphraseHint')}
          </p>
          {actions('adviser.totp.start')}
        </form>
      ) : (
        <>
          <ol>
            <li>{t('adviser.totp.step1')}</li>
            <li>{t('adviser.totp.step2')}</li>
            <li>{t('adviser.totp.step3')}</li>
          </ol>
          <QrCode value={started.uri} label={t('adviser.totp.qrLabel')} />
          <p>{t('adviser.totp.secretLabel')}</p>
          <p class="secret" data-testid="totp-secret">
            {groupSecret(started.secret)}
          </p>
          <form onSubmit={(event) => void confirm(event)} noValidate>
            <label for="totp-confirm-code">{t('adviser.totp.codeLabel')}</label>
            <input
              id="totp-confirm-code"
              class="short"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={7}
              value={code}
              onInput={(event) => setCode((event.target as HTMLInputElement).value)}
              aria-describedby="totp-confirm-hint"
            />
            <p class="hint" id="totp-confirm-hint">
              {t('adviser.totp.codeHint')}
            </p>
            {actions('adviser.totp.confirm')}
          </form>
        </>
      )}
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('busy') : done ? t('adviser.totp.done') : null} />
    </section>
  );
}

/**
 * Two-step verification set up later, from an account bar: the button (until it is on, and where
 * the installation does not require it at sign-in anyway) and the enrolment panel it opens.
 */
export function useTotpOffer(account: StaffAccount, offered = true): { button: VNode | null; panel: VNode | null } {
  const t = useT();
  const [enrolling, setEnrolling] = useState(false);
  const button =
    offered && !account.totpEnabled && !account.totpRequired && !enrolling ? (
      <button type="button" class="secondary" onClick={() => setEnrolling(true)}>
        {t('adviser.totp.later')}
      </button>
    ) : null;
  const panel =
    enrolling && !account.totpEnabled ? (
      <TotpEnrolment
        account={account}
        required={false}
        onSkip={() => setEnrolling(false)}
        onDone={() => {
          setEnrolling(false);
          setAccount({ ...account, totpEnabled: true });
        }}
      />
    ) : null;
  return { button, panel };
}
