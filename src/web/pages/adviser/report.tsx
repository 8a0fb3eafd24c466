/** The reporter's report as the adviser reads it: the answers, the anonymity choice, an identity if given. */
import type { ReportPlaintext } from '../../../protocol/index.js';
import { adviser as strings } from '../../i18n/adviser.js';
import { useT } from '../../i18n/index.js';
import { IDENTITY_FIELDS, QUESTIONS } from '../reporter/fields.js';

/** An answer's value as text: strings as they are, lists joined, anything else as JSON. */
export function answerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(answerText).join(', ');
  if (value === null || value === undefined) return '—';
  return JSON.stringify(value, null, 2);
}

/** A question's label: ours when we know the key, the key itself otherwise. */
function useLabel() {
  const t = useT();
  return (group: 'answer' | 'identity', key: string) => {
    const catalogueKey = `adviser.${group}.${key}`;
    return catalogueKey in strings.en ? t(catalogueKey) : key;
  };
}

/** The form's order: its own fields first, as the reporter saw them, then any that another client added. */
const FORM_ORDER: Record<'answer' | 'identity', readonly string[]> = { answer: QUESTIONS, identity: IDENTITY_FIELDS };

function Fields(props: { fields: Record<string, unknown>; group: 'answer' | 'identity'; valueLang: string | undefined }) {
  const label = useLabel();
  const order = FORM_ORDER[props.group];
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  const entries = Object.entries(props.fields).sort(([a], [b]) => rank(a) - rank(b));
  return (
    <dl class="answers">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{label(props.group, key)}</dt>
          <dd class="pre" lang={props.valueLang}>
            {answerText(value)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function ReportView(props: { report: ReportPlaintext }) {
  const t = useT();
  const { report } = props;
  // The answers are in the reporter's language, which may differ from the page's.
  const valueLang = /^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(report.lang) ? report.lang : undefined;
  return (
    <div class="report">
      <p class="meta">
        {t(report.anonymity === 'anonymous' ? 'adviser.report.anonymous' : 'adviser.report.confidential')}
      </p>
      <Fields fields={report.answers} group="answer" valueLang={valueLang} />
      {report.identity && Object.keys(report.identity).length > 0 ? (
        <div class="panel">
          <p>
            <strong>{t('adviser.report.identity')}</strong>
          </p>
          <Fields fields={report.identity} group="identity" valueLang={valueLang} />
        </div>
      ) : null}
    </div>
  );
}
