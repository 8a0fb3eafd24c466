/**
 * The web app's catalogues: Dutch and English have the same keys, no empty strings, the same
 * placeholders, and every key the source asks for exists. No browser needed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { LANGS, catalogueKeys, translate } from '../src/web/i18n/index.js';
import { common } from '../src/web/i18n/common.js';
import { reporter } from '../src/web/i18n/reporter.js';
import { adviser } from '../src/web/i18n/adviser.js';
import { organisation } from '../src/web/i18n/organisation.js';
import { operator } from '../src/web/i18n/operator.js';
import { IDENTITY_FIELDS, QUESTIONS } from '../src/web/pages/reporter/fields.js';
import { OPERATOR_EXPLAINED } from '../src/web/pages/operator/errors.js';

const root = path.resolve(import.meta.dirname, '..');
const webDir = path.join(root, 'src/web');

type Catalogue = Record<'nl' | 'en', Record<string, string>>;
const modules: Record<string, Catalogue> = { common, reporter, adviser, organisation, operator };

const placeholders = (text: string): string[] => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''))].sort();

/** Every source file of the browser app outside the catalogues, with its text. */
function sources(): Array<{ file: string; text: string }> {
  return (readdirSync(webDir, { recursive: true }) as string[])
    .filter((file) => /\.tsx?$/.test(file) && !file.startsWith(`i18n${path.sep}`))
    .map((file) => ({ file: path.join('src/web', file), text: readFileSync(path.join(webDir, file), 'utf8') }));
}

t.test('Dutch and English have exactly the same keys', async (t) => {
  const { nl, en } = catalogueKeys();
  t.ok(nl.length > 0, 'the catalogues are not empty');
  t.same(
    nl.filter((key) => !en.includes(key)),
    [],
    'no key only in Dutch',
  );
  t.same(
    en.filter((key) => !nl.includes(key)),
    [],
    'no key only in English',
  );
  for (const [name, catalogue] of Object.entries(modules)) {
    t.same(Object.keys(catalogue.nl).sort(), Object.keys(catalogue.en).sort(), `${name}: the same keys in both languages`);
  }
});

t.test('each area keeps to its own keys, so no catalogue silently overrides another', async (t) => {
  for (const name of ['reporter', 'adviser', 'organisation', 'operator']) {
    const catalogue = modules[name] as Catalogue;
    for (const lang of LANGS) {
      t.same(
        Object.keys(catalogue[lang]).filter((key) => !key.startsWith(`${name}.`)),
        [],
        `${name} (${lang}): every key starts with "${name}."`,
      );
    }
  }
  for (const lang of LANGS) {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [name, catalogue] of Object.entries(modules)) {
      for (const key of Object.keys(catalogue[lang])) {
        if (seen.has(key)) clashes.push(`${key} in ${seen.get(key)} and ${name}`);
        seen.set(key, name);
      }
    }
    t.same(clashes, [], `${lang}: no key defined twice`);
  }
});

t.test('no string is empty and placeholders match between the languages', async (t) => {
  const { nl } = catalogueKeys();
  const empty: string[] = [];
  const mismatched: string[] = [];
  for (const key of nl) {
    for (const lang of LANGS) {
      // translate() returns the key itself when the string is missing, so compare with the raw catalogues.
      const text = Object.values(modules).find((c) => key in c[lang])?.[lang][key];
      if (typeof text !== 'string' || text.trim() === '') empty.push(`${lang}:${key}`);
    }
    const nlText = translate('nl', key);
    const enText = translate('en', key);
    if (placeholders(nlText).join(',') !== placeholders(enText).join(',')) {
      mismatched.push(`${key}: nl {${placeholders(nlText).join('}, {')}} / en {${placeholders(enText).join('}, {')}}`);
    }
  }
  t.same(empty, [], 'no empty string');
  t.same(mismatched, [], 'the same placeholders in nl and en');
});

t.test('translate fills placeholders and switches language', async (t) => {
  t.equal(translate('nl', 'organisation.inbox.page', { n: 2 }), 'Pagina 2');
  t.equal(translate('en', 'organisation.inbox.page', { n: 2 }), 'Page 2');
  t.equal(translate('en', 'organisation.author.adviser'), 'Adviser');
  t.equal(translate('nl', 'organisation.author.adviser'), 'Vertrouwenspersoon');
  t.equal(translate('nl', 'organisation.author.organisation'), 'Organisatie');
  t.equal(translate('en', 'organisation.author.organisation'), 'Organisation');
  t.equal(translate('nl', 'no.such.key'), 'no.such.key', 'a missing key shows itself');
});

t.test('every key the web app asks for exists in both languages', async (t) => {
  const { nl, en } = catalogueKeys();
  const known = new Set(nl.filter((key) => en.includes(key)));
  const files = sources();
  t.ok(files.length > 0, 'found the sources of the web app');

  // Literal keys: t('area.name') and t("area.name").
  const missing: string[] = [];
  let literals = 0;
  for (const { file, text } of files) {
    for (const match of text.matchAll(/\bt\(\s*(['"])([A-Za-z0-9_.-]+)\1/g)) {
      literals++;
      const key = match[2] ?? '';
      if (!known.has(key)) missing.push(`${file}: ${key}`);
    }
  }
  t.ok(literals > 0, `found ${literals} literal keys`);
  t.same(missing, [], 'every literal key exists');

  // Keys built from a prefix, like t(`status.${status}`): checked against the values they can take.
  const stages = new Set<string>();
  for (const { file, text } of files) {
    if (!file.includes(`worker${path.sep}`) && !file.endsWith('worker.ts')) continue;
    for (const match of text.matchAll(/\bprogress\(\s*'([a-z_]+)'\s*\)/g)) stages.add(match[1] ?? '');
  }
  const valueSets: Record<string, string[]> = {
    'progress.': [...stages],
    'status.': ['received', 'acknowledged', 'in_progress', 'closed'],
    'relayState.': ['awaiting_consent', 'approved', 'declined', 'sent'],
    'reporter.relays.item.': ['awaiting_consent', 'approved', 'declined', 'sent'],
    'adviser.invite.intro.': ['adviser', 'recipient', 'operator', 'staff'],
    'adviser.invite.displayNameHint.': ['adviser', 'recipient', 'operator', 'staff'],
    'operator.role.': ['adviser', 'recipient', 'operator'],
    'operator.error.': [...OPERATOR_EXPLAINED],
    'reporter.relays.state.': ['awaiting_consent', 'approved', 'declined', 'sent'],
  };
  const missingBuilt: string[] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(/\bt\(\s*`([A-Za-z0-9_.-]*)\$\{/g)) {
      const prefix = match[1] ?? '';
      const values = valueSets[prefix];
      if (values) {
        for (const value of values) if (!known.has(prefix + value)) missingBuilt.push(`${file}: ${prefix}${value}`);
      } else if (![...known].some((key) => key.startsWith(prefix))) {
        missingBuilt.push(`${file}: no key starts with ${prefix}`);
      } else {
        t.comment(`${file}: keys built from "${prefix}" are checked only for the prefix`);
      }
    }
  }
  t.ok(stages.has('deriving'), 'the worker reports its stages');
  t.same(missingBuilt, [], 'every built key exists for every value it can take');
});

t.test('every field the report form can produce has its label for the reporter and the adviser, in both languages', async (t) => {
  for (const lang of LANGS) {
    for (const question of QUESTIONS) {
      t.ok(reporter[lang][`reporter.field.${question}`], `${lang}: the form asks "${question}"`);
      t.ok(adviser[lang][`adviser.answer.${question}`], `${lang}: the adviser reads the answer to "${question}" under a label`);
    }
    for (const field of IDENTITY_FIELDS) {
      t.ok(reporter[lang][`reporter.identity.${field}`], `${lang}: the form asks for "${field}"`);
      t.ok(adviser[lang][`adviser.identity.${field}`], `${lang}: the adviser reads "${field}" under a label`);
    }
  }
});

t.test('the Dutch texts keep to the editor\'s rules (issue 14, item 17)', async (t) => {
  const dutch = Object.entries(modules).flatMap(([name, catalogue]) => Object.entries(catalogue.nl).map(([key, text]) => ({ key: `${name}:${key}`, text })));
  const breaking = (rule: (text: string) => boolean) => dutch.filter(({ text }) => rule(text)).map(({ key }) => key);
  t.same(breaking((text) => /[„‘"«»]/.test(text)), [], 'one quotation-mark style: “…” (an apostrophe is ’)');
  t.same(breaking((text) => /organisatie/.test(text) && /(ver|door)?stu(u)?r(en|d|t)?\b/i.test(text) && !/Verstuur hier niets/.test(text)), [], 'relaying to the organisation is always “doorgeven”');
  for (const [what, pattern] of [
    ['“U blijft anoniem” promises too much', /U blijft anoniem/],
    ['the role is plain “vertrouwenspersoon”', /vertrouwenspersoon integriteit/],
    ['no literal “het hoogste gezag”', /hoogste gezag/],
    ['no “kan niet worden teruggehaald”', /kan niet worden teruggehaald/],
    ['no jargon about keys being derived', /Sleutels worden afgeleid/],
    ['no jargon about computing protection', /wordt berekend/],
    ['a lapsed sign-in does not say the report was closed', /Uw melding is gesloten/],
    ['never “nooit … doorgegeven” about the identity, which the law can override', /nooit aan de organisatie doorgegeven/],
  ] as const) {
    t.same(breaking((text) => pattern.test(text)), [], what);
  }
  const nl = (key: string) => dutch.find((entry) => entry.key === key)?.text ?? '';
  t.match(nl('reporter:reporter.landing.anon.title'), /^U kunt anoniem melden$/, 'the heading promises what is true');
  t.match(nl('reporter:reporter.landing.anon.content'), /inhoud van een melding kan laten zien wie hem schreef/, 'with the warning that content can give the writer away');
  t.match(nl('reporter:reporter.anonymity.confidential.hint'), /geen verschoningsrecht/, 'the confidential option says when the law can override it');
  t.match(nl('reporter:reporter.error.sessionEnded'), /^U bent automatisch uitgelogd\. Uw melding is bewaard\./, 'a lapsed sign-in says so');
  t.match(nl('reporter:reporter.landing.what.deadlines'), /3 maanden na die bevestiging .* beoordeeld/, 'the feedback deadline runs from the acknowledgement, and is the assessment');
  t.match(nl('adviser:adviser.relay.intro'), /de werkgever of het bevoegd gezag/);
  for (const key of ['reporter:reporter.landing.external.body', 'reporter:reporter.done.external', 'reporter:reporter.status.external']) {
    t.match(nl(key), /Huis voor Klokkenluiders/, `${key}: the reporter may also go to the Huis voor Klokkenluiders`);
  }
});
