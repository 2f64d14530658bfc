// The DNSSEC part of the PowerDNS Authoritative HTTP API (api/v1), on the
// gmysql `cryptokeys` table through @geoedge/zonedb:
//   GET    …/zones/{id}/cryptokeys                 every key, without privatekey
//   POST   …/zones/{id}/cryptokeys                 {keytype, active?, published?, algorithm?, bits?} or {keytype, privatekey} → 201 + key
//   GET    …/zones/{id}/cryptokeys/{key}           one key, with privatekey (keys that may change the zone only)
//   PUT    …/zones/{id}/cryptokeys/{key}           {active, published?} → 204
//   DELETE …/zones/{id}/cryptokeys/{key}           → 204
//   PUT    …/zones/{id}/rectify                    → 200 {"result": "Rectified"}
// An unknown zone or key is 404 {"error": "Not Found"}, as PowerDNS answers here.
// Read-only API keys are refused writes by the permission hook; every key
// change is in the zone's change history (public parts only).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  addCryptokey, deleteCryptokey, domainCryptokeys, domainMetadata, findDomain, rectifyZone, setCryptokey,
  type Audit, type Db, type DomainRow, type WriteOutcome,
} from '@geoedge/zonedb';
import { ApiError } from '../plugins/errors.js';
import { IGNORES_BODY } from '../plugins/request-parsing.js';
import { zoneFromId, type ZoneRef } from './zone-id.js';
import { cryptokeyObjects } from './cryptokey-view.js';
import { checkCryptokeyState, checkNewCryptokey } from './cryptokey-input.js';

export interface CryptokeyRoutesOptions {
  db: Db;
  historyProblem?: string;
}

type KeyReq = FastifyRequest<{ Params: { server: string; zone: string; key?: string } }>;

const BASE = '/api/v1/servers/:server/zones/:zone';

export async function cryptokeyRoutes(app: FastifyInstance, opts: CryptokeyRoutesOptions): Promise<void> {
  const { db } = opts;

  function audit(req: FastifyRequest): Audit {
    if (opts.historyProblem) throw new ApiError(503, opts.historyProblem);
    return { key: req.apiIdentity?.name ?? 'unknown' };
  }

  async function zoneOf(req: KeyReq): Promise<{ ref: ZoneRef; domain: DomainRow }> {
    const ref = req.params.server === 'localhost' ? zoneFromId(req.params.zone) : undefined;
    const domain = ref ? await findDomain(db, ref.stored) : undefined;
    if (!ref || !domain) throw new ApiError(404, 'Not Found');
    return { ref, domain: { ...domain, id: Number(domain.id) } };
  }

  async function keysOf(ref: ZoneRef, domain: DomainRow, withPrivate = false) {
    const [rows, meta] = await Promise.all([domainCryptokeys(db, domain.id), domainMetadata(db, domain.id, 'PUBLISH-CDS')]);
    return cryptokeyObjects(ref.fqdn, rows, meta, withPrivate);
  }

  app.get<{ Params: { server: string; zone: string } }>(`${BASE}/cryptokeys`, async (req) => {
    const { ref, domain } = await zoneOf(req);
    return keysOf(ref, domain);
  });

  app.post<{ Params: { server: string; zone: string } }>(`${BASE}/cryptokeys`, async (req, reply) => {
    const { ref, domain } = await zoneOf(req);
    const key = await checkNewCryptokey(req.body);
    if (!key.ok) throw new ApiError(422, key.error);
    const { id } = await ensure(await addCryptokey(db, ref.stored, ref.fqdn, key.value, audit(req)));
    const made = (await keysOf(ref, domain, true)).find((k) => k.id === id);
    return reply.code(201).send(made);
  });

  app.get<{ Params: { server: string; zone: string; key: string } }>(`${BASE}/cryptokeys/:key`, async (req) => {
    const { ref, domain } = await zoneOf(req);
    const id = keyId(req.params.key);
    // The private key only for an API key that could change this zone anyway.
    const who = req.apiIdentity;
    const mayRead = !who || (!who.readOnly && (!who.zones || who.zones.has(ref.stored)));
    const key = (await keysOf(ref, domain, mayRead)).find((k) => k.id === id);
    if (!key) throw new ApiError(404, 'Not Found');
    return key;
  });

  app.put<{ Params: { server: string; zone: string; key: string } }>(`${BASE}/cryptokeys/:key`, async (req, reply) => {
    const { ref } = await zoneOf(req);
    const id = keyId(req.params.key);
    const state = checkCryptokeyState(req.body);
    if (!state.ok) throw new ApiError(422, state.error);
    await ensure(await setCryptokey(db, ref.stored, ref.fqdn, id, state.value, audit(req)));
    return reply.code(204).send();
  });

  app.delete<{ Params: { server: string; zone: string; key: string } }>(`${BASE}/cryptokeys/:key`, async (req, reply) => {
    const { ref } = await zoneOf(req);
    await ensure(await deleteCryptokey(db, ref.stored, ref.fqdn, keyId(req.params.key), audit(req)));
    return reply.code(204).send();
  });

  app.put<{ Params: { server: string; zone: string } }>(`${BASE}/rectify`, { config: IGNORES_BODY }, async (req) => {
    const ref = req.params.server === 'localhost' ? zoneFromId(req.params.zone) : undefined;
    const domain = ref ? await findDomain(db, ref.stored) : undefined;
    if (!ref || !domain) throw new ApiError(404, `Could not find domain '${ref?.fqdn ?? req.params.zone}'`);
    await ensure(await rectifyZone(db, ref.stored, ref.fqdn));
    return { result: 'Rectified' };
  });
}

/** Key ids are whole numbers; anything else names no key (PowerDNS answers 500 here). */
function keyId(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new ApiError(404, 'Not Found');
  return Number(text);
}

async function ensure<T>(o: WriteOutcome<T>): Promise<T> {
  if (!o.ok) throw new ApiError(o.status, o.error);
  return o.value;
}
