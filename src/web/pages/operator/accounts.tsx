/**
 * The console's accounts: every staff account with what it serves; disable and enable (never
 * one's own); and taking an adviser off a channel, after a confirmation that names how many cases
 * they lose the key to (the server refuses if that number changed meanwhile).
 */
import { useState } from 'preact/hooks';
import { useAction } from '../../components/use-action.js';
import { useT } from '../../i18n/index.js';
import { ListTable, OperatorError, operatorCall, type ConsoleData, type SectionProps } from './shared.js';

type Account = ConsoleData['accounts'][number];
type Removal = Awaited<ReturnType<typeof operatorCall<'previewAdviserRemoval'>>>;

export function AccountsSection(props: SectionProps & { me: string }) {
  const t = useT();
  const action = useAction();
  const [removal, setRemoval] = useState<Removal | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const change = (account: Account) =>
    action.run(async () => {
      setDone(null);
      await operatorCall(account.disabledAt === null ? 'disableAccount' : 'enableAccount', account.username);
      await props.reload();
    });
  const preview = (slug: string, username: string) =>
    action.run(async () => {
      setDone(null);
      setRemoval(await operatorCall('previewAdviserRemoval', slug, username));
    });
  const remove = (shown: Removal) =>
    action.run(async () => {
      await operatorCall('removeAdviser', shown.channel, shown.username, shown.cases);
      setRemoval(null);
      setDone(t('operator.accounts.removed', { name: shown.displayName, channel: shown.channel }));
      await props.reload();
    });
  return (
    <section aria-labelledby="operator-accounts">
      <h2 id="operator-accounts">{t('operator.accounts.title')}</h2>
      <ListTable
        caption={t('operator.accounts.caption')}
        headings={[t('operator.accounts.username'), t('operator.name'), t('operator.invites.role'), t('operator.accounts.serves'), t('operator.accounts.state')]}
        actions
        empty=""
        count={props.data.accounts.length}
      >
        {props.data.accounts.map((a) => (
          <tr key={a.username}>
            <td>{a.username}</td>
            <td>{a.displayName}</td>
            <td>{t(`operator.role.${a.role}`)}</td>
            <td>
              {a.role === 'adviser'
                ? a.channels.map((slug) => (
                    <span key={slug} class="served">
                      {slug}{' '}
                      <button type="button" class="link" disabled={action.busy} onClick={() => void preview(slug, a.username)}>
                        {t('operator.accounts.remove', { name: a.username, channel: slug })}
                      </button>
                    </span>
                  ))
                : (a.organisation ?? '')}
            </td>
            <td>{t(a.disabledAt === null ? 'operator.accounts.active' : 'operator.accounts.disabled')}</td>
            <td>
              {a.username === props.me ? null : (
                <button type="button" class="secondary" disabled={action.busy} onClick={() => void change(a)}>
                  {t(a.disabledAt === null ? 'operator.accounts.disable' : 'operator.accounts.enable', { name: a.username })}
                </button>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
      {removal ? (
        <div class="panel warning" role="alertdialog" aria-labelledby="removal-title" aria-describedby="removal-body">
          <h3 id="removal-title">{t('operator.accounts.removeTitle', { name: removal.displayName, channel: removal.channel })}</h3>
          <p id="removal-body">
            {t('operator.accounts.removeBody', { name: removal.displayName, n: removal.cases })}{' '}
            {removal.unreadable > 0 ? <strong>{t('operator.accounts.removeUnreadable', { n: removal.unreadable })}</strong> : null}
          </p>
          <div class="actions">
            <button type="button" class="danger" disabled={action.busy} onClick={() => void remove(removal)}>
              {t('operator.accounts.removeConfirm', { n: removal.cases })}
            </button>
            <button type="button" class="secondary" onClick={() => setRemoval(null)}>
              {t('operator.cancel')}
            </button>
          </div>
        </div>
      ) : null}
      <p role="status" class="ok">
        {done ?? ''}
      </p>
      <OperatorError error={action.error} />
    </section>
  );
}
