/**
 * The console's channels: each with its settings (name, consent rule, proof of work, retention)
 * and its list of departments or locations, editable in place; and a form for a new channel.
 */
import { useState } from 'preact/hooks';
import { useAction } from '../../components/use-action.js';
import { useT } from '../../i18n/index.js';
import { ListTable, OperatorError, operatorCall, valueOf, type ConsoleData, type SectionProps } from './shared.js';

type Channel = ConsoleData['channels'][number];

/** A list of locations as the operator types it: one `id = name` per line. */
export function parseLocations(text: string): Array<{ id: string; name: string }> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? { id: line, name: line } : { id: line.slice(0, at).trim(), name: line.slice(at + 1).trim() };
    });
}

const locationsText = (channel: Channel) => channel.locations.map((l) => `${l.id} = ${l.name}`).join('\n');

export function ChannelsSection(props: SectionProps) {
  const t = useT();
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <section aria-labelledby="operator-channels">
      <h2 id="operator-channels">{t('operator.channels.title')}</h2>
      <ListTable
        caption={t('operator.channels.caption')}
        headings={[
          t('operator.slug'),
          t('operator.name'),
          t('operator.channels.organisation'),
          t('operator.channels.consent'),
          t('operator.channels.pow'),
          t('operator.channels.retention'),
          t('operator.channels.immediate'),
          t('operator.channels.locations'),
        ]}
        actions
        empty={t('operator.channels.none')}
        count={props.data.channels.length}
      >
        {props.data.channels.map((c) => (
          <tr key={c.slug}>
            <td>{c.slug}</td>
            <td>{c.name}</td>
            <td>{c.organisation}</td>
            <td>{t(c.consentRequired ? 'operator.yes' : 'operator.no')}</td>
            <td>{c.powDifficulty}</td>
            <td>{t('operator.channels.months', { n: c.retentionMonths })}</td>
            <td>{t(c.immediateMail ? 'operator.yes' : 'operator.no')}</td>
            <td>{c.locations.length}</td>
            <td>
              <button type="button" class="secondary" aria-expanded={editing === c.slug} onClick={() => setEditing(editing === c.slug ? null : c.slug)}>
                {t('operator.channels.edit', { slug: c.slug })}
              </button>
            </td>
          </tr>
        ))}
      </ListTable>
      {props.data.channels
        .filter((c) => c.slug === editing)
        .map((c) => (
          <ChannelEditor key={c.slug} channel={c} reload={props.reload} />
        ))}
      <NewChannel {...props} />
    </section>
  );
}

function ChannelEditor(props: { channel: Channel; reload(): Promise<void> }) {
  const t = useT();
  const { channel } = props;
  const [name, setName] = useState(channel.name);
  const [consent, setConsent] = useState(channel.consentRequired);
  const [pow, setPow] = useState(String(channel.powDifficulty));
  const [retention, setRetention] = useState(String(channel.retentionMonths));
  const [immediate, setImmediate] = useState(channel.immediateMail);
  const [locations, setLocations] = useState(locationsText(channel));
  const [saved, setSaved] = useState<string | null>(null);
  const settings = useAction();
  const list = useAction();
  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(null);
    await settings.run(async () => {
      const changed = await operatorCall('updateChannel', channel.slug, { name, consentRequired: consent, powDifficulty: Number(pow), retentionMonths: Number(retention), immediateMail: immediate });
      setSaved(changed.overdue > 0 ? t('operator.channels.savedOverdue', { n: changed.overdue }) : t('operator.channels.saved'));
      await props.reload();
    });
  };
  const saveLocations = async (event: Event) => {
    event.preventDefault();
    setSaved(null);
    await list.run(async () => {
      await operatorCall('putChannelLocations', channel.slug, parseLocations(locations));
      setSaved(t('operator.channels.locationsSaved'));
      await props.reload();
    });
  };
  const id = (field: string) => `channel-${channel.slug}-${field}`;
  return (
    <div class="panel" role="group" aria-labelledby={id('title')}>
      <h3 id={id('title')}>{t('operator.channels.editing', { slug: channel.slug })}</h3>
      <form onSubmit={(event) => void save(event)}>
        <label for={id('name')}>{t('operator.name')}</label>
        <input id={id('name')} required value={name} onInput={(e) => setName(valueOf(e))} />
        <label class="choice" for={id('consent')}>
          <input id={id('consent')} type="checkbox" checked={consent} onChange={(e) => setConsent((e.target as HTMLInputElement).checked)} />
          <span>{t('operator.channels.consentLabel')}</span>
        </label>
        <label for={id('pow')}>{t('operator.channels.pow')}</label>
        <input id={id('pow')} type="number" min={0} max={32} required value={pow} onInput={(e) => setPow(valueOf(e))} aria-describedby={id('pow-hint')} />
        <p class="hint" id={id('pow-hint')}>
          {t('operator.channels.powHint')}
        </p>
        <label for={id('retention')}>{t('operator.channels.retentionLabel')}</label>
        <input id={id('retention')} type="number" min={1} max={120} required value={retention} onInput={(e) => setRetention(valueOf(e))} aria-describedby={id('retention-hint')} />
        <p class="hint" id={id('retention-hint')}>
          {t('operator.channels.retentionHint')}
        </p>
        <label class="choice" for={id('immediate')}>
          <input id={id('immediate')} type="checkbox" checked={immediate} onChange={(e) => setImmediate((e.target as HTMLInputElement).checked)} aria-describedby={id('immediate-hint')} />
          <span>{t('operator.channels.immediateLabel')}</span>
        </label>
        <p class="hint" id={id('immediate-hint')}>
          {t('operator.channels.immediateHint')}
        </p>
        <div class="actions">
          <button type="submit" disabled={settings.busy}>
            {t('operator.channels.save')}
          </button>
        </div>
        <OperatorError error={settings.error} />
      </form>
      <form onSubmit={(event) => void saveLocations(event)}>
        <label for={id('locations')}>{t('operator.channels.locationsLabel')}</label>
        <textarea id={id('locations')} rows={5} value={locations} onInput={(e) => setLocations((e.target as HTMLTextAreaElement).value)} aria-describedby={id('locations-hint')} />
        <p class="hint" id={id('locations-hint')}>
          {t('operator.channels.locationsHint')}
        </p>
        <div class="actions">
          <button type="submit" class="secondary" disabled={list.busy}>
            {t('operator.channels.saveLocations')}
          </button>
        </div>
        <OperatorError error={list.error} />
      </form>
      <p role="status" class="ok">
        {saved ?? ''}
      </p>
    </div>
  );
}

function NewChannel(props: SectionProps) {
  const t = useT();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [organisation, setOrganisation] = useState(props.data.organisations[0]?.slug ?? '');
  const [consent, setConsent] = useState(true);
  const { busy, error, run } = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const done = await run(async () => {
      await operatorCall('createChannel', { slug: slug.trim(), name, organisation, consentRequired: consent });
      await props.reload();
    });
    if (done) {
      setSlug('');
      setName('');
    }
  };
  if (props.data.organisations.length === 0) return <p>{t('operator.channels.needsOrganisation')}</p>;
  return (
    <form onSubmit={(event) => void create(event)} aria-labelledby="operator-new-channel">
      <h3 id="operator-new-channel">{t('operator.channels.new')}</h3>
      <label for="channel-slug">{t('operator.slug')}</label>
      <input id="channel-slug" required value={slug} onInput={(e) => setSlug(valueOf(e))} aria-describedby="channel-slug-hint" />
      <p class="hint" id="channel-slug-hint">
        {t('operator.channels.slugHint')}
      </p>
      <label for="channel-name">{t('operator.name')}</label>
      <input id="channel-name" required value={name} onInput={(e) => setName(valueOf(e))} />
      <label for="channel-organisation">{t('operator.channels.organisation')}</label>
      <select id="channel-organisation" value={organisation} onChange={(e) => setOrganisation(valueOf(e))}>
        {props.data.organisations.map((o) => (
          <option key={o.slug} value={o.slug}>
            {o.name}
          </option>
        ))}
      </select>
      <label class="choice" for="channel-consent">
        <input id="channel-consent" type="checkbox" checked={consent} onChange={(e) => setConsent((e.target as HTMLInputElement).checked)} />
        <span>{t('operator.channels.consentLabel')}</span>
      </label>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {t('operator.channels.create')}
        </button>
      </div>
      <OperatorError error={error} />
    </form>
  );
}
