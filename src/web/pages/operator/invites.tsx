/**
 * The console's invites: a one-time link for an adviser of a channel, a recipient of an
 * organisation or another operator (shown once: the server keeps only its hash), and the list of
 * open invites, each revocable.
 */
import { useState } from 'preact/hooks';
import type { NewInvite } from '../../../protocol/index.js';
import { formatTime } from '../../components/ui.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { ListTable, OperatorError, operatorCall, valueOf, type SectionProps } from './shared.js';

type Role = NewInvite['role'];

export function InvitesSection(props: SectionProps) {
  const t = useT();
  const { lang } = useLang();
  const [role, setRole] = useState<Role>('adviser');
  const [channel, setChannel] = useState(props.data.channels[0]?.slug ?? '');
  const [organisation, setOrganisation] = useState(props.data.organisations[0]?.slug ?? '');
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const creating = useAction();
  const revoking = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    setLink(null);
    setCopied(false);
    await creating.run(async () => {
      const body: NewInvite = role === 'adviser' ? { role, channel } : role === 'recipient' ? { role, organisation } : { role };
      setLink((await operatorCall('createInvite', body)).link);
      await props.reload();
    });
  };
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  const revoke = (id: string) =>
    revoking.run(async () => {
      await operatorCall('revokeInvite', id);
      await props.reload();
    });
  return (
    <section aria-labelledby="operator-invites">
      <h2 id="operator-invites">{t('operator.invites.title')}</h2>
      <form onSubmit={(event) => void create(event)} aria-labelledby="operator-new-invite">
        <h3 id="operator-new-invite">{t('operator.invites.new')}</h3>
        <label for="invite-role">{t('operator.invites.role')}</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(valueOf(e) as Role)}>
          <option value="adviser">{t('operator.role.adviser')}</option>
          <option value="recipient">{t('operator.role.recipient')}</option>
          <option value="operator">{t('operator.role.operator')}</option>
        </select>
        {role === 'adviser' ? (
          <>
            <label for="invite-channel">{t('operator.invites.channel')}</label>
            <select id="invite-channel" value={channel} onChange={(e) => setChannel(valueOf(e))}>
              {props.data.channels.map((c) => (
                <option key={c.slug} value={c.slug}>
                  {c.name}
                </option>
              ))}
            </select>
          </>
        ) : null}
        {role === 'recipient' ? (
          <>
            <label for="invite-organisation">{t('operator.invites.organisation')}</label>
            <select id="invite-organisation" value={organisation} onChange={(e) => setOrganisation(valueOf(e))}>
              {props.data.organisations.map((o) => (
                <option key={o.slug} value={o.slug}>
                  {o.name}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <div class="actions">
          <button type="submit" disabled={creating.busy}>
            {t('operator.invites.create')}
          </button>
        </div>
        <OperatorError error={creating.error} />
      </form>
      {link ? (
        <div class="panel" role="status">
          <p>{t('operator.invites.created')}</p>
          <p class="code" data-testid="invite-link">
            {link}
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void copy()}>
              {t('operator.invites.copy')}
            </button>
          </div>
          {copied ? <p class="ok">{t('operator.invites.copied')}</p> : null}
        </div>
      ) : null}
      <ListTable
        caption={t('operator.invites.caption')}
        headings={[t('operator.invites.role'), t('operator.invites.for'), t('operator.invites.expires')]}
        actions
        empty={t('operator.invites.none')}
        count={props.data.invites.length}
      >
        {props.data.invites.map((i) => (
          <tr key={i.id}>
            <td>{t(`operator.role.${i.role}`)}</td>
            <td>{i.target === 'installation' ? t('operator.invites.installation') : i.target.replace(/^\S+ /, '')}</td>
            <td>{formatTime(i.expiresAt, lang)}</td>
            <td>
              <button type="button" class="secondary" disabled={revoking.busy} onClick={() => void revoke(i.id)}>
                {t('operator.invites.revoke')}
              </button>
            </td>
          </tr>
        ))}
      </ListTable>
      <OperatorError error={revoking.error} />
    </section>
  );
}
