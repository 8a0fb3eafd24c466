// The OpenAPI document is generated from the contract (src/protocol/contract): it must pass
// Redocly's recommended rules (so client generators in other languages get usable names), and
// hold exactly the contract's operations with their names, security and statuses.
import { createConfig, lintFromString } from '@redocly/openapi-core';
import t from 'tap';
import { operations } from '../src/protocol/contract/index.js';
import { errorStatuses } from '../src/server/routes/operation-route.js';
import { buildTestApp } from './helper.js';

interface DocumentOperation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  responses?: Record<string, unknown>;
}
interface Document {
  servers?: unknown[];
  paths: Record<string, Record<string, DocumentOperation>>;
}

/** `/api/v1/cases/:caseId` as OpenAPI writes it. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

t.test("the OpenAPI document passes Redocly's recommended rules without an error or warning", async (t) => {
  const { app } = await buildTestApp(t);
  const source = (await app.inject('/api/openapi.json')).body;
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
  const described = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
  t.same(described, [], 'no problem');
  // The linter is live: a document without operation ids and servers fails it.
  const broken = JSON.parse(source) as Document;
  delete broken.servers;
  for (const item of Object.values(broken.paths)) for (const op of Object.values(item)) delete op.operationId;
  const brokenProblems = await lintFromString({ source: JSON.stringify(broken), absoluteRef: 'broken.json', config });
  t.ok(brokenProblems.some((p) => p.ruleId === 'operation-operationId'), 'a missing operationId is found');
  t.ok(brokenProblems.some((p) => p.ruleId === 'no-empty-servers'), 'missing servers are found');
});

/** How the document writes an error answer: the one Error component. */
const errorAnswer = {
  description: 'Default Response',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

t.test('the document holds exactly the contract: every operation with its id, summary, tag, security and statuses', async (t) => {
  const { app } = await buildTestApp(t);
  const document = (await app.inject('/api/openapi.json')).json<Document>();
  const inDocument = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) inDocument.add(`${method.toUpperCase()} ${path} ${op.operationId ?? '(none)'}`);
  }
  const contract = Object.values(operations);
  t.ok(contract.length >= 35, `${contract.length} operations in the contract`);
  t.same(
    [...inDocument].sort(),
    contract.map((op) => `${op.method} ${openApiPath(op.url)} ${op.operationId}`).sort(),
    'the same routes, each under its operationId',
  );
  for (const op of contract) {
    const entry = document.paths[openApiPath(op.url)]?.[op.method.toLowerCase()];
    if (!entry) continue; // reported above
    t.equal(entry.summary, op.summary, `${op.operationId}: summary`);
    t.same(entry.tags, [op.tag], `${op.operationId}: tag`);
    const expected = op.auth === 'none' ? [] : [{ [op.auth === 'mailbox' ? 'mailboxSession' : 'staffSession']: [] }];
    t.same(entry.security, expected, `${op.operationId}: security ${op.auth}`);
    const statuses = [...Object.keys(op.response), ...errorStatuses(op).map(String)].sort();
    t.same(Object.keys(entry.responses ?? {}).sort(), statuses, `${op.operationId}: statuses ${statuses.join(' ')}`);
    for (const status of errorStatuses(op)) {
      t.same(entry.responses?.[status], errorAnswer, `${op.operationId}: ${status} is the error body`);
    }
  }
});

t.test('every operation of the contract is registered, under a method and path of its own', async (t) => {
  const { app } = await buildTestApp(t);
  const contract = Object.values(operations);
  for (const op of contract) t.ok(app.hasRoute({ method: op.method, url: op.url }), `${op.method} ${op.url} is registered`);
  const routes = contract.map((op) => `${op.method} ${op.url}`);
  t.equal(new Set(routes).size, routes.length, 'no two operations share a method and path');
});
