// Builds packages/control/src/web/static/world-land.json, the land outline the
// web page's map draws (equirectangular: x = lon + 180, y = 90 - lat, one unit a
// degree, so the page places a point with the same two additions). Source:
// world-atlas 2.0.2 (npm, ISC, Mike Bostock), land-110m.json = Natural Earth
// 4.1.0 land, 1:110m (public domain). Not a dependency: run it by hand when the
// outline should change:
//   npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
//   node scripts/make-world-outline.mjs package/land-110m.json
import { readFileSync, writeFileSync } from 'node:fs';

const topo = JSON.parse(readFileSync(process.argv[2] ?? 'package/land-110m.json', 'utf8'));
const { scale, translate } = topo.transform;
// TopoJSON arcs are delta-encoded quantized positions (topojson-specification §2.2).
const arcs = topo.arcs.map((arc) => {
  let x = 0, y = 0;
  return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * scale[0] + translate[0], y * scale[1] + translate[1]]; });
});
const ring = (ids) => {
  const pts = [];
  for (const id of ids) {
    const a = id < 0 ? [...arcs[~id]].reverse() : arcs[id];
    pts.push(...(pts.length ? a.slice(1) : a));
  }
  return pts;
};
const r1 = (v) => Math.round(v * 10) / 10;
const parts = [];
for (const g of topo.objects.land.geometries) {
  const polys = g.type === 'Polygon' ? [g.arcs] : g.arcs;
  for (const poly of polys) for (const ids of poly) {
    let last = '';
    let lastLon;
    const cmds = [];
    for (const [lon, lat] of ring(ids)) {
      const p = `${r1(lon + 180)} ${r1(90 - lat)}`;
      if (p === last) continue;
      // A ring across the antimeridian (Chukotka, Fiji) jumps from one edge to the
      // other: a new subpath there, not a line across the whole map.
      const jump = lastLon !== undefined && Math.abs(lon - lastLon) > 180;
      cmds.push(`${!cmds.length || jump ? 'M' : 'L'}${p}`);
      last = p;
      lastLon = lon;
    }
    if (cmds.length >= 3) parts.push(`${cmds.join('')}Z`);
  }
}
const out = {
  source: 'Natural Earth 4.1.0 land, 1:110m (public domain), via the npm package world-atlas 2.0.2 (land-110m.json, ISC licence, Copyright 2013-2019 Michael Bostock); coordinates rounded to 0.1 degree',
  projection: 'equirectangular: x = longitude + 180, y = 90 - latitude',
  viewBox: '0 0 360 180',
  d: parts.join(''),
};
const file = new URL('../packages/control/src/web/static/world-land.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(out)}\n`);
console.log(`${parts.length} rings, ${JSON.stringify(out).length} bytes`);
