/** The console's organisations: the list, and a form for a new one. */
import { useState } from 'preact/hooks';
import { useAction } from '../../components/use-action.js';
import { useT } from '../../i18n/index.js';
import { ListTable, OperatorError, operatorCall, valueOf, type SectionProps } from './shared.js';

export function OrganisationsSection(props: SectionProps) {
  const t = useT();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const done = await run(async () => {
      await operatorCall('createOrganisation', { slug: slug.trim(), name });
      await props.reload();
    });
    if (done) {
      setSlug('');
      setName('');
    }
  };
  return (
    <section aria-labelledby="operator-organisations">
      <h2 id="operator-organisations">{t('operator.organisations.title')}</h2>
      <ListTable caption={t('operator.organisations.caption')} headings={[t('operator.slug'), t('operator.name')]} empty={t('operator.organisations.none')} count={props.data.organisations.length}>
        {props.data.organisations.map((o) => (
          <tr key={o.slug}>
            <td>{o.slug}</td>
            <td>{o.name}</td>
          </tr>
        ))}
      </ListTable>
      <form onSubmit={(event) => void create(event)} aria-labelledby="operator-new-organisation">
        <h3 id="operator-new-organisation">{t('operator.organisations.new')}</h3>
        <label for="organisation-slug">{t('operator.slug')}</label>
        <input id="organisation-slug" required value={slug} onInput={(e) => setSlug(valueOf(e))} aria-describedby="organisation-slug-hint" />
        <p class="hint" id="organisation-slug-hint">
          {t('operator.slugHint')}
        </p>
        <label for="organisation-name">{t('operator.name')}</label>
        <input id="organisation-name" required value={name} onInput={(e) => setName(valueOf(e))} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('operator.organisations.create')}
          </button>
        </div>
        <OperatorError error={error} />
      </form>
    </section>
  );
}
