/** Runs an action over many ids a few at a time; reports how many succeeded and the first failure. */
export async function runEach(
  ids: readonly string[],
  action: (id: string) => Promise<unknown>,
  concurrency = 8,
): Promise<{ succeeded: number; failed: number; firstError: unknown }> {
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let firstError: unknown;
  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      try {
        await action(id);
        succeeded++;
      } catch (error) {
        failed++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return { succeeded, failed, firstError };
}
