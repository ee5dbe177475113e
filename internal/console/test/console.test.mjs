// Browser tests of the segment console (deploy/local/ui-test.sh sets the
// environment): a real Chromium builds the spec's worked example by
// clicking and typing, and every figure it shows is checked against the
// API's own answer for the same request.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const BASE = process.env.SEGMENTD_URL, KEY = process.env.SEGMENTD_DEMO_KEY, APP = 'demo';
const SHOTS = process.env.SCREENSHOTS, PROFILE = process.env.UI_PROFILE || '/tmp/segmentd-ui-profile';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// The spec's worked example (docs/segment-language.md, "A worked example").
const WORKED = {
  type: 'and', children: [
    { type: 'event', event: '$meta', aggregate: { fn: 'last', property: 'isMember' }, window: { calendar: 'day', offset: 0 }, op: 'eq', value: 1 },
    { type: 'event', event: '$buy', aggregate: { fn: 'avg', property: 'items.price' }, window: { all: true }, op: 'gte', value: 10000 },
    { type: 'event', event: '$buy', aggregate: { fn: 'sum', property: 'items.price' }, window: { calendar: 'week', offset: -1 }, op: 'lte', value: 100 },
    { type: 'event', event: '$session', window: { calendar: 'week', offset: -1 }, op: 'gt', value: 10 }],
};

async function api(method, path, body) {
  const res = await fetch(`${BASE}/v1/apps/${APP}${path}`, {
    method, headers: { Authorization: `Bearer ${KEY}` }, body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return path.endsWith('.txt') || path.endsWith('.csv') ? res.text() : res.json();
}

const figures = {};
let failed = 0;
async function step(name, fn) {
  const t = Date.now();
  try { await fn(); console.log(`ok   ${name} (${Date.now() - t} ms)`); } catch (err) { failed++; console.log(`FAIL ${name}: ${err.stack || err}`); }
}

rmSync(PROFILE, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });
// A fresh profile each run (--user-data-dir, which playwright takes as the
// persistent context's directory).
const ctx = await chromium.launchPersistentContext(PROFILE, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 }, acceptDownloads: true,
});
const page = await ctx.newPage();
page.setDefaultTimeout(15000);

// Nothing may be fetched from anywhere but this server, and the page may
// log no error (a CSP violation, an exception) but a refused request's.
const outside = [], pageErrors = [];
page.on('request', r => { if (!r.url().startsWith(BASE) && !/^(data|blob):/.test(r.url())) outside.push(r.url()); });
page.on('pageerror', e => pageErrors.push(String(e)));
page.on('console', m => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text()); });

// waitFor polls a predicate in the page. (Playwright's waitForFunction
// evaluates a string in the page, which the console's CSP forbids, as it
// should: page.evaluate goes through the DevTools protocol instead.)
async function waitFor(fn, arg, { timeout = 15000 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString().slice(0, 200)}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

const k = key => page.locator(`[data-k="${key}"]`);
const c = i => `/children/${i}`;

// axe runs axe-core in the page (evaluated through the DevTools protocol,
// which the page's CSP does not govern) and fails on serious or critical.
async function axe(label) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  figures.axe = figures.axe || {};
  figures.axe[label] = res.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length})`);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`), [], `axe on ${label}`);
}

await step('the console loads at / with its first paint under a second', async () => {
  await page.goto(`${BASE}/`);
  await page.locator('#key').waitFor();
  const paint = await page.evaluate(() => {
    const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint') || performance.getEntriesByType('paint')[0];
    return p ? p.startTime : null;
  });
  figures.firstPaintMs = paint && Math.round(paint);
  assert.ok(paint !== null && paint < 1000, `first paint ${paint} ms`);
  await page.screenshot({ path: `${SHOTS}/sign-in.png` });
  await axe('sign-in');
});

await step('a wrong key is refused in words', async () => {
  await page.fill('#key', 'sgd_nope_nope');
  await page.click('button[type=submit]');
  await page.locator('#signin-status[data-kind=error]').waitFor();
  assert.match(await page.textContent('#signin-status'), /refused|key/i);
});

await step('sign in with the demo key; the key is not shown again', async () => {
  await page.fill('#key', KEY);
  await page.fill('#app-id', APP);
  await page.click('button[type=submit]');
  await page.locator('#app').waitFor();
  assert.ok(!(await page.content()).includes(KEY), 'the key is in the page');
  // the key is in this tab's session storage, and nowhere that outlives it
  const stored = await page.evaluate(() => [Object.keys(sessionStorage), Object.keys(localStorage).filter(k => k.startsWith('segmentd'))]);
  assert.deepEqual(stored, [['segmentd.console.session'], []]);
});

await step('build the worked example by clicking and typing', async () => {
  for (let i = 0; i < 4; i++) await k('|add-event').click();
  // 1: member today: last of isMember, this day, = 1
  await k(`${c(0)}|event`).fill('$meta');
  await k(`${c(0)}|fn`).selectOption('last');
  await k(`${c(0)}|property`).fill('isMember');
  await k(`${c(0)}|window`).selectOption('this');
  await k(`${c(0)}/window|calendar`).selectOption('day');
  await k(`${c(0)}|op`).selectOption('eq');
  await k(`${c(0)}|value`).fill('1');
  // 2: average purchase over all time ≥ 10000
  await k(`${c(1)}|event`).fill('$buy');
  await k(`${c(1)}|fn`).selectOption('avg');
  await k(`${c(1)}|property`).fill('items.price');
  await k(`${c(1)}|value`).fill('10000');
  // 3: spent ≤ 100 last week
  await k(`${c(2)}|event`).fill('$buy');
  await k(`${c(2)}|fn`).selectOption('sum');
  await k(`${c(2)}|property`).fill('items.price');
  await k(`${c(2)}|window`).selectOption('previous');
  await k(`${c(2)}|op`).selectOption('lte');
  await k(`${c(2)}|value`).fill('100');
  // 4: more than 10 sessions last week
  await k(`${c(3)}|event`).fill('$session');
  await k(`${c(3)}|window`).selectOption('previous');
  await k(`${c(3)}|op`).selectOption('gt');
  await k(`${c(3)}|value`).fill('10');
});

let expected;
await step('the total, every node and the attrition equal POST …/explain', async () => {
  expected = await api('POST', '/explain', { tree: WORKED });
  await waitFor(n => document.querySelector('#total').dataset.count === String(n) &&
    document.querySelector('[data-count-for="/children/3"]')?.textContent !== '', expected.count);
  for (const n of expected.nodes) {
    const shown = await page.getAttribute(`[data-count-for="${n.pointer}"]`, 'data-count');
    assert.equal(shown, String(n.count), `node ${n.pointer || '(root)'}`);
  }
  const cum = await page.$$eval('[data-attrition-for=""] [data-cumulative]', els => els.map(e => Number(e.dataset.cumulative)));
  assert.deepEqual(cum, expected.nodes[0].cumulative);
  figures.workedExample = { count: expected.count, users: expected.users, cumulative: expected.nodes[0].cumulative };
  await page.screenshot({ path: `${SHOTS}/builder.png`, fullPage: true });
  await axe('builder');
});

await step('builder → JSON → builder round-trips exactly', async () => {
  await page.click('#tab-json');
  const text = await page.inputValue('#json');
  const tree = JSON.parse(text);
  // the same tree as the spec's, but for the count the builder writes out
  assert.deepEqual({ ...tree, children: tree.children.map((n, i) => (i === 3 ? { ...n, aggregate: undefined } : n)) },
    { ...WORKED, children: WORKED.children.map((n, i) => (i === 3 ? { ...n, aggregate: undefined } : n)) });
  await page.click('#json-apply');
  await page.click('#tab-builder');
  await page.click('#tab-json');
  assert.equal(await page.inputValue('#json'), text);
  // an edit in the JSON rebuilds the builder
  await page.fill('#json', JSON.stringify({ ...tree, children: [...tree.children, { type: 'attribute', field: 'country', op: 'in', value: ['JP', 'KR'] }] }));
  await page.click('#json-apply');
  await page.click('#tab-builder');
  assert.equal(await k(`${c(4)}|value`).inputValue(), 'JP, KR');
  await k(`${c(4)}|remove`).click();
  await page.screenshot({ path: `${SHOTS}/json.png` }).catch(() => {});
});

await step('the SQL tab shows DuckDB and Trino SQL with parameters', async () => {
  await page.click('#tab-sql');
  await page.locator('#sql-status[data-kind=ok]').waitFor();
  const duck = await api('POST', '/compile', { tree: JSON.parse(await page.evaluate(() => JSON.stringify(window.__tree || null))) || WORKED, engine: 'duckdb' }).catch(() => null);
  assert.ok((await page.textContent('#sql')).length > 100);
  if (duck) assert.ok((await page.textContent('#sql-params')).length > 2);
  await page.selectOption('#sql-engine', 'trino');
  await waitFor(() => /trino/.test(document.querySelector('#sql-status').textContent));
  await page.screenshot({ path: `${SHOTS}/sql.png` });
  await page.click('#tab-builder');
});

await step('a problem is shown at the node its pointer names', async () => {
  await k('|add-attribute').click(); // an attribute with no field: a 400 at /tree/children/4/field
  await page.locator(`[data-problems-for="${c(4)}"] .error`).waitFor();
  assert.match(await page.textContent('#size-status'), /problem/);
  await page.screenshot({ path: `${SHOTS}/problem.png` });
  await k(`${c(4)}|remove`).click();
  await waitFor(n => document.querySelector('#total').dataset.count === String(n) && !document.querySelector('.problems .error'), expected.count);
});

let segId;
await step('save it, edit it into version 2 and see the diff', async () => {
  await page.fill('#seg-name', 'Worked example (console test)');
  await page.click('#seg-save');
  await waitFor(() => /version 1/.test(document.querySelector('#save-status').textContent));
  segId = (await page.textContent('#seg-current')).split(' ')[0];
  const v1 = await api('GET', `/segments/${segId}`);
  assert.equal(v1.version, 1);
  await k(`${c(3)}|value`).fill('5');
  await page.click('#seg-save');
  await waitFor(() => /version 2/.test(document.querySelector('#save-status').textContent));
  const v2 = await api('GET', `/segments/${segId}`);
  assert.equal(v2.tree.children[3].value, 5);
  await page.selectOption('#version-a', '1');
  await page.selectOption('#version-b', '2');
  await page.click('#version-diff');
  await page.locator('.diff .add').first().waitFor();
  const added = await page.$$eval('.diff .add', els => els.map(e => e.textContent.trim().replace(/\s+/g, ' ')));
  const removed = await page.$$eval('.diff .del', els => els.map(e => e.textContent.trim().replace(/\s+/g, ' ')));
  assert.deepEqual([removed, added], [['- "value": 10'], ['+ "value": 5']]);
  await page.screenshot({ path: `${SHOTS}/versions.png`, fullPage: true });
});

await step('a schedule: a 400 at its field, then saved, and shown again after a reload', async () => {
  await page.selectOption('#sched-kind', 'every');
  await page.fill('#sched-n', '1');
  await page.selectOption('#sched-unit', 'm'); // under 5m: a 400 at /schedule/every
  await page.click('#seg-save');
  await page.locator('#sched-error[data-kind=error]').waitFor();
  assert.equal(await page.getAttribute('#sched-n', 'aria-invalid'), 'true');
  assert.equal((await api('GET', `/segments/${segId}`)).version, 2);
  // a cron whose slot does not come during the test (1 January, 06:00)
  await page.selectOption('#sched-kind', 'cron');
  await page.fill('#sched-cron', '0 6 1 1 *');
  await page.click('#seg-save');
  await waitFor(() => /version 3/.test(document.querySelector('#save-status').textContent));
  assert.equal(await page.textContent('#sched-error'), '');
  assert.equal(await page.getAttribute('#sched-n', 'aria-invalid'), null);
  assert.deepEqual((await api('GET', `/segments/${segId}`)).schedule, { cron: '0 6 1 1 *' });
  await page.reload();
  await page.locator(`.seg[data-id="${segId}"]`).click();
  await waitFor(() => /Opened/.test(document.querySelector('#save-status').textContent));
  assert.equal(await page.inputValue('#sched-kind'), 'cron');
  assert.equal(await page.inputValue('#sched-cron'), '0 6 1 1 *');
  assert.ok(await page.isVisible('#sched-cron') && !(await page.isVisible('#sched-n')));
  assert.match(await page.textContent('#seg-current'), new RegExp(`^${segId} · version 3 · runs at cron "0 6 1 1 \\*" \\(.+\\)$`));
});

let runId, members;
await step('run it, see it succeed, and preview its members', async () => {
  await page.click('#run-start');
  await waitFor(() => /succeeded/.test(document.querySelector('#run-status').textContent), null, { timeout: 60000 });
  runId = (await page.textContent('#run-status')).match(/Run (\S+):/)[1];
  const run = await api('GET', `/runs/${runId}`);
  members = (await api('GET', `/runs/${runId}/members.txt`)).split('\n').filter(Boolean);
  assert.equal(run.count, members.length);
  const preview = await page.$$eval('.members li', els => els.map(e => e.textContent));
  assert.deepEqual(preview, members.slice(0, 50));
  await page.screenshot({ path: `${SHOTS}/run.png`, fullPage: true });
});

await step('download members.txt and members.csv: the same IDs as the API', async () => {
  for (const kind of ['txt', 'csv']) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#dl-${kind}`)]);
    const text = readFileSync(await dl.path(), 'utf8');
    const api = await fetch(`${BASE}/v1/apps/${APP}/runs/${runId}/members.${kind}`, { headers: { Authorization: `Bearer ${KEY}` } }).then(r => r.text());
    assert.equal(text, api, `members.${kind}`);
  }
});

await step('run it again as of three days ago: the history lists both runs, the changes equal the API\'s diff', async () => {
  const asOf = new Date(Date.now() - 3 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
  await page.fill('#run-asof', asOf);
  await page.click('#run-start');
  await waitFor(first => { const m = /^Run (\S+): succeeded/.exec(document.querySelector('#run-status').textContent); return m && m[1] !== first; }, runId, { timeout: 60000 });
  const run2 = (await page.textContent('#run-status')).match(/Run (\S+):/)[1];
  assert.equal((await api('GET', `/runs/${run2}`)).as_of, asOf);
  const hist = await api('GET', `/segments/${segId}/runs?limit=20`);
  assert.deepEqual(hist.runs.map(r => r.id), [run2, runId]);
  await waitFor(ids => JSON.stringify([...document.querySelectorAll('#hist-rows tr')].map(r => r.dataset.run)) === JSON.stringify(ids), [run2, runId]);
  const cells = await page.$$eval('#hist-rows tr', rows => rows.map(r => [...r.cells].slice(1, 6).map(c => c.textContent)));
  assert.deepEqual(cells, hist.runs.map(r => [r.state, r.as_of, String(r.version), r.count.toLocaleString('en-US'), 'by hand']));
  await page.click(`#hist-rows tr[data-run="${run2}"] button`);
  await page.locator(`.diff-counts[data-run="${run2}"]`).waitFor();
  const d = await api('GET', `/runs/${run2}/diff?against=previous`);
  assert.equal(d.against, runId);
  assert.deepEqual(await page.$eval('.diff-counts', el => [Number(el.dataset.entered), Number(el.dataset.exited)]), [d.entered, d.exited]);
  figures.runDiff = { entered: d.entered, exited: d.exited, counts: hist.runs.map(r => r.count) };
  for (const kind of ['entered', 'exited']) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-diff=${kind}]`)]);
    const text = readFileSync(await dl.path(), 'utf8');
    const want = await api('GET', `/runs/${run2}/diff/${kind}.txt`);
    assert.equal(text, want, `${kind}.txt`);
    assert.equal(text.split('\n').filter(Boolean).length, d[kind]);
  }
  await page.screenshot({ path: `${SHOTS}/history.png`, fullPage: true });
  // the first run has nothing to compare with
  await page.click(`#hist-rows tr[data-run="${runId}"] button`);
  await page.locator(`.diff-counts[data-run="${runId}"][data-first]`).waitFor();
  assert.match(await page.textContent('#run-diff'), /first run/);
});

for (const want of [true, false]) {
  await step(`explain one ${want ? 'member' : 'non-member'} node by node`, async () => {
    const set = new Set(members);
    let user = want ? members[0] : null;
    for (let i = 1; !user && i < 1000; i++) { const id = `u${String(i).padStart(6, '0')}`; if (!set.has(id)) user = id; }
    assert.ok(user, 'no user to explain');
    await page.fill('#why-user', user);
    await page.click('#why-form button[type=submit]');
    await waitFor(u => document.querySelector('#why-out .verdict')?.textContent.startsWith(u + ' '), user);
    const apiWhy = await api('GET', `/segments/${segId}/members/${user}?explain=true`);
    assert.equal(apiWhy.member, want);
    assert.equal(await page.textContent('#why-out .verdict'), `${user} ${want ? 'is a member' : 'is not a member'}.`);
    const shown = await page.$$eval('#why-out li', els => els.map(e => [e.dataset.pointer, e.classList.contains('yes')]));
    assert.deepEqual(shown, apiWhy.nodes.map(n => [n.pointer, n.member]));
    if (!want) await page.screenshot({ path: `${SHOTS}/why.png`, fullPage: true });
  });
}

await step('keyboard: tab to a control, focus is visible; move a condition down and back', async () => {
  await k(`${c(0)}|down`).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.k), `${c(1)}|down`);
  assert.equal(await k(`${c(1)}|event`).inputValue(), '$meta');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await k(`${c(1)}|up`).focus();
  await page.keyboard.press('Enter');
  assert.equal(await k(`${c(0)}|event`).inputValue(), '$meta');
  await axe('segments and runs');
});

// sizesMatchAPI waits for the builder's sizes of its current tree and
// checks every node against POST …/explain for the same tree.
async function sizesMatchAPI() {
  await page.click('#tab-json');
  const tree = JSON.parse(await page.inputValue('#json'));
  await page.click('#tab-builder');
  const want = await api('POST', '/explain', { tree });
  await waitFor(n => document.querySelector('#total').dataset.count === String(n) && document.querySelector('#size-status').dataset.kind === '', want.count);
  for (const n of want.nodes) {
    const el = await page.$(`[data-count-for="${n.pointer}"]`);
    if (el) assert.equal(await el.getAttribute('data-count'), String(n.count), `node ${n.pointer || '(root)'}`);
  }
  return tree;
}

await step('funnel, saved segment, exclude and regroup; the 409 of a referenced segment explained', async () => {
  await page.click('#seg-new');
  await k('|add-funnel').click();
  await k(`${c(0)}/steps/0|event`).fill('$session');
  await k(`${c(0)}/steps/1|event`).fill('$buy');
  await k('|add-segment').click();
  await k(`${c(1)}|segment_id`).fill(segId);
  await k(`${c(1)}|exclude`).check();
  await k('|add-and').click();
  await k('|add-attribute').click();
  await k(`${c(3)}|field`).fill('country');
  await k(`${c(3)}|op`).selectOption('in');
  await k(`${c(3)}|value`).fill('JP, KR');
  await k(`${c(3)}|in`).click(); // into the group above
  assert.equal(await page.evaluate(() => document.activeElement.dataset.k), `${c(2)}/children/0|in`.replace('|in', '|out'));
  const tree = await sizesMatchAPI();
  assert.deepEqual(tree, {
    type: 'and', children: [
      { type: 'funnel', steps: [{ event: '$session' }, { event: '$buy' }], within: '1d', window: { last: '30d' } },
      { type: 'not', child: { type: 'segment', segment_id: segId } },
      { type: 'and', children: [{ type: 'attribute', field: 'country', op: 'in', value: ['JP', 'KR'] }] }],
  });
  await page.screenshot({ path: `${SHOTS}/funnel.png`, fullPage: true });
  await page.fill('#seg-name', 'Console test: not the worked example');
  await page.click('#seg-save');
  await waitFor(() => /version 1/.test(document.querySelector('#save-status').textContent));
  await page.click(`.seg[data-id="${segId}"]`);
  await waitFor(() => /Opened/.test(document.querySelector('#save-status').textContent));
  await page.click('#seg-delete');
  await page.click('#delete-yes');
  await waitFor(() => /cannot be deleted: other segments use it/.test(document.querySelector('#save-status').textContent));
  await api('GET', `/segments/${segId}`); // still there
});

await step('no broken layout at 390×844', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: `${SHOTS}/mobile.png` });
  await axe('mobile');
  await page.setViewportSize({ width: 1280, height: 800 });
});

await step('nothing fetched from outside, no errors in the page', async () => {
  assert.deepEqual(outside, []);
  assert.deepEqual(pageErrors, []);
});

figures.bundle = { rawBytes: Number(process.env.BUNDLE_RAW), gzipBytes: Number(process.env.BUNDLE_GZIP) };
await step('the console is at most 300 KB compressed', async () => {
  assert.ok(figures.bundle.gzipBytes <= 300 * 1024, `${figures.bundle.gzipBytes} bytes`);
});

await ctx.close();
console.log('figures:', JSON.stringify(figures, null, 1));
if (failed) { console.log(`${failed} test(s) failed`); process.exit(1); }
console.log('all console tests passed');
