/** Giving another adviser of the channel access to a case: the case key sealed to their key. */
import { useEffect, useState } from 'preact/hooks';
import type { ChannelAdviser, OpenedCase, StaffAccount } from '../../../protocol/index.js';
import { Busy } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useT } from '../../i18n/index.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';

type Colleague = ChannelAdviser & { fingerprint: string };

export function GrantAccess(props: { opened: OpenedCase; account: StaffAccount }) {
  const t = useT();
  const [advisers, setAdvisers] = useState<Colleague[] | null>(null);
  const [own, setOwn] = useState<string | null>(null);
  const [chosen, setChosen] = useState('');
  const { busy, error, setError, run } = useAction();
  const [granted, setGranted] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([staffCall<Colleague[]>('channelAdvisers', [props.opened.channel]), staffCall<string>('fingerprint')])
      .then(([all, mine]) => {
        if (!live) return;
        // Whether another adviser holds the case already is not known here: offer every other one
        // the reporter did not leave out.
        const others = all.filter((a) => a.boxPublicKey !== props.account.boxPublicKey && !props.opened.excluded.includes(a.keyId));
        setAdvisers(others);
        setOwn(mine);
        setChosen(others[0]?.keyId ?? '');
      })
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [props.opened.channel, props.opened.excluded, props.account.boxPublicKey]);
  const selected = advisers?.find((a) => a.keyId === chosen);

  const grant = async (event: Event) => {
    event.preventDefault();
    const adviser = advisers?.find((a) => a.keyId === chosen);
    if (!adviser) return;
    setGranted(null);
    await run(async () => {
      await staffCall('grant', [props.opened.caseId, adviser.keyId, adviser.boxPublicKey]);
      setGranted(adviser.name);
    });
  };

  return (
    <section aria-labelledby="grant-title">
      <h2 id="grant-title">{t('adviser.grant.title')}</h2>
      <p class="hint">{t('adviser.grant.intro')}</p>
      {advisers === null && !error ? <Busy /> : null}
      {advisers && advisers.length === 0 ? <p>{t('adviser.grant.none')}</p> : null}
      {advisers && advisers.length > 0 ? (
        <form onSubmit={(event) => void grant(event)}>
          <label for="grant-adviser">{t('adviser.grant.choose')}</label>
          <select id="grant-adviser" value={chosen} onChange={(event) => setChosen((event.target as HTMLSelectElement).value)}>
            {advisers.map((a) => (
              <option value={a.keyId} key={a.keyId}>
                {a.name}
              </option>
            ))}
          </select>
          {selected ? <p class="hint fingerprint">{t('adviser.grant.fingerprint', { name: selected.name, fingerprint: selected.fingerprint })}</p> : null}
          <div class="actions">
            <button type="submit" disabled={busy || !chosen}>
              {t('adviser.grant.submit')}
            </button>
          </div>
        </form>
      ) : null}
      {props.opened.excluded.length > 0 ? <p class="hint">{t('adviser.grant.excluded')}</p> : null}
      {own ? <p class="hint fingerprint">{t('adviser.grant.own', { fingerprint: own })}</p> : null}
      <AdviserError error={error} />
      <LiveStatus message={granted ? t('adviser.grant.done', { name: granted }) : null} />
    </section>
  );
}
