/** The signed-in account's key fingerprint, for colleagues and operators to compare out of band. */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../crypto.js';
import { useT } from '../i18n/index.js';

export function OwnFingerprint() {
  const t = useT();
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // The worker computes it from the account's own secret keys, never from a server answer.
    call<string>('fingerprint').then((value) => live && setFingerprint(value), () => {});
    return () => {
      live = false;
    };
  }, []);
  return fingerprint ? (
    <span class="fingerprint" title={t('staff.fingerprint.hint')}>
      {t('staff.fingerprint', { fingerprint })}
    </span>
  ) : null;
}
