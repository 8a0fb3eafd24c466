/**
 * A case's evidence files, for the reporter's mailbox and the adviser's case alike: the list
 * (names from the opened headers), a download that decrypts as it streams, and attaching a file
 * with progress, pause, resume and cancel. The page supplies the worker calls; the encryption,
 * the upload and the decryption all run in the worker.
 */
import { useState } from 'preact/hooks';
import type { FileEntry } from '../../protocol/file-transfer.js';
import type { AttachmentEntry } from '../../protocol/relay-attachments.js';
import type { Inspection } from '../worker/file-cleaning.js';
import { FlowError } from '../crypto.js';
import { useLang, useT } from '../i18n/index.js';

export type Author = FileEntry['author'];

export interface FilesProps {
  files: FileEntry[];
  /** How the page calls the authors: "you" on one side, "the adviser" on the other. */
  authorLabel(author: Author): string;
  /** Encrypts and sends `file`, or its cleaned copy (transferId names it for pause/resume/cancel); resolves once it counts. */
  attach(transferId: string, file: File, clean: boolean, progress: (stage: string, fraction?: number) => void): Promise<void>;
  /** Decrypts a file into `target`, or answers it as a Blob when there is no target. */
  download(fileId: string, target: FileSystemFileHandle | null, progress: (stage: string, fraction?: number) => void): Promise<Blob | null>;
  control(method: 'pauseTransfer' | 'resumeTransfer' | 'cancelTransfer', transferId: string): Promise<unknown>;
  /** What a chosen file carries besides its content. */
  inspect(file: File): Promise<Inspection>;
  /** The largest file the server takes, in bytes (0: files are off). */
  maxBytes?: number;
}

/** Sizes as people read them. */
export function formatBytes(bytes: number, lang: string): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toLocaleString(lang, { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
}

/** The error key of a failed transfer, in the reader's language. */
function fileErrorKey(error: unknown): string {
  const code = error instanceof FlowError ? error.code : '';
  switch (code) {
    case 'stream_truncated':
      return 'files.error.truncated';
    case 'stream_corrupt':
    case 'stream_after_final':
    case 'decrypt_failed':
      return 'files.error.corrupt';
    case 'file_too_large':
      return 'files.error.tooLarge';
    case 'case_files_full':
      return 'files.error.full';
    case 'files_disabled':
      return 'files.error.disabled';
    case 'upload_restart':
      return 'files.error.restart';
    case 'file_body_missing':
      return 'files.error.missing';
    case 'upload_cancelled':
      return 'files.cancelled';
    case 'network_error':
      return 'files.error.network';
    default:
      return 'files.error.other';
  }
}

function FileError(props: { error: unknown }) {
  const t = useT();
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p class="error" role="alert">
      {t(fileErrorKey(props.error), { message })}
    </p>
  );
}

/** Saves a decrypted Blob through a download link: the fallback where the browser has no save dialog. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy by the time the click returns; later is merely safe.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

type PickerWindow = Window & { showSaveFilePicker?: (options: { suggestedName: string }) => Promise<FileSystemFileHandle> };

/** One file to read: a file of the case (with its author) or a relay's attachment. */
function FileRow(props: { entry: FileEntry | AttachmentEntry; authorLabel?: FilesProps['authorLabel']; download: FilesProps['download'] }) {
  const t = useT();
  const { entry } = props;
  const [fraction, setFraction] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const { lang } = useLang();

  const open = async () => {
    if (!entry.ok) return;
    setError(null);
    setSaved(false);
    let target: FileSystemFileHandle | null = null;
    const picker = (window as PickerWindow).showSaveFilePicker;
    if (picker) {
      try {
        target = await picker.call(window, { suggestedName: entry.name });
      } catch (e) {
        // The reader closed the dialog: nothing to do.
        if ((e as Error).name === 'AbortError') return;
        target = null;
      }
    }
    setFraction(0);
    try {
      const blob = await props.download(entry.fileId, target, (_stage, f) => f !== undefined && setFraction(f));
      if (blob) saveBlob(blob, entry.name);
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setFraction(null);
    }
  };

  return (
    <li data-testid="file">
      <p class="meta">
        {'author' in entry && props.authorLabel ? <>{props.authorLabel(entry.author)} · </> : null}
        {entry.ok ? formatBytes(entry.size, lang) : null}
      </p>
      {entry.ok ? (
        <>
          <span class="file-name">{entry.name}</span>{' '}
          <button type="button" class="secondary" disabled={fraction !== null} onClick={() => void open()}>
            {t('files.download')}
          </button>
          {fraction !== null ? <progress max={1} value={fraction} aria-label={t('files.downloading', { name: entry.name })} /> : null}
          {saved ? <span class="ok" role="status"> {t('files.saved')}</span> : null}
          <FileError error={error} />
        </>
      ) : (
        <p class="error">{t(entry.error === 'unknown_file' ? 'files.notListed' : 'files.unreadable')}</p>
      )}
    </li>
  );
}

let transfers = 0;

/**
 * What the chosen file carries, and the choice between the cleaned copy (the default) and the
 * original; `name` groups the choice's radio buttons (one group per file on a page).
 */
export function Metadata(props: { inspection: Inspection; clean: boolean; onClean(clean: boolean): void; name?: string }) {
  const t = useT();
  const { kind, findings, cleanable } = props.inspection;
  return (
    <div class="metadata" data-testid="metadata">
      {findings.length > 0 ? (
        <>
          <p>{t('files.meta.intro')}</p>
          <ul>
            {findings.map((f, i) => (
              <li key={i}>
                {t(`files.meta.${f.what}`)}: {f.value}
              </li>
            ))}
          </ul>
        </>
      ) : cleanable ? (
        <p>{t('files.meta.none')}</p>
      ) : null}
      {kind === 'pdf' ? <p class="hint">{t('files.meta.pdfNote')}</p> : null}
      {cleanable ? (
        <fieldset>
          <legend>{t('files.clean.legend')}</legend>
          <label>
            <input type="radio" name={props.name ?? 'clean'} checked={props.clean} onChange={() => props.onClean(true)} /> {t(kind === 'pdf' ? 'files.clean.pdf' : 'files.clean.image')}
          </label>
          <label>
            <input type="radio" name={props.name ?? 'clean'} checked={!props.clean} onChange={() => props.onClean(false)} /> {t('files.clean.original')}
          </label>
        </fieldset>
      ) : (
        <p class="notice">{t('files.meta.other')}</p>
      )}
    </div>
  );
}

/** Choosing and sending one file at a time, with what it carries, its progress and controls. */
function Attach(props: Pick<FilesProps, 'attach' | 'control' | 'maxBytes' | 'inspect'>) {
  const t = useT();
  const [file, setFile] = useState<File | null>(null);
  const [inspection, setInspection] = useState<Inspection | null>(null);
  const [clean, setClean] = useState(true);
  const [transfer, setTransfer] = useState<{ id: string; fraction: number; paused: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const { lang } = useLang();
  const tooLarge = file !== null && props.maxBytes !== undefined && file.size > props.maxBytes;

  const send = async () => {
    if (!file || tooLarge) return;
    const id = `transfer-${(transfers += 1)}`;
    setError(null);
    setDone(null);
    setTransfer({ id, fraction: 0, paused: false });
    try {
      await props.attach(id, file, clean && inspection?.cleanable === true, (stage, fraction) => {
        if (stage === 'uploading' && fraction !== undefined) setTransfer((now) => now && { ...now, fraction });
      });
      setDone(file.name);
      setFile(null);
      setInspection(null);
    } catch (e) {
      setError(e);
    } finally {
      setTransfer(null);
    }
  };

  const control = async (method: 'pauseTransfer' | 'resumeTransfer' | 'cancelTransfer') => {
    if (!transfer) return;
    if (method === 'resumeTransfer') setTransfer((now) => now && { ...now, paused: false });
    await props.control(method, transfer.id).catch(setError);
    // Shown once the worker has stopped sending: progress it reported before that arrives first.
    if (method === 'pauseTransfer') setTransfer((now) => now && { ...now, paused: true });
  };

  return (
    <form
      class="attach"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label>
        {t('files.choose')}
        <input
          type="file"
          name="file"
          disabled={transfer !== null}
          onChange={(e) => {
            const chosen = (e.currentTarget as HTMLInputElement).files?.[0] ?? null;
            setDone(null);
            setError(null);
            setFile(chosen);
            setInspection(null);
            setClean(true);
            if (chosen) void props.inspect(chosen).then(setInspection, setError);
          }}
        />
      </label>
      <p class="hint">
        {t('files.hint')}
        {props.maxBytes ? <> {t('files.max', { size: formatBytes(props.maxBytes, lang) })}</> : null}
      </p>
      {tooLarge ? <p class="error" role="alert">{t('files.error.tooLarge')}</p> : null}
      {file && inspection && transfer === null ? <Metadata inspection={inspection} clean={clean} onClean={setClean} /> : null}
      {transfer ? (
        <div class="transfer">
          <progress max={1} value={transfer.fraction} aria-label={t('files.uploading', { name: file?.name ?? '' })} />
          <span role="status">
            {transfer.paused ? t('files.paused') : t('files.percent', { percent: Math.floor(transfer.fraction * 100) })}
          </span>
          <div class="actions">
            {transfer.paused ? (
              <button type="button" class="secondary" onClick={() => void control('resumeTransfer')}>
                {t('files.resume')}
              </button>
            ) : (
              <button type="button" class="secondary" onClick={() => void control('pauseTransfer')}>
                {t('files.pause')}
              </button>
            )}
            <button type="button" class="secondary" onClick={() => void control('cancelTransfer')}>
              {t('files.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <button type="submit" disabled={!file || tooLarge || inspection === null}>
            {t('files.send')}
          </button>
        </div>
      )}
      {done ? <p class="ok" role="status">{t('files.sent', { name: done })}</p> : null}
      <FileError error={error} />
    </form>
  );
}

export function Files(props: FilesProps) {
  const t = useT();
  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">{t('files.title')}</h2>
      {props.files.length === 0 ? (
        <p>{t('files.none')}</p>
      ) : (
        <ul class="files">
          {props.files.map((entry) => (
            <FileRow key={entry.fileId} entry={entry} authorLabel={props.authorLabel} download={props.download} />
          ))}
        </ul>
      )}
      {props.files.some((f) => f.ok) ? <p class="hint">{t('files.savedHint')}</p> : null}
      {props.maxBytes === 0 ? <p class="hint">{t('files.off')}</p> : <Attach attach={props.attach} control={props.control} maxBytes={props.maxBytes} inspect={props.inspect} />}
    </section>
  );
}

/**
 * The attachments of a relay (an extension): documents the adviser made for the organisation,
 * named by the relay text, read and decrypted like files. Shown to the adviser, to the reporter
 * before deciding, and to the organisation.
 */
export function Attachments(props: { attachments: AttachmentEntry[]; download: FilesProps['download'] }) {
  const t = useT();
  if (props.attachments.length === 0) return null;
  return (
    <div class="attachments">
      <h4>{t('files.attachments.title')}</h4>
      <ul class="files">
        {props.attachments.map((entry, index) => (
          <FileRow key={`${index}-${entry.fileId}`} entry={entry} download={props.download} />
        ))}
      </ul>
    </div>
  );
}
