/** An error that stops the run with exit code 2: bad usage, bad configuration, unreadable input paths. */
export class UsageError extends Error {
  override name = "UsageError";
}
