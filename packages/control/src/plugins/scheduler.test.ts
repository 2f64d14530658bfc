import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@geoedge/shared';
import { scheduleJob, isValidSchedule } from './scheduler.js';
import { DEFAULT_SCHEDULE } from '../config.js';

const log = createLogger({ name: 'test', level: 'silent' });

test('the default schedule runs twice a week, Wednesday and Saturday at 05:17', async () => {
  assert.ok(isValidSchedule(DEFAULT_SCHEDULE));
  const job = scheduleJob('t', DEFAULT_SCHEDULE, log, async () => undefined);
  await job.start();
  try {
    const next = job.nextRun();
    assert.ok(next);
    assert.ok([3, 6].includes(next.getDay()), `day ${next.getDay()}`);
    assert.equal(next.getHours(), 5);
    assert.equal(next.getMinutes(), 17);
  } finally {
    await job.close();
  }
  assert.equal(job.nextRun(), null, 'closed jobs have no next run');
});

test('a due job runs, a failing job does not stop the schedule, close stops it', async () => {
  let runs = 0;
  const job = scheduleJob('every-second', '* * * * * *', log, async () => {
    runs++;
    throw new Error('boom');
  });
  await job.start();
  const deadline = Date.now() + 5000;
  while (runs < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await job.close();
  assert.ok(runs >= 2, `runs: ${runs}`);
  const after = runs;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(runs, after);
});

test('invalid expressions are recognised', () => {
  for (const e of ['', 'every day', '61 * * * *', '* * * *', '* * * * * * *']) assert.equal(isValidSchedule(e), false, e);
});
