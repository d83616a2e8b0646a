import { startFakeUpstream } from '../test/support/fake-upstream.js';

/** The fake upstream in its own process, so its CPU is not the load generator's or the proxy's. */
const upstream = await startFakeUpstream();
upstream.behave('bench-stream', { text: Array.from({ length: 20 }, (_, i) => `w${i}`).join(' '), chunkCount: 20 });
upstream.behave('bench-chat', { text: 'A short benchmark answer of a few words.' });
upstream.behave('bench-claude', { text: Array.from({ length: 20 }, (_, i) => `w${i}`).join(' '), chunkCount: 20 });
// Keep memory flat over long runs: the bench does not read the recorded requests.
setInterval(() => upstream.requests.splice(0), 1000).unref();
process.stdout.write(`${JSON.stringify({ port: upstream.port })}\n`);
process.on('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
