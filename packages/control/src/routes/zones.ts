// The zone part of the PowerDNS Authoritative HTTP API (api/v1), on the
// gmysql tables through @geoedge/zonedb:
//   GET    …/zones                        list (no rrsets)
//   POST   …/zones                        create → 201 + zone; 409 if it exists
//   GET    …/zones/{id}[?rrsets=false&rrset_name=&rrset_type=]
//   PATCH  …/zones/{id}                   RRset changes, one transaction → 204
//   PUT    …/zones/{id}                   zone fields (kind, masters, …) → 204
//   DELETE …/zones/{id}                   → 204
//   PUT    …/zones/{id}/notify            → 200 {"result": "Notification queued"}
//   GET    …/zones/{id}/export            zone-file text
//   GET/PUT/POST/DELETE …/zones/{id}/metadata[/{kind}]
// Unknown zones: 404 {"error": "Could not find domain '<name>'"}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createZone, deleteZone, patchZone, updateZone, putMetadata, addMetadata, markNotified,
  findDomain, listDomains, domainRecords, domainComments, domainMetadata, domainSoa, allSoasAndMetadata, isSecured, securedDomainIds,
  type Audit, type Db, type DomainRow, type WriteOutcome,
} from '@geoedge/zonedb';
import { ApiError } from '../plugins/errors.js';
import { IGNORES_BODY } from '../plugins/request-parsing.js';
import { zoneFromId, type ZoneRef } from './zone-id.js';
import { mayChangeZone } from '../plugins/permissions.js';
import { buildRRsets, exportText, metadataObjects, zoneDetail, zoneSummary } from './zone-view.js';
import { checkRRsets, isObject } from './zone-input.js';
import { checkZoneCreate, checkZoneFields, checkMetadataKind, checkMetadataValues } from './zone-create.js';

export interface ZoneRoutesOptions {
  db: Db;
  /** Set when the history table is missing: writes are refused (503) rather than made unrecorded. */
  historyProblem?: string;
}

type ZoneReq = FastifyRequest<{ Params: { server: string; zone: string; kind?: string }; Querystring: Record<string, string | undefined> }>;

const BASE = '/api/v1/servers/:server/zones';

export async function zoneRoutes(app: FastifyInstance, opts: ZoneRoutesOptions): Promise<void> {
  const { db } = opts;

  /** Who is changing: the key's name for the change history (history.ts in zonedb). */
  function audit(req: FastifyRequest): Audit {
    if (opts.historyProblem) throw new ApiError(503, opts.historyProblem);
    return { key: req.apiIdentity?.name ?? 'unknown' };
  }

  /** The zone of the request, or 404 as PowerDNS answers. */
  async function zoneOf(req: ZoneReq): Promise<{ ref: ZoneRef; domain: DomainRow }> {
    if (req.params.server !== 'localhost') throw new ApiError(404, 'Not Found');
    const ref = zoneFromId(req.params.zone);
    const domain = ref ? await findDomain(db, ref.stored) : undefined;
    if (!ref || !domain) throw new ApiError(404, `Could not find domain '${ref?.fqdn ?? req.params.zone}'`);
    return { ref, domain: { ...domain, id: Number(domain.id) } };
  }

  async function detail(domain: DomainRow, withRRsets: boolean, filter: { name?: string; type?: string } = {}) {
    const [soa, meta, secured] = await Promise.all([domainSoa(db, domain.id), domainMetadata(db, domain.id), isSecured(db, domain.id)]);
    if (!withRRsets) return zoneDetail(domain, soa?.content, meta, secured);
    const [records, comments] = await Promise.all([domainRecords(db, domain.id, filter), domainComments(db, domain.id)]);
    const wanted = comments.filter((c) => (filter.name === undefined || c.name === filter.name) && (filter.type === undefined || c.type === filter.type));
    return zoneDetail(domain, soa?.content, meta, secured, buildRRsets(records, wanted));
  }

  app.get<{ Params: { server: string }; Querystring: { zone?: string; dnssec?: string } }>(BASE, async (req) => {
    if (req.params.server !== 'localhost') throw new ApiError(404, 'Not Found');
    let domains = await listDomains(db);
    if (req.query.zone !== undefined) {
      const ref = zoneFromId(req.query.zone);
      domains = domains.filter((d) => ref !== undefined && d.name.toLowerCase() === ref.stored);
    }
    // Three queries for all zones, not three per zone: PowerDNS-Admin lists often.
    const [{ soa, meta }, secured] = await Promise.all([allSoasAndMetadata(db), securedDomainIds(db)]);
    return domains.map((d) => {
      const z: Partial<ReturnType<typeof zoneSummary>> = zoneSummary(d, soa.get(Number(d.id)), meta.get(Number(d.id)) ?? [], secured.has(Number(d.id)));
      // ?dnssec=false: PowerDNS skips the DNSSEC look-ups and leaves these two out.
      if (req.query.dnssec === 'false') { delete z.dnssec; delete z.edited_serial; }
      return z;
    });
  });

  app.post<{ Params: { server: string } }>(BASE, async (req, reply) => {
    if (req.params.server !== 'localhost') throw new ApiError(404, 'Not Found');
    const spec = await checkZoneCreate(req.body);
    if (!spec.ok) throw new ApiError(422, spec.error);
    mayChangeZone(req.apiIdentity, spec.value.ref.stored, spec.value.ref.fqdn);
    const { id } = await ensure(await createZone(db, spec.value.spec, spec.value.ref.fqdn, new Date(), audit(req)));
    const domain = await findDomain(db, spec.value.ref.stored);
    if (!domain) throw new Error(`zone ${id} vanished after creation`);
    return reply.code(201).send(await detail({ ...domain, id: Number(domain.id) }, true));
  });

  app.get<{ Params: { server: string; zone: string }; Querystring: Record<string, string | undefined> }>(`${BASE}/:zone`, async (req) => {
    const { domain, ref } = await zoneOf(req);
    const q = req.query;
    const filter = rrsetFilter(q, ref);
    return detail(domain, q.rrsets !== 'false', filter);
  });

  app.patch<{ Params: { server: string; zone: string } }>(`${BASE}/:zone`, async (req, reply) => {
    const { ref } = await zoneOf(req as ZoneReq);
    const changes = await checkRRsets(isObject(req.body) ? req.body.rrsets : undefined, ref);
    if (!changes.ok) throw new ApiError(422, changes.error);
    await ensure(await patchZone(db, ref.stored, ref.fqdn, changes.value, new Date(), audit(req)));
    return reply.code(204).send();
  });

  app.put<{ Params: { server: string; zone: string } }>(`${BASE}/:zone`, async (req, reply) => {
    const { ref } = await zoneOf(req as ZoneReq);
    const fields = await checkZoneFields(req.body, ref);
    if (!fields.ok) throw new ApiError(422, fields.error);
    await ensure(await updateZone(db, ref.stored, ref.fqdn, fields.value, audit(req)));
    return reply.code(204).send();
  });

  app.delete<{ Params: { server: string; zone: string } }>(`${BASE}/:zone`, async (req, reply) => {
    const { ref } = await zoneOf(req as ZoneReq);
    await ensure(await deleteZone(db, ref.stored, ref.fqdn, audit(req)));
    return reply.code(204).send();
  });

  // geodns and the replica pick changes up from the database itself, so no
  // NOTIFY is sent; like PowerDNS we record the serial as notified.
  // lego sends it with Content-Type: application/json and no body; PowerDNS never reads it.
  app.put<{ Params: { server: string; zone: string } }>(`${BASE}/:zone/notify`, { config: IGNORES_BODY }, async (req) => {
    const { ref } = await zoneOf(req as ZoneReq);
    await ensure(await markNotified(db, ref.stored, ref.fqdn));
    return { result: 'Notification queued' };
  });

  app.get<{ Params: { server: string; zone: string } }>(`${BASE}/:zone/export`, async (req, reply) => {
    const { domain } = await zoneOf(req as ZoneReq);
    const text = exportText(await domainRecords(db, domain.id));
    // PowerDNS answers {"zone": text} to clients that ask for JSON, plain text otherwise.
    if ((req.headers.accept ?? '').includes('application/json')) return { zone: text };
    return reply.type('text/plain; charset=utf-8').send(text);
  });

  app.get<{ Params: { server: string; zone: string } }>(`${BASE}/:zone/metadata`, async (req) => {
    const { domain } = await zoneOf(req as ZoneReq);
    return metadataObjects(await domainMetadata(db, domain.id));
  });

  app.post<{ Params: { server: string; zone: string } }>(`${BASE}/:zone/metadata`, async (req, reply) => {
    const { ref, domain } = await zoneOf(req as ZoneReq);
    const body = isObject(req.body) ? req.body : {};
    const kind = checkMetadataKind(body.kind, false);
    if (!kind.ok) throw new ApiError(422, kind.error);
    const values = checkMetadataValues(body.metadata);
    if (!values.ok) throw new ApiError(422, values.error);
    await ensure(await addMetadata(db, ref.stored, ref.fqdn, kind.value, values.value, audit(req)));
    return reply.code(201).send(metaOf(kind.value, await domainMetadata(db, domain.id, kind.value)));
  });

  app.get<{ Params: { server: string; zone: string; kind: string } }>(`${BASE}/:zone/metadata/:kind`, async (req) => {
    const { domain } = await zoneOf(req as ZoneReq);
    const kind = checkMetadataKind(req.params.kind, true);
    if (!kind.ok) throw new ApiError(422, kind.error);
    return metaOf(kind.value, await domainMetadata(db, domain.id, kind.value));
  });

  app.put<{ Params: { server: string; zone: string; kind: string } }>(`${BASE}/:zone/metadata/:kind`, async (req) => {
    const { ref, domain } = await zoneOf(req as ZoneReq);
    const kind = checkMetadataKind(req.params.kind, false);
    if (!kind.ok) throw new ApiError(422, kind.error);
    const values = checkMetadataValues(isObject(req.body) ? req.body.metadata : undefined);
    if (!values.ok) throw new ApiError(422, values.error);
    await ensure(await putMetadata(db, ref.stored, ref.fqdn, kind.value, values.value, audit(req)));
    return metaOf(kind.value, await domainMetadata(db, domain.id, kind.value));
  });

  app.delete<{ Params: { server: string; zone: string; kind: string } }>(`${BASE}/:zone/metadata/:kind`, async (req, reply) => {
    const { ref } = await zoneOf(req as ZoneReq);
    const kind = checkMetadataKind(req.params.kind, false);
    if (!kind.ok) throw new ApiError(422, kind.error);
    await ensure(await putMetadata(db, ref.stored, ref.fqdn, kind.value, [], audit(req)));
    // PowerDNS 4.7 answers 200 with an empty body here (not 204 as for zones).
    return reply.code(200).send();
  });
}

function metaOf(kind: string, rows: Array<{ content: string }>) {
  return { kind, metadata: rows.map((r) => r.content), type: 'Metadata' };
}

/** A refused write becomes PowerDNS's error answer. */
async function ensure<T>(o: WriteOutcome<T>): Promise<T> {
  if (!o.ok) throw new ApiError(o.status, o.error);
  return o.value;
}

function rrsetFilter(q: Record<string, string | undefined>, zone: ZoneRef): { name?: string; type?: string } {
  const out: { name?: string; type?: string } = {};
  if (q.rrset_name !== undefined) {
    const ref = zoneFromId(q.rrset_name);
    if (!ref || !q.rrset_name.endsWith('.')) throw new ApiError(422, `DNS Name '${q.rrset_name}' is not canonical`);
    if (ref.stored !== zone.stored && !ref.stored.endsWith(`.${zone.stored}`) && zone.stored !== '') throw new ApiError(422, `Name '${ref.fqdn}' is out of zone`);
    out.name = ref.stored;
  }
  if (q.rrset_type !== undefined) out.type = q.rrset_type.toUpperCase();
  return out;
}
