// Maps every failure to PowerDNS's error body, {"error": "<text>"}, in one
// place: malformed JSON → 400, oversized body → 413, wrong content type → 415,
// schema validation → 422 (PowerDNS answers invalid input with 422), unknown
// route → 404 {"error": "Not Found"}, anything unexpected → 500 (logged once,
// details kept out of the answer).
import type { FastifyError, FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';

/** Thrown by routes for the answers PowerDNS gives as 4xx; `status` picks the code. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `beforeNotFound` runs first for unknown paths (app.ts uses it to ask /api paths for the key). */
export function installErrorHandling(app: FastifyInstance, beforeNotFound?: preHandlerAsyncHookHandler): void {
  app.setNotFoundHandler({ ...(beforeNotFound ? { preHandler: beforeNotFound } : {}) }, (_req, reply) => {
    void reply.code(404).send({ error: 'Not Found' });
  });
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send({ error: err.message });
    const e = err as FastifyError;
    if (e.validation) return reply.code(422).send({ error: e.message });
    const status = e.statusCode ?? 500;
    if (status === 400 || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply.code(400).send({ error: `Invalid JSON: ${e.message}` });
    }
    if (status >= 400 && status < 500) return reply.code(status).send({ error: e.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error' });
  });
}
