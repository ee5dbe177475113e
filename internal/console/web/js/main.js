// The console's entry point: sign-in, then the builder with its tabs
// (JSON, SQL), the saved segments and the runs, wired together.
import { Client, ApiError, loadSession, saveSession, clearSession } from './api.js';
import { $, $$ } from './dom.js';
import { Builder } from './builder.js';
import { Sizes } from './sizes.js';
import { Segments } from './segments.js';
import { Runs } from './runs.js';
import { loadDictionary } from './schema.js';

// say shows a message (or an API error, in words) in a status element.
function say(msg, el, kind = 'error') {
  const text = msg instanceof ApiError ? msg.words : msg instanceof Error ? `Something failed in the console: ${msg.message}` : msg;
  el.replaceChildren(text);
  el.dataset.kind = kind;
  if (kind === 'error') el.setAttribute('role', 'alert'); else el.removeAttribute('role');
}

// --- sign-in ---
function showSignIn(message) {
  $('#signin').hidden = false;
  $('#app').hidden = true;
  if (message) say(message, $('#signin-status'));
  $('#key').focus();
}

$('#signin-form').addEventListener('submit', async e => {
  e.preventDefault();
  const key = $('#key').value.trim(), app = $('#app-id').value.trim();
  if (!key || !app) { say('Enter a key and the app ID.', $('#signin-status')); return; }
  const client = new Client(key, app);
  try {
    const info = await client.get('');
    $('#key').value = ''; // the key is never shown again
    saveSession({ key, app });
    start(client, info);
  } catch (err) {
    if (err.status === 403) { // a key without the read scope may still build
      $('#key').value = '';
      saveSession({ key, app });
      start(client, { app_id: app, time_zone: 'UTC' });
    } else say(err.status === 404 ? `No app "${app}" for this key: check the app ID (the demo's is "demo").` : err, $('#signin-status'));
  }
});

$('#signout').addEventListener('click', () => { clearSession(); location.reload(); });

// --- tabs: the builder, the JSON, the SQL ---
function selectTab(name) {
  for (const t of $$('[role=tab]')) {
    const on = t.dataset.tab === name;
    t.setAttribute('aria-selected', on);
    t.tabIndex = on ? 0 : -1;
    $(`#panel-${t.dataset.tab}`).hidden = !on;
  }
}
for (const t of $$('[role=tab]')) {
  t.addEventListener('click', () => { selectTab(t.dataset.tab); t.dispatchEvent(new CustomEvent('tab-shown', { bubbles: true })); });
  // arrow keys move between tabs (the WAI-ARIA tabs pattern)
  t.addEventListener('keydown', e => {
    const tabs = $$('[role=tab]'), i = tabs.indexOf(t);
    const j = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length : -1;
    if (j >= 0) { tabs[j].focus(); tabs[j].click(); }
  });
}

function start(client, info) {
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#app-name').textContent = `${info.app_id} (${info.time_zone})`;

  const sizes = new Sizes(client, { root: $('#builder'), total: $('#total'), status: $('#size-status') });
  const builder = new Builder($('#builder'), {
    onChange: () => {
      const empty = (builder.tree.type === 'and' || builder.tree.type === 'or') && !builder.tree.children.length;
      if (empty) { sizes.clear(); $('#total').textContent = '–'; say('Add a condition to see how many users match.', $('#size-status'), ''); } else sizes.schedule(builder.tree);
      if (!$('#panel-json').hidden) showJSON();
    },
  });
  builder.zone = info.time_zone || 'UTC';
  const render = builder.render.bind(builder);
  builder.render = focus => { render(focus); sizes.reapply(); };

  // JSON tab: the tree as the builder holds it; Apply rebuilds the builder
  const showJSON = () => { $('#json').value = JSON.stringify(builder.tree, null, 2); say('', $('#json-status'), ''); };
  $('#tab-json').addEventListener('tab-shown', showJSON);
  $('#json-apply').addEventListener('click', () => {
    let tree;
    try { tree = JSON.parse($('#json').value); } catch (err) { say(`This is not valid JSON: ${err.message}. Fix it and apply again.`, $('#json-status')); return; }
    if (!tree || typeof tree !== 'object' || Array.isArray(tree) || typeof tree.type !== 'string') { say('A tree is a JSON object with a "type", like {"type": "and", "children": […]}.', $('#json-status')); return; }
    builder.setTree(tree);
    say('Applied: the builder shows this tree.', $('#json-status'), 'ok');
  });

  // SQL tab: the exact SQL and parameters for an engine
  const showSQL = async () => {
    const engine = $('#sql-engine').value;
    say('compiling…', $('#sql-status'), 'busy');
    try {
      const res = await client.post('/compile', { tree: builder.tree, engine });
      $('#sql').textContent = res.sql;
      $('#sql-params').textContent = JSON.stringify(res.params ?? res.parameters ?? [], null, 1);
      say(`${engine}: ${res.sql.length.toLocaleString('en-US')} characters of SQL`, $('#sql-status'), 'ok');
    } catch (err) {
      $('#sql').textContent = ''; $('#sql-params').textContent = '';
      say(err, $('#sql-status'));
    }
  };
  $('#tab-sql').addEventListener('tab-shown', showSQL);
  $('#sql-engine').addEventListener('change', showSQL);

  const runs = new Runs(client, {
    panel: $('#runs'), title: $('#runs-title'), start: $('#run-start'), cancel: $('#run-cancel'), progress: $('#run-progress'),
    status: $('#run-status'), txt: $('#dl-txt'), csv: $('#dl-csv'), preview: $('#run-preview'), asOf: $('#run-asof'),
    histRows: $('#hist-rows'), histMore: $('#hist-more'), histStatus: $('#hist-status'), diff: $('#run-diff'),
    whyForm: $('#why-form'), whyUser: $('#why-user'), whyOut: $('#why-out'),
  }, { say });

  const segments = new Segments(client, {
    list: $('#seg-list'), search: $('#seg-search'), more: $('#seg-more'), listStatus: $('#seg-list-status'),
    form: $('#save-form'), name: $('#seg-name'), description: $('#seg-description'), saveBtn: $('#seg-save'), saveStatus: $('#save-status'),
    newBtn: $('#seg-new'), currentLabel: $('#seg-current'), versions: $('#versions'), versionA: $('#version-a'), versionB: $('#version-b'),
    diffBtn: $('#version-diff'), loadVersionBtn: $('#version-load'), diffOut: $('#diff-out'),
    deleteBtn: $('#seg-delete'), deleteConfirm: $('#delete-confirm'), deleteYes: $('#delete-yes'), deleteNo: $('#delete-no'),
    schedKind: $('#sched-kind'), schedN: $('#sched-n'), schedUnit: $('#sched-unit'), schedCron: $('#sched-cron'),
    schedEvery: $('#sched-every'), schedCronBox: $('#sched-cron-f'), schedError: $('#sched-error'), schedZone: $('#sched-zone'),
    segmentIds: ids => builder.setDictionary({ segments: ids }),
  }, { getTree: () => builder.tree, open: tree => builder.setTree(tree), say, onSaved: seg => runs.setSegment(seg), zone: builder.zone });

  builder.setTree({ type: 'and', children: [] });
  segments.setCurrent(null);
  segments.reload();
  loadDictionary(client).then(d => { if (d) { builder.setDictionary(d); $('#dict-status').textContent = 'Suggestions from the data dictionary.'; } });
  selectTab('builder');
}

// a key kept in this tab's session signs in again on reload
const session = loadSession();
if (session) {
  const client = new Client(session.key, session.app);
  client.get('').then(info => start(client, info)).catch(err => {
    if (err.status === 403) start(client, { app_id: session.app, time_zone: 'UTC' });
    else { clearSession(); showSignIn(err); }
  });
} else showSignIn();

// never a blank screen: an unexpected failure is shown in words
window.addEventListener('unhandledrejection', e => say(e.reason instanceof Error ? e.reason : String(e.reason), $('#global-status')));
window.addEventListener('error', e => say(`Something failed in the console: ${e.message}. Reload the page; your key stays in this tab.`, $('#global-status')));
