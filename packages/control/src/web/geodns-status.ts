// Asks geodns's status address (geodns src/status-map.ts) for the map's data:
// its GeoIP location cells and a scratch evaluation of unsaved LUA code. Same
// bounds as routes/health.ts: a deadline and a size cap, so a stuck or hostile
// peer can neither hold a request nor fill memory.
export interface StatusTarget { address: string; key: string }

export type StatusAnswer<T> = { ok: true; body: T } | { ok: false; error: string };

const MAX_BYTES = 16 << 20;

export async function askGeodns<T>(st: StatusTarget, path: string, body?: unknown, timeoutMs = 10_000): Promise<StatusAnswer<T>> {
  const where = `geodns status at ${st.address}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`http://${st.address}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'X-API-Key': st.key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) throw new Error('answer is too large');
    text = await res.text();
    if (text.length > MAX_BYTES) throw new Error('answer is too large');
  } catch (err) {
    return { ok: false, error: `${where}: ${(err as Error).message}` };
  }
  if (res.status === 401) return { ok: false, error: `${where} refused the key (geodnsStatus.key must equal geodns's statusKey)` };
  if (res.status === 404) return { ok: false, error: `${where}: ${path} not served (set statusKey in geodns's config; an older geodns lacks it)` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: `${where}: not JSON (HTTP ${res.status})` };
  }
  if (res.status !== 200) return { ok: false, error: `${where}: HTTP ${res.status} ${(parsed as { error?: string }).error ?? ''}`.trim() };
  return { ok: true, body: parsed as T };
}
