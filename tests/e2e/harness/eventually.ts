/** Calls `probe` until it returns something other than undefined/false, or throws its last error after `timeout`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeout = 15_000, what = "the condition"): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeout} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
