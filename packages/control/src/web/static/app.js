// The zone page's script: talks to the PowerDNS-compatible /api/v1 routes with
// the key from sessionStorage. Everything from the API reaches the DOM through
// textContent or element properties, never as HTML, so record contents cannot
// inject markup (and the Content-Security-Policy forbids inline scripts anyway).
const API = '/api/v1/servers/localhost';
const KEY = 'geoedge.apiKey';
const $ = (id) => document.getElementById(id);
let zone = null; // the zone shown, its name with the trailing dot

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
  zone = name;
  const z = await api('GET', zonePath(name));
  $('zone').hidden = false;
  $('zone-name').textContent = z.name;
  for (const b of $('zones').querySelectorAll('button')) b.classList.toggle('current', b.textContent === name);
  const body = $('rrsets').tBodies[0];
  body.replaceChildren();
  for (const rr of z.rrsets) body.append(rrsetRow(rr));
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
  if (rr.type !== 'SOA') {
    const del = el('button', 'Delete');
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
    run(async () => { await loadZones(); say('Key accepted.', 'ok'); });
  });
  $('key-forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    zone = null;
    $('zones').replaceChildren();
    $('zone').hidden = true;
    say('Key forgotten.', 'ok');
  });
  $('editor').addEventListener('submit', (e) => { e.preventDefault(); run(saveRRset); });
  $('rr-check').addEventListener('click', () => run(checkLua));
  $('rr-clear').addEventListener('click', () => $('editor').reset());
  $('preview').addEventListener('submit', (e) => { e.preventDefault(); run(preview); });
  if (sessionStorage.getItem(KEY)) run(loadZones);
}

start();
