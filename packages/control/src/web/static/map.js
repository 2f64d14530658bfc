// The map view of one LUA record (issue 20): POST /api/v1/lua/map gives the
// location cells of geodns's GeoIP database, the answer geodns gives a client in
// each, the candidate PoPs and their health; drawn here as SVG over the bundled
// land outline (world-land.json, equirectangular: x = lon + 180, y = 90 - lat),
// with a legend (answer → share of locations) and a table of the same data for
// screen readers. Everything from the API reaches the DOM as text or attribute
// values, never as markup. Speed: one element per point, built into a fragment
// and attached once.
const SVG = 'http://www.w3.org/2000/svg';
// Distinct on white and for the common colour-vision deficiencies (Okabe–Ito), then more.
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#f0e442', '#000000', '#8c564b', '#17becf'];
const DOWN = '#9aa0a6';

let land = null;
let seq = 0; // counts finished maps (data-seq): a test or a script waits for the next one

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const x = (lon) => (lon + 180).toFixed(2);
const y = (lat) => (90 - lat).toFixed(2);
export const colour = (i) => COLOURS[i] ?? `hsl(${(i * 47) % 360} 60% 45%)`;

async function loadLand() {
  if (land) return land;
  const r = await fetch('/ui/world-land.json');
  if (!r.ok) throw new Error(`world outline: HTTP ${r.status}`);
  land = await r.json();
  return land;
}

/** Great-circle angle between two places, enough to compare distances. */
function angle(aLat, aLon, bLat, bLon) {
  const rad = Math.PI / 180;
  const c = Math.sin(aLat * rad) * Math.sin(bLat * rad) + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.cos((aLon - bLon) * rad);
  return Math.acos(Math.max(-1, Math.min(1, c)));
}

/**
 * Asks for the map and draws it. `req` is the API body ({qname, zone, contents, unsaved});
 * `api` is the page's API call. Resolves when the map is on the page.
 */
export async function showMap(api, req) {
  const box = document.getElementById('map-box');
  const map = document.getElementById('map');
  const started = performance.now();
  box.hidden = false;
  map.dataset.state = 'loading';
  document.getElementById('map-title').textContent = `${req.qname}: loading…`;
  let data;
  try {
    const [d, outline] = await Promise.all([api('POST', '/api/v1/lua/map', req), loadLand()]);
    data = d;
    const t = performance.now();
    draw(data, outline);
    map.dataset.drawMs = String(Math.round(performance.now() - t));
  } catch (err) {
    map.dataset.state = 'error';
    map.dataset.seq = String(++seq);
    document.getElementById('map-title').textContent = `${req.qname}: no map`;
    throw err;
  }
  map.dataset.state = 'ready';
  map.dataset.seq = String(++seq);
  map.dataset.renderMs = String(Math.round(performance.now() - started));
  map.dataset.serverMs = String(data.elapsed_ms);
  return data;
}

function draw(data, outline) {
  const map = document.getElementById('map');
  map.dataset.mode = data.mode;
  map.dataset.qname = data.qname;
  map.dataset.points = String(data.points.length);
  const title = `${data.qname} ${data.qtype}${data.mode === 'scratch' ? ' (unsaved edit, scratch evaluation)' : ' (saved record, asked over DNS)'}`;
  document.getElementById('map-title').textContent = title;
  const db = data.database;
  document.getElementById('map-note').textContent =
    `${data.points.length} locations from ${db ? `${db.type} (built ${String(db.buildEpoch ?? '').slice(0, 10)})` : 'no GeoIP database'}, answered by geodns at ${data.server} in ${data.elapsed_ms} ms.` +
    (data.health_error ? ` Health unavailable: ${data.health_error}` : '');

  const down = new Set(data.pops.filter((p) => p.state === 'down').map((p) => p.address));
  const placed = data.pops.filter((p) => p.lat !== undefined);
  const frag = document.createDocumentFragment();
  frag.append(svg('rect', { x: 0, y: 0, width: 360, height: 180, class: 'sea' }));
  frag.append(svg('path', { d: outline.d, class: 'land' }));
  const points = svg('g', { class: 'points' });
  const moved = new Map(); // down PoP → (answer → count): where the clients closest to it go now
  for (const [lat, lon, ai, client, place] of data.points) {
    const answer = data.answers[ai].answer;
    const c = svg('circle', { cx: x(lon), cy: y(lat), r: 0.7, fill: colour(ai) });
    c.dataset.answer = answer;
    c.dataset.lat = String(lat);
    c.dataset.lon = String(lon);
    c.dataset.client = client;
    if (down.size && placed.length) {
      let best = null;
      for (const p of placed) {
        const d = angle(lat, lon, p.lat, p.lon);
        if (!best || d < best.d) best = { d, address: p.address };
      }
      if (down.has(best.address)) {
        c.dataset.movedFrom = best.address;
        c.setAttribute('class', 'moved');
        const m = moved.get(best.address) ?? new Map();
        m.set(answer, (m.get(answer) ?? 0) + 1);
        moved.set(best.address, m);
      }
    }
    const t = svg('title', {});
    t.textContent = `${place} (${client}) → ${answer}`;
    c.append(t);
    points.append(c);
  }
  frag.append(points);
  const index = new Map(data.answers.map((a, i) => [a.answer, i]));
  for (const p of placed) {
    const isDown = p.state === 'down';
    const g = svg('g', { class: `pop ${p.state}`, transform: `translate(${x(p.lon)} ${y(p.lat)})` });
    g.dataset.address = p.address;
    g.dataset.state = p.state;
    const ai = index.get(p.address);
    g.append(svg('path', { d: 'M0 -3.2 L2.8 1.6 L-2.8 1.6 Z', fill: isDown ? DOWN : ai === undefined ? '#fff' : colour(ai) }));
    const t = svg('title', {});
    t.textContent = `PoP ${p.address} (${p.place}): ${p.state}${isDown && p.since ? ` since ${p.since}` : ''}`;
    g.append(t);
    frag.append(g);
  }
  map.replaceChildren(frag);
  legend(data, down, moved);
  table(data);
}

function legend(data, down, moved) {
  const total = data.points.length || 1;
  const list = document.getElementById('map-legend');
  list.replaceChildren();
  data.answers.forEach((a, i) => {
    const li = el('li');
    li.dataset.answer = a.answer;
    li.dataset.count = String(a.count);
    const sw = el('span', '', 'swatch');
    sw.style.background = colour(i);
    li.append(sw, el('span', `${a.answer}: ${a.count} locations (${((100 * a.count) / total).toFixed(1)} %)`));
    list.append(li);
  });
  const pops = document.getElementById('map-pops');
  pops.replaceChildren();
  for (const p of data.pops) {
    let text = `PoP ${p.address} (${p.place}): ${p.state}`;
    if (p.state === 'down') {
      text += `${p.since ? ` since ${p.since.replace('T', ' ').replace(/\.\d+Z$/, '')} UTC` : ''}${p.last_error ? ` — ${p.last_error}` : ''}`;
      const m = moved.get(p.address);
      text += m ? `; the ${[...m.values()].reduce((s, n) => s + n, 0)} locations closest to it now go to ${[...m].map(([ans, n]) => `${ans} (${n})`).join(', ')} (ringed on the map)` : '; no sampled location is closest to it';
    }
    if (p.lat === undefined) text += ' — GeoIP does not place it, not drawn';
    const li = el('li', text, p.state);
    li.dataset.address = p.address;
    li.dataset.state = p.state;
    pops.append(li);
  }
}

function table(data) {
  const body = document.getElementById('map-table').tBodies[0];
  const frag = document.createDocumentFragment();
  for (const [lat, lon, ai, client, place] of data.points) {
    const tr = document.createElement('tr');
    tr.dataset.answer = data.answers[ai].answer;
    for (const text of [place, `${lat}, ${lon}`, client, data.answers[ai].answer]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    frag.append(tr);
  }
  body.replaceChildren(frag);
  document.getElementById('map-table-summary').textContent = `Table of the map: ${data.points.length} locations and their answers`;
}
