/**
 * Runs `work` over every element with at most `concurrency` running at once, in the order
 * of the list. Resolves when all have resolved; rejects with the first failure, after which
 * no further element is started.
 *
 * @example
 * await forEachLimited(requests, 4, (request) => send(request));
 */
export const forEachLimited = async <T>(
  elements: readonly T[],
  concurrency: number,
  work: (element: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < elements.length) {
      try {
        await work(elements[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, elements.length));
  await Promise.all(Array.from({ length: workers }, worker));
};
