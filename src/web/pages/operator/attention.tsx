/**
 * What needs the operator, at the top of the console: the same three things as their daily
 * digest (channels without an active adviser, organisations without an active recipient,
 * invites about to lapse), or a plain "nothing".
 */
import { useT } from '../../i18n/index.js';
import type { SectionProps } from './shared.js';

export function AttentionSection(props: Pick<SectionProps, 'data'>) {
  const t = useT();
  const { channelsWithoutAdviser, organisationsWithoutRecipient, invitesExpiringSoon } = props.data.attention;
  const items = [
    ...channelsWithoutAdviser.map((name) => t('operator.attention.channel', { name })),
    ...organisationsWithoutRecipient.map((name) => t('operator.attention.organisation', { name })),
    ...(invitesExpiringSoon > 0 ? [t('operator.attention.invites', { count: String(invitesExpiringSoon) })] : []),
  ];
  return (
    <section aria-labelledby="operator-attention" class={items.length > 0 ? 'notice' : undefined} data-testid="operator-attention">
      <h2 id="operator-attention">{t('operator.attention.title')}</h2>
      {items.length === 0 ? (
        <p>{t('operator.attention.none')}</p>
      ) : (
        <ul>
          {items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
