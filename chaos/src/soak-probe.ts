/**
 * Preloaded into the soak's control-plane process (`node --expose-gc --import`), so
 * the soak can tell a leak from a heap that grew under load: RSS alone cannot, since
 * V8 keeps the space it grew into and the allocator keeps freed pages. Once a second
 * it writes one JSON line to stderr: RSS, V8 heap used, memory outside the heap
 * (Buffers, sockets), and the heap used right after the last forced full collection,
 * which is what the process really retains. The collection runs every 30 s: often
 * enough for a trend over a 60 s run, rarely enough not to shape the latencies.
 */
const collect = (globalThis as { gc?: () => void }).gc;
let heapAfterGc = 0;
let tick = 0;

setInterval(() => {
  if (collect && tick++ % 30 === 0) {
    collect();
    heapAfterGc = process.memoryUsage().heapUsed;
  }
  const memory = process.memoryUsage();
  process.stderr.write(
    `${JSON.stringify({
      soakProbe: {
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        external: memory.external,
        heapAfterGc,
      },
    })}\n`,
  );
}, 1_000).unref();
