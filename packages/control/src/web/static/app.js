// The zone page's script: talks to the PowerDNS-compatible /api/v1 routes with
// the key from sessionStorage. Everything from the API reaches the DOM through
// textContent or element properties, never as HTML, so record contents cannot
// inject markup (and the Content-Security-Policy forbids inline scripts anyway).
import { showMap } from './map.js';

const API = '/api/v1/servers/localhost';
const KEY = 'geoedge.apiKey';
const $ = (id) => document.getElementById(id);
let zone = null; // the zone shown, its name with the trailing dot
let me = null; // the key's name and rights (GET /api/v1/key)
let oldest = null; // id of the oldest history entry shown (paging)
// Bumped by each showZone: an answer for an older view (the operator clicked on,
// or a save re-rendered the zone) is dropped instead of appended twice.
let view = 0;
let lastMap = null; // the last map request, for "Refresh map"

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
  m.hidden = false;
}

/** One API call; resolves to the parsed body, rejects with the API's {"error"} text. */
async function api(method, path, body) {
  const key = sessionStorage.getItem(KEY);
  if (!key) throw new Error('Enter the API key first.');
  const headers = { 'X-API-Key': key };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path.startsWith('/') ? path : `${API}/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) throw new Error(`${r.status}: ${data && typeof data.error === 'string' ? data.error : text || r.statusText}`);
  return data;
}

const zonePath = (name) => `zones/${encodeURIComponent(name)}`;

/** "www" → "www.example.org.", "@" or "" → the apex, absolute names kept. */
function absolute(name) {
  const n = name.trim();
  if (n === '' || n === '@') return zone;
  return n.endsWith('.') ? n : `${n}.${zone}`;
}

async function loadKey() {
  me = await api('GET', '/api/v1/key');
  const scope = me.zones ? `; may change ${me.zones.join(', ')}` : '';
  $('key-info').textContent = `Key "${me.name}"${me.read_only ? ' (read-only)' : ''}${scope}`;
}

/** The updater's status (GET /api/v1/geoip/status): editions, release dates, last results, next run. */
async function loadGeoip() {
  const list = $('geoip');
  list.replaceChildren();
  let st;
  try {
    st = await api('GET', '/api/v1/geoip/status');
  } catch (err) {
    $('geoip-note').textContent = err.message;
    $('geoip-update').disabled = true;
    return;
  }
  $('geoip-note').textContent = `Schedule: ${st.schedule ?? '—'}. Next run: ${when(st.next_run)} UTC (the schedule is in the server's local time).`;
  for (const e of st.editions) {
    const li = el('li', `${e.edition_id}: released ${e.date ?? '—'}; last run ${e.last_result ?? 'never'} ${e.last_attempt_at ? when(e.last_attempt_at) : ''}${e.last_error ? ` — ${e.last_error}` : ''}`, e.last_result === 'error' ? 'error' : undefined);
    li.dataset.edition = e.edition_id;
    li.dataset.result = e.last_result ?? '';
    li.dataset.date = e.date ?? '';
    list.append(li);
  }
  // Read-only and zone-limited keys may not start a run (the API answers 403 too).
  $('geoip-update').disabled = me === null || me.read_only || me.zones !== null;
}

async function updateGeoip() {
  $('geoip-update').disabled = true;
  say('GeoIP update running…', 'ok');
  try {
    const r = await api('POST', '/api/v1/geoip/update');
    say(`GeoIP update: ${r.editions.map((e) => `${e.edition_id} ${e.result}`).join(', ')}.`, 'ok');
  } finally {
    await loadGeoip();
  }
}

/** Whether this key may change the zone shown; the API checks it anyway (403). */
function canChange() {
  return me !== null && !me.read_only && (me.zones === null || me.zones.includes(zone.toLowerCase()));
}

async function loadZones() {
  const list = $('zones');
  list.replaceChildren();
  const zones = await api('GET', 'zones');
  for (const z of zones) {
    const b = el('button', z.name);
    b.type = 'button';
    if (z.name === zone) b.classList.add('current');
    b.addEventListener('click', () => run(() => showZone(z.name)));
    const li = el('li');
    li.append(b);
    list.append(li);
  }
  if (!zones.length) list.append(el('li', 'No zones yet.'));
}

async function showZone(name) {
  if (zone !== name) $('map-box').hidden = true;
  zone = name;
  const v = ++view;
  const z = await api('GET', zonePath(name));
  if (v !== view) return;
  $('zone').hidden = false;
  $('zone-name').textContent = z.name;
  for (const b of $('zones').querySelectorAll('button')) b.classList.toggle('current', b.textContent === name);
  const body = $('rrsets').tBodies[0];
  body.replaceChildren();
  for (const rr of z.rrsets) body.append(rrsetRow(rr));
  const allowed = canChange();
  $('rights').hidden = allowed;
  $('rights').textContent = allowed ? '' : me?.read_only ? `Key "${me.name}" is read-only: changes cannot be saved.` : `Key "${me?.name}" may not change this zone.`;
  $('rr-save').disabled = !allowed;
  for (const b of body.querySelectorAll('button.delete')) b.disabled = !allowed;
  $('history').tBodies[0].replaceChildren();
  oldest = null;
  await Promise.all([loadHistory(v), loadDnssec(v, z), z.rrsets.some((rr) => rr.type === 'LUA') ? loadHealth(v) : hideHealth()]);
}

function hideHealth() {
  $('health-box').hidden = true;
}

const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, '') : '—');

/** geodns's health checks (GET /api/v1/health): a table, and each target under the LUA records naming it. */
async function loadHealth(v) {
  $('health-box').hidden = false;
  const body = $('health').tBodies[0];
  body.replaceChildren();
  let checks;
  try {
    checks = (await api('GET', '/api/v1/health')).checks;
    if (v !== view) return;
    $('health-note').textContent = checks.length ? '' : 'geodns runs no health checks yet (they start with the first query for a record that uses one).';
  } catch (err) {
    if (v === view) $('health-note').textContent = `Health unavailable: ${err.message}`;
    return;
  }
  for (const c of checks) {
    const tr = el('tr');
    tr.dataset.target = c.target;
    tr.dataset.state = c.state;
    tr.append(el('td', c.target), el('td', c.kind), el('td', c.state, c.state), el('td', when(c.since)), el('td', c.last_error ? `${c.last_error} (${when(c.last_error_at)})` : '—'));
    body.append(tr);
  }
  for (const tr of $('rrsets').tBodies[0].querySelectorAll('tr[data-type="LUA"]')) {
    const cell = tr.querySelector('td.records');
    const code = [...cell.querySelectorAll('div:not(.health)')].map((d) => d.textContent).join('\n');
    for (const c of checks) {
      if (!names(code, c)) continue;
      const text = c.state === 'down' ? `● ${c.target} down since ${when(c.since)}${c.last_error ? ` — ${c.last_error}` : ''}` : `● ${c.target} ${c.state} since ${when(c.since)}`;
      const d = el('div', text, `health ${c.state}`);
      d.dataset.target = c.target;
      d.dataset.state = c.state;
      cell.append(d);
    }
  }
}

/** Whether LUA code names a check's target: its URL, or its address not inside a longer one (192.0.2.1 is not in 192.0.2.11). */
function names(code, c) {
  if (c.kind === 'http') return code.includes(c.target);
  let from = 0;
  for (;;) {
    const i = code.indexOf(c.address, from);
    if (i < 0) return false;
    const before = code[i - 1] ?? ' ';
    const after = code[i + c.address.length] ?? ' ';
    if (!/[0-9A-Fa-f.:]/.test(before) && !/[0-9A-Fa-f.:]/.test(after)) return true;
    from = i + 1;
  }
}

/** RFC 4034 appendix B key tag of a DNSKEY's presentation form ("257 3 13 <base64>"). */
function keyTag(dnskey) {
  const [flags, protocol, algorithm, ...b64] = dnskey.split(' ');
  const key = Uint8Array.from(atob(b64.join('')), (c) => c.charCodeAt(0));
  const rdata = [Number(flags) >> 8, Number(flags) & 0xff, Number(protocol), Number(algorithm), ...key];
  let ac = 0;
  rdata.forEach((b, i) => { ac += i & 1 ? b : b << 8; });
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** The zone's keys (GET …/cryptokeys) and the DS records to give the registrar. */
async function loadDnssec(v, z) {
  const keys = await api('GET', `${zonePath(zone)}/cryptokeys`);
  if (v !== view) return;
  $('dnssec-state').textContent = z.dnssec
    ? `Signed: ${keys.filter((k) => k.active).length} active key(s) of ${keys.length}; denial of existence: ${z.nsec3param ? `NSEC3 ${z.nsec3param}${z.nsec3narrow ? ' (narrow)' : ''}` : 'NSEC'}.`
    : keys.length ? `Not signed: none of the ${keys.length} key(s) is active.` : 'Not signed: the zone has no DNSSEC keys.';
  const ds = [];
  for (const k of keys) {
    if (!k.published || !k.ds) continue;
    for (const d of k.ds) if (d.split(' ')[2] === '2') ds.push(`${zone} IN DS ${d}${k.active ? '' : '   ; key not active yet'}`);
  }
  $('dnssec-ds').textContent = ds.join('\n');
  $('dnssec-ds-box').hidden = ds.length === 0;
  const body = $('cryptokeys').tBodies[0];
  body.replaceChildren();
  for (const k of keys) {
    const tr = el('tr');
    tr.dataset.id = String(k.id);
    const state = `${k.active ? 'active' : 'inactive'}, ${k.published ? 'published' : 'not published'}${k.error ? ` — ${k.error}` : ''}`;
    tr.append(el('td', String(k.id)), el('td', k.keytype.toUpperCase()), el('td', `${k.algorithm}${k.bits ? ` (${k.bits} bits)` : ''}`),
      el('td', k.dnskey ? String(keyTag(k.dnskey)) : '—'), el('td', state, k.active ? 'active' : 'inactive'), el('td', k.dnskey, 'dnskey'));
    body.append(tr);
  }
  $('cryptokeys').hidden = keys.length === 0;
}

const HISTORY_PAGE = 20;

async function loadHistory(v) {
  const q = oldest === null ? `?limit=${HISTORY_PAGE}` : `?limit=${HISTORY_PAGE}&before=${oldest}`;
  const entries = await api('GET', `${zonePath(zone)}/history${q}`);
  if (v !== view) return;
  const body = $('history').tBodies[0];
  for (const e of entries) body.append(historyRow(e));
  if (entries.length) oldest = entries[entries.length - 1].id;
  $('history-more').hidden = entries.length < HISTORY_PAGE;
  if (!body.rows.length) {
    const tr = el('tr');
    tr.append(el('td', 'No changes recorded.'));
    body.append(tr);
  }
}

function historyRow(e) {
  const tr = el('tr');
  tr.dataset.id = String(e.id);
  tr.dataset.key = e.key;
  tr.dataset.action = e.action;
  const diff = el('pre', undefined, 'diff');
  const before = sideLines(e.before);
  const after = sideLines(e.after);
  const kept = new Set(before.filter((l) => after.includes(l)));
  for (const l of before) if (!kept.has(l)) diff.append(el('span', `− ${l}`, 'del'));
  for (const l of after) if (!kept.has(l)) diff.append(el('span', `+ ${l}`, 'add'));
  if (!diff.childNodes.length) diff.textContent = '(no difference)';
  if (e.before.omitted || e.after.omitted) diff.append(el('span', `(${(e.before.omitted ?? 0) + (e.after.omitted ?? 0)} records not kept: change too large)`));
  tr.append(el('td', e.time.replace('T', ' ').replace(/\.\d+Z$/, '')), el('td', e.key), el('td', e.action));
  const td = el('td');
  td.append(diff);
  tr.append(td);
  return tr;
}

/** One side of a change as text lines, so two sides compare line by line. */
function sideLines(side) {
  const lines = [];
  for (const rr of side.rrsets ?? []) for (const r of rr.records) lines.push(`${rr.name} ${rr.ttl} ${rr.type} ${r.content}${r.disabled ? ' (disabled)' : ''}`);
  for (const [kind, values] of Object.entries(side.metadata ?? {})) for (const v of values) lines.push(`metadata ${kind} = ${v}`);
  for (const [k, v] of Object.entries(side.zone ?? {})) lines.push(`${k}: ${v}`);
  for (const k of side.cryptokeys ?? []) lines.push(`key ${k.id} flags ${k.flags} ${k.active ? 'active' : 'inactive'} ${k.published ? 'published' : 'unpublished'} ${k.dnskey}`);
  return lines;
}

function rrsetRow(rr) {
  const tr = el('tr');
  tr.dataset.name = rr.name;
  tr.dataset.type = rr.type;
  tr.append(el('td', rr.name), el('td', rr.type), el('td', String(rr.ttl)));
  const recs = el('td', undefined, 'records');
  for (const r of rr.records) recs.append(el('div', r.content, r.disabled ? 'disabled' : undefined));
  const actions = el('td');
  const edit = el('button', 'Edit');
  edit.type = 'button';
  edit.addEventListener('click', () => fillEditor(rr));
  actions.append(edit);
  if (rr.type === 'LUA') {
    const map = el('button', 'Map', 'map');
    map.type = 'button';
    map.addEventListener('click', () => run(() => mapRecord({ qname: rr.name, zone, contents: rr.records.filter((r) => !r.disabled).map((r) => r.content), unsaved: false })));
    actions.append(map);
  }
  if (rr.type !== 'SOA') {
    const del = el('button', 'Delete', 'delete');
    del.type = 'button';
    del.addEventListener('click', () => run(() => deleteRRset(rr)));
    actions.append(del);
  }
  tr.append(recs, actions);
  return tr;
}

function fillEditor(rr) {
  $('rr-name').value = rr.name;
  $('rr-type').value = rr.type;
  $('rr-ttl').value = String(rr.ttl);
  $('rr-records').value = rr.records.map((r) => r.content).join('\n');
  $('pv-name').value = rr.name;
  $('pv-type').value = rr.type === 'LUA' ? (rr.records[0]?.content.split(' ')[0] ?? 'A') : rr.type;
  $('rr-name').focus();
}

function editorRRset() {
  const records = $('rr-records').value.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return {
    name: absolute($('rr-name').value),
    type: $('rr-type').value.trim().toUpperCase(),
    ttl: Number($('rr-ttl').value),
    changetype: 'REPLACE',
    records: records.map((content) => ({ content, disabled: false })),
  };
}

async function saveRRset() {
  const rr = editorRRset();
  if (!rr.records.length) throw new Error('Give at least one record, or delete the RRset instead.');
  await api('PATCH', zonePath(zone), { rrsets: [rr] });
  say(`Saved ${rr.name} ${rr.type}.`, 'ok');
  await showZone(zone);
}

async function deleteRRset(rr) {
  if (!window.confirm(`Delete ${rr.name} ${rr.type}?`)) return;
  await api('PATCH', zonePath(zone), { rrsets: [{ name: rr.name, type: rr.type, changetype: 'DELETE' }] });
  say(`Deleted ${rr.name} ${rr.type}.`, 'ok');
  await showZone(zone);
}

async function checkLua() {
  const rr = editorRRset();
  if (rr.type !== 'LUA') throw new Error('The syntax check is for LUA records; set Type to LUA.');
  for (const r of rr.records) await api('POST', '/api/v1/lua/check', { content: r.content });
  say(`Lua syntax OK (${rr.records.length} record${rr.records.length === 1 ? '' : 's'}).`, 'ok');
}

async function mapRecord(req) {
  lastMap = req;
  await showMap(api, req);
}

/** The editor's LUA records, evaluated by geodns without saving them. */
async function mapUnsaved() {
  const rr = editorRRset();
  if (rr.type !== 'LUA') throw new Error('The map is for LUA records; set Type to LUA.');
  if (!rr.records.length) throw new Error('Give at least one LUA record.');
  await mapRecord({ qname: rr.name, zone, contents: rr.records.map((r) => r.content), unsaved: true });
}

async function preview() {
  const out = $('pv-result');
  out.textContent = '';
  const r = await api('POST', '/api/v1/lua/preview', { qname: absolute($('pv-name').value), qtype: $('pv-type').value.trim().toUpperCase(), client: $('pv-client').value.trim() });
  const lines = [`${r.rcode} from ${r.server} for client ${r.client}:`];
  for (const a of r.answers) lines.push(`${a.name} ${a.ttl} ${a.type} ${a.data}`);
  if (!r.answers.length) lines.push('(no answer records)');
  out.textContent = lines.join('\n');
}

/** Runs an action, showing the API's error text to the user. */
async function run(action) {
  try {
    await action();
  } catch (err) {
    say(err instanceof Error ? err.message : String(err), 'error');
  }
}

function start() {
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $('key').value);
    $('key').value = '';
    run(async () => { await loadKey(); await loadGeoip(); await loadZones(); say('Key accepted.', 'ok'); });
  });
  $('key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    zone = null;
    view++;
    me = null;
    $('key-info').textContent = '';
    $('geoip').replaceChildren();
    $('geoip-note').textContent = '';
    $('geoip-update').disabled = true;
    $('zones').replaceChildren();
    $('zone').hidden = true;
    $('map-box').hidden = true;
    say('Key forgotten.', 'ok');
  });
  $('editor').addEventListener('submit', (e) => { e.preventDefault(); run(saveRRset); });
  $('rr-check').addEventListener('click', () => run(checkLua));
  $('rr-map').addEventListener('click', () => run(mapUnsaved));
  $('map-refresh').addEventListener('click', () => run(() => (lastMap ? mapRecord(lastMap) : undefined)));
  $('rr-clear').addEventListener('click', () => $('editor').reset());
  $('preview').addEventListener('submit', (e) => { e.preventDefault(); run(preview); });
  $('history-more').addEventListener('click', () => run(() => loadHistory(view)));
  $('geoip-update').addEventListener('click', () => run(updateGeoip));
  if (sessionStorage.getItem(KEY)) run(async () => { await loadKey(); await loadGeoip(); await loadZones(); });
}

start();
