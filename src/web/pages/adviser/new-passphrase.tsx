/** Choosing a new passphrase (on an invite, at recovery): the field, its strength, and the repeat. */
import { useT } from '../../i18n/index.js';
import { MIN_PASSPHRASE_LENGTH, passphraseStrength, type Strength } from './strength.js';

/** The strength of a passphrase in words and in a bar; the words carry the meaning. */
export function StrengthIndicator(props: { passphrase: string; id: string }) {
  const t = useT();
  if (!props.passphrase) {
    return (
      <p class="hint" id={props.id}>
        {t('adviser.passphrase.hint', { min: MIN_PASSPHRASE_LENGTH })}
      </p>
    );
  }
  const strength: Strength = passphraseStrength(props.passphrase);
  return (
    <div class={`strength strength-${strength}`} id={props.id}>
      <span class="strength-bar" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      <span class="strength-text">
        <strong>{t('adviser.passphrase.strength', { level: t(`adviser.passphrase.${strength}`) })}</strong> {t(`adviser.passphrase.${strength}Hint`, { min: MIN_PASSPHRASE_LENGTH })}
      </span>
    </div>
  );
}

export function NewPassphraseFields(props: {
  ids: { passphrase: string; repeat: string };
  label: string;
  passphrase: string;
  repeat: string;
  onPassphrase(value: string): void;
  onRepeat(value: string): void;
}) {
  const t = useT();
  const strengthId = `${props.ids.passphrase}-strength`;
  return (
    <>
      <label for={props.ids.passphrase}>{props.label}</label>
      <input
        id={props.ids.passphrase}
        type="password"
        autoComplete="new-password"
        value={props.passphrase}
        aria-describedby={strengthId}
        onInput={(event) => props.onPassphrase((event.target as HTMLInputElement).value)}
      />
      <StrengthIndicator passphrase={props.passphrase} id={strengthId} />
      <label for={props.ids.repeat}>{t('adviser.invite.repeat')}</label>
      <input
        id={props.ids.repeat}
        type="password"
        autoComplete="new-password"
        value={props.repeat}
        onInput={(event) => props.onRepeat((event.target as HTMLInputElement).value)}
      />
    </>
  );
}
