// Transparent mode is optional at run time: the FFI adapter is loaded only when
// a group asks for it, and its absence is reported, not fatal.
import type { Logger } from '@geoedge/shared';
import type { TransparentConnector } from '../listen/runtime.js';

export async function loadTransparent(log: Logger): Promise<TransparentConnector | undefined> {
  try {
    const mod = await import('./libc-socket.js');
    const r = mod.createTransparentConnector();
    if (r.ok) return r.connector;
    log.error({ reason: r.message }, 'transparent mode unavailable; transparent upstreams will fail to connect');
  } catch (err) {
    log.error({ err }, 'transparent mode unavailable (the native layer did not load)');
  }
  return undefined;
}
