/**
 * Relaying to the organisation (protocol-v1 §5): the editor with the original report beside the
 * anonymised text, the relays of the case with their state and the Send button (enabled only
 * once the reporter approved), and the thread with the organisation once a relay is sent.
 */
import { useEffect, useState } from 'preact/hooks';
import { relayReference } from '../../../protocol/case-reference.js';
import type { OpenedCase, OpenedRelay, OpenedRelayThread, RelayKeyHolder, RelayRecipients, RelayState } from '../../../protocol/index.js';
import { Attachments, formatBytes, Metadata } from '../../components/files.js';
import { Busy, formatTime } from '../../components/ui.js';
import type { Inspection } from '../../worker/file-cleaning.js';
import { useAction } from '../../components/use-action.js';
import { useLang, useT } from '../../i18n/index.js';
import { ReportView } from './report.js';
import { AdviserError, LiveStatus, staffCall } from './shared.js';

/** The body of a relay text or copy, when it has one. */
export function relayBody(relay: OpenedRelay): string | null {
  if (!relay.ok) return null;
  const copy = relay.copy as { body?: unknown } | null;
  return copy && typeof copy.body === 'string' ? copy.body : null;
}

function RelayThread(props: { relayId: string; index: number }) {
  const t = useT();
  const { lang } = useLang();
  const [thread, setThread] = useState<OpenedRelayThread | null>(null);
  const [loading, setLoading] = useState(true);
  const [body, setBody] = useState('');
  const { busy, error, setError, run } = useAction();
  const [sent, setSent] = useState(false);
  const [reload, setReload] = useState(0);
  const id = `relay-${props.index}-reply`;

  useEffect(() => {
    let live = true;
    setLoading(true);
    staffCall<OpenedRelayThread>('openRelay', [props.relayId])
      .then((opened) => live && setThread(opened))
      .catch((e: unknown) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [props.relayId, reload]);

  const post = async (event: Event) => {
    event.preventDefault();
    if (!body.trim()) return setError({ code: 'message_empty' });
    setSent(false);
    await run(async () => {
      setThread(await staffCall<OpenedRelayThread>('postRelayMessage', [props.relayId, body.trim()]));
      setBody('');
      setSent(true);
    });
  };

  return (
    <div class="relay-thread">
      <h4>{t('adviser.relay.threadTitle')}</h4>
      {thread?.approval === 'mismatch' ? <p class="panel warning">{t('adviser.relay.approvalMismatch')}</p> : null}
      {loading && !thread ? <Busy /> : null}
      {thread && thread.messages.length === 0 ? <p class="hint">{t('adviser.relay.threadEmpty')}</p> : null}
      {thread && thread.messages.length > 0 ? (
        <ul class="messages">
          {thread.messages.map((m, i) => (
            <li key={i} class={m.author === 'adviser' ? 'mine' : undefined}>
              <p class="meta">
                {t(m.author === 'adviser' ? 'adviser.relay.fromAdviser' : 'adviser.relay.fromOrganisation')} · {formatTime(m.sentAt, lang)}
              </p>
              <p class="pre">{m.message.body}</p>
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={(event) => void post(event)} noValidate>
        <label for={id}>{t('adviser.relay.replyLabel')}</label>
        <textarea id={id} value={body} onInput={(event) => setBody((event.target as HTMLTextAreaElement).value)} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {t('adviser.relay.replySend')}
          </button>
          <button type="button" class="secondary" disabled={loading} onClick={() => setReload((n) => n + 1)}>
            {t('adviser.relay.threadRefresh')}
          </button>
        </div>
      </form>
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('progress.sending') : sent ? t('adviser.relay.replySent') : null} />
    </div>
  );
}

function RelayItem(props: { relay: OpenedRelay; index: number; onChanged(): Promise<void> }) {
  const t = useT();
  const { relay, index } = props;
  const { busy, error, run } = useAction();
  const [message, setMessage] = useState<string | null>(null);
  const body = relayBody(relay);
  const titleId = `relay-${index}-title`;

  const send = async () => {
    await run(async () => {
      await staffCall('sendRelay', [relay.relayId]);
      setMessage(t('adviser.relay.sentNow'));
      await props.onChanged();
    });
  };

  return (
    <article class="panel relay" aria-labelledby={titleId}>
      <h3 id={titleId}>{t('adviser.relay.itemTitle', { n: index + 1 })}</h3>
      <p>
        {t('adviser.relay.stateLabel')} <strong class={`relay-state relay-state-${relay.state}`}>{t(`adviser.relayState.${relay.state}`)}</strong>
      </p>
      {relay.state === 'sent' ? <p class="meta">{t('adviser.relay.reference', { ref: relayReference(relay.relayId) })}</p> : null}
      {body !== null ? <blockquote class="pre">{body}</blockquote> : <p class="error">{t('adviser.relay.unreadable')}</p>}
      {relay.ok ? (
        <Attachments attachments={relay.attachments} download={(fileId, target, progress) => staffCall<Blob | null>('downloadRelayAttachment', [relay.relayId, fileId, target], progress)} />
      ) : null}
      {relay.state !== 'sent' ? (
        <>
          <div class="actions">
            <button type="button" disabled={relay.state !== 'approved' || busy} onClick={() => void send()} aria-describedby={`relay-${index}-send-hint`}>
              {t('adviser.relay.send')}
            </button>
          </div>
          <p class="hint" id={`relay-${index}-send-hint`}>
            {t(`adviser.relay.sendHint.${relay.state}`)}
          </p>
        </>
      ) : null}
      <AdviserError error={error} />
      <LiveStatus message={busy ? t('progress.sending') : message} />
      {relay.state === 'sent' ? <RelayThread relayId={relay.relayId} index={index} /> : null}
    </article>
  );
}

type ShownHolder = RelayKeyHolder & { fingerprint: string };
export type ShownRecipients = Omit<RelayRecipients, 'recipients' | 'advisers'> & { recipients: ShownHolder[]; advisers: ShownHolder[] };

const readerKeys = (holders: ShownRecipients) => [...holders.recipients, ...holders.advisers].map((h) => `${h.keyId}:${h.fingerprint}`).sort().join(',');
export const sameReaders = (a: ShownRecipients, b: ShownRecipients | null) => b !== null && readerKeys(a) === readerKeys(b);

/** Who will be able to read the relay, with the fingerprints to compare before writing to them. */
export function RelayReaders(props: { holders: ShownRecipients }) {
  const t = useT();
  const { holders } = props;
  const line = (h: ShownHolder) => (
    <li key={h.keyId}>
      {h.name} <span class="fingerprint">{h.fingerprint}</span>
    </li>
  );
  return (
    <div class="relay-readers">
      <p>{t('adviser.relay.readers', { organisation: holders.organisation.name })}</p>
      <ul>
        {holders.recipients.map(line)}
        {holders.advisers.map(line)}
      </ul>
      <p class="hint">{t('adviser.relay.readersHint')}</p>
    </div>
  );
}

/** A document chosen for the relay: what it carries, and whether its cleaned copy goes (the default where one can be made). */
interface ChosenAttachment {
  file: File;
  inspection: Inspection | null;
  clean: boolean;
}

let attachmentTransfers = 0;

/**
 * The documents for the organisation: chosen here, shown with what they carry, and sent only
 * when the relay is written. Only the adviser's own or anonymised documents belong here: the
 * reporter's files never go to the organisation.
 */
function AttachmentChooser(props: { chosen: ChosenAttachment[]; onChange(update: (current: ChosenAttachment[]) => ChosenAttachment[]): void; disabled: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const { chosen } = props;
  /** Changes the row of `file`: rows are found by their file, since inspections arrive in any order. */
  const update = (file: File, change: Partial<ChosenAttachment>) => props.onChange((current) => current.map((c) => (c.file === file ? { ...c, ...change } : c)));

  const add = (files: File[]) => {
    props.onChange((current) => [...current, ...files.map((file) => ({ file, inspection: null, clean: true }))]);
    for (const file of files) {
      void staffCall<Inspection>('inspectFile', [file]).then(
        (inspection) => update(file, { inspection }),
        // Not readable as an image or PDF: sent as it is, with the plain warning.
        () => update(file, { inspection: { kind: 'other', findings: [], cleanable: false } }),
      );
    }
  };

  return (
    <fieldset class="relay-attachments">
      <legend>{t('adviser.relay.attachments.legend')}</legend>
      <p class="hint" id="relay-attachments-hint">
        {t('adviser.relay.attachments.hint')}
      </p>
      <input
        type="file"
        multiple
        aria-describedby="relay-attachments-hint"
        aria-label={t('adviser.relay.attachments.choose')}
        disabled={props.disabled}
        onChange={(event) => {
          const input = event.currentTarget as HTMLInputElement;
          add([...(input.files ?? [])]);
          input.value = '';
        }}
      />
      {chosen.length > 0 ? (
        <ul class="files">
          {chosen.map((c, index) => (
            <li key={index} data-testid="relay-attachment">
              <span class="file-name">{c.file.name}</span> <span class="meta">· {formatBytes(c.file.size, lang)}</span>{' '}
              <button type="button" class="secondary" disabled={props.disabled} onClick={() => props.onChange((current) => current.filter((c) => c.file !== chosen[index]!.file))}>
                {t('adviser.relay.attachments.remove', { name: c.file.name })}
              </button>
              {c.inspection ? <Metadata inspection={c.inspection} clean={c.clean} onClean={(clean) => update(c.file, { clean })} name={`relay-clean-${index}`} /> : <Busy />}
            </li>
          ))}
        </ul>
      ) : null}
    </fieldset>
  );
}

export function RelaySection(props: { opened: OpenedCase; onChanged(): Promise<void> }) {
  const t = useT();
  const { opened } = props;
  const [holders, setHolders] = useState<ShownRecipients | null>(null);
  const [text, setText] = useState('');
  const [attachments, setAttachments] = useState<ChosenAttachment[]>([]);
  const [sending, setSending] = useState<{ n: number; of: number; percent: number } | null>(null);
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<RelayState | null>(null);
  const pending = opened.relays.some((r) => r.state === 'awaiting_consent');
  /** Known only once the readers are loaded: until then nothing is claimed either way. */
  const noRecipient = holders !== null && holders.recipients.length === 0;

  // Each (re)load of the case reloads the readers and drops the last error: its cause (no
  // recipient yet, a changed list) is judged again from what the server says now.
  useEffect(() => {
    let live = true;
    setError(null);
    staffCall<ShownRecipients>('relayRecipients', [opened.caseId])
      .then((shown) => live && setHolders(shown))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [opened]);

  const create = async (event: Event) => {
    event.preventDefault();
    if (!text.trim()) return setError({ code: 'relay_empty' });
    setCreated(null);
    await run(async () => {
      // Seal only to readers the adviser has seen: when the list changed since, show it first.
      const fresh = await staffCall<ShownRecipients>('relayRecipients', [opened.caseId]);
      if (fresh.recipients.length > 0 && !sameReaders(fresh, holders)) {
        setHolders(fresh);
        setError({ code: 'relay_readers_changed' });
        return;
      }
      // Each document is encrypted and sent first; the relay then names them, and only then exists.
      const ids: string[] = [];
      try {
        for (const [index, a] of attachments.entries()) {
          setSending({ n: index + 1, of: attachments.length, percent: 0 });
          const transferId = `relay-attachment-${(attachmentTransfers += 1)}`;
          const cleanable = a.clean && a.inspection?.cleanable === true;
          ids.push(
            await staffCall<string>('attachToRelay', [transferId, opened.caseId, a.file, cleanable], (stage, fraction) => {
              if (stage === 'uploading' && fraction !== undefined) setSending({ n: index + 1, of: attachments.length, percent: Math.floor(fraction * 100) });
            }),
          );
        }
      } finally {
        setSending(null);
      }
      const result = await staffCall<{ relayId: string; state: RelayState }>('createRelay', [opened.caseId, text.trim(), fresh, ids]);
      setText('');
      setAttachments([]);
      setCreated(result.state);
      await props.onChanged();
    });
  };

  return (
    <section aria-labelledby="relay-title">
      <h2 id="relay-title">{t('adviser.relay.title')}</h2>
      <p>{t('adviser.relay.intro')}</p>
      <div class="columns">
        <div>
          <h3>{t('adviser.relay.original')}</h3>
          <ReportView report={opened.report} />
        </div>
        <form onSubmit={(event) => void create(event)} noValidate>
          <h3>{t('adviser.relay.editorTitle')}</h3>
          <label for="relay-text">{t('adviser.relay.textLabel')}</label>
          <textarea id="relay-text" class="tall" value={text} aria-describedby="relay-text-hint" onInput={(event) => setText((event.target as HTMLTextAreaElement).value)} />
          <p class="hint" id="relay-text-hint">
            {t('adviser.relay.textHint')}
          </p>
          <AttachmentChooser chosen={attachments} onChange={setAttachments} disabled={busy} />
          {holders && holders.recipients.length > 0 ? <RelayReaders holders={holders} /> : null}
          {pending ? <p class="panel warning">{t('adviser.relay.pending')}</p> : null}
          {noRecipient ? <p class="panel warning">{t('adviser.relay.noRecipient')}</p> : null}
          <div class="actions">
            <button type="submit" disabled={busy || pending || noRecipient || attachments.some((a) => a.inspection === null)}>
              {t('adviser.relay.create')}
            </button>
          </div>
        </form>
      </div>
      <AdviserError error={error} />
      {sending ? <progress max={100} value={sending.percent} aria-label={t('adviser.relay.attachments.sending', sending)} /> : null}
      <LiveStatus
        message={
          sending
            ? t('adviser.relay.attachments.sending', sending)
            : busy
              ? t('progress.sending')
              : created
                ? t('adviser.relay.created', { state: t(`adviser.relayState.${created}`) })
                : null
        }
      />
      {opened.relays.length > 0 ? (
        <>
          {opened.relays.map((relay, index) => (
            <RelayItem key={relay.relayId} relay={relay} index={index} onChanged={props.onChanged} />
          ))}
        </>
      ) : (
        <p class="hint">{t('adviser.relay.none')}</p>
      )}
    </section>
  );
}
