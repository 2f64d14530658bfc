import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RrlTable, RRL_DROP, RRL_OK, RRL_SLIP } from './rrl-table.js';

/** Results of n debits of one key in second `now`, as counts. */
function burst(t: RrlTable, key: number, n: number, rate: number, slip: number, now: number) {
  const c = { ok: 0, drop: 0, slip: 0 };
  for (let i = 0; i < n; i++) {
    const r = t.debit(key, ~key, rate, slip, now);
    if (r === RRL_OK) c.ok++;
    else if (r === RRL_DROP) c.drop++;
    else if (r === RRL_SLIP) c.slip++;
  }
  return c;
}

test('a new account sends one second\'s worth, then slips the first and every slip-th refusal', () => {
  const t = new RrlTable(1024, 15);
  assert.deepEqual(burst(t, 1, 100, 20, 2, 0), { ok: 20, drop: 40, slip: 40 });
  const t3 = new RrlTable(1024, 15);
  assert.deepEqual(burst(t3, 1, 100, 20, 3, 0), { ok: 20, drop: 53, slip: 27 });
  assert.deepEqual(burst(new RrlTable(1024, 15), 1, 100, 20, 0, 0), { ok: 20, drop: 80, slip: 0 });
  assert.deepEqual(burst(new RrlTable(1024, 15), 1, 100, 20, 1, 0), { ok: 20, drop: 0, slip: 80 });
});

test('at or under the rate every response is sent; a sustained flood gets none until it stops for the window', () => {
  const t = new RrlTable(1024, 5);
  for (let s = 0; s < 30; s++) assert.equal(burst(t, 7, 10, 10, 2, s).ok, 10, `second ${s}`);
  // 20/s against 10/s: the first second's burst, then the debt (floored at -window × rate) never clears.
  const f = new RrlTable(1024, 5);
  let sent = 0;
  for (let s = 0; s < 20; s++) sent += burst(f, 7, 20, 10, 2, s).ok;
  assert.ok(sent <= 10 + 10, `sent ${sent}`);
  // The flood stops: 5 s (window) later the account is full again.
  assert.equal(burst(f, 7, 10, 10, 2, 20 + 6).ok, 10);
});

test('a short pause only pays back rate × seconds of the debt', () => {
  const t = new RrlTable(1024, 15);
  burst(t, 9, 40, 10, 2, 0);        // balance -30 (10 sent, 30 refused)
  assert.equal(burst(t, 9, 5, 10, 2, 2).ok, 0);   // +20 → -10: still in debt
  assert.equal(burst(t, 9, 10, 10, 2, 4).ok, 5);   // +20 from -15 → 5: five sent
  assert.equal(burst(t, 9, 30, 10, 2, 100).ok, 10); // long idle: capped at one second's worth
});

test('accounts are independent; started marks the first refusal only', () => {
  const t = new RrlTable(1024, 15);
  burst(t, 1, 20, 20, 2, 0);
  t.debit(1, ~1, 20, 2, 0);
  assert.equal(t.started, true);
  t.debit(1, ~1, 20, 2, 0);
  assert.equal(t.started, false);
  assert.equal(burst(t, 2, 20, 20, 2, 0).ok, 20);
  // Same first hash, different second: another account.
  assert.equal(t.debit(1, 12345, 20, 2, 0), RRL_OK);
});

test('memory is fixed: a million keys fit in the table size, evicting the least recently used', () => {
  const t = new RrlTable(1000, 15);
  assert.equal(t.size, 1024);
  for (let k = 0; k < 1_000_000; k++) t.debit(k * 2654435761, k, 5, 2, Math.floor(k / 100_000));
  assert.ok(t.evictions > 900_000, `evictions ${t.evictions}`);
  // A limited account stays limited while it is in the table…
  burst(t, 42, 10, 5, 2, 20);
  assert.notEqual(t.debit(42, ~42, 5, 2, 20), RRL_OK);
  // …and one pushed out by a flood of new keys starts afresh (the documented cost of a bounded table).
  for (let k = 0; k < 100_000; k++) t.debit(k * 40503 + 7, k, 5, 2, 20);
  assert.equal(t.debit(42, ~42, 5, 2, 20), RRL_OK);
});
