/**
 * The fault suite's load (tests/faults/load.ts), sent once with no kill to the test stack:
 * every request must be accepted and every operation must end right. It runs in `npm test`
 * so a fault of the load itself shows here, not as a wrong verdict on the system under kill -9.
 */
import { avatarImage, sendLoad, verify, type Answers } from '../faults/load';
import { apiUrl } from '../support/http';

// The fault suite names a round r<index><Date.now() in base 36>. This name's digits read
// 745231: the load once took the pictures' height from them, made 160 × 745,351-pixel PNGs
// of about 6 MB, and the API rightly refused them with 413 (CI, round 7, worker-ml).
const ROUND = `r7m45b23x1${Math.random()
  .toString(36)
  .replace(/[^a-z]/g, '')
  .slice(0, 4)}`;

test('the fault load accepts every request and every operation ends right, whatever digits the round name holds', async () => {
  const answers: Answers = { inFlight: 0, statuses: [], noAnswer: 0, slowest503Ms: 0 };
  const endpoints = { api: apiUrl(), inbox: process.env.ORCHESTRA_TEST_INBOX_URL! };
  const accepted = await sendLoad(endpoints, answers, { round: ROUND, index: 7, chains: 4, comments: 3, avatars: 3, deadline: Date.now() + 120_000 });
  expect(accepted.refused).toEqual([]);
  expect({ chains: accepted.chains.length, comments: accepted.comments.length, avatars: accepted.avatars.length }).toEqual({
    chains: 4,
    comments: 3,
    avatars: 3,
  });
  expect(await verify(endpoints, accepted, Date.now() + 120_000)).toEqual({ lost: [], duplicated: [] });
});

test("the load's avatar pictures are small and of the round's own size", async () => {
  const image = await avatarImage(7, 2);
  expect(image.length).toBeLessThan(100_000);
  expect(image.readUInt32BE(16)).toBe(162); // IHDR width
  expect(image.readUInt32BE(20)).toBe(127); // IHDR height
});
