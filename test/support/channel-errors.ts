import { expect } from "vitest";
import { ChannelError } from "../../src/core/channel.ts";

/** The ChannelError a send failed with; fails the test when it did not fail that way. */
export async function sendError(work: Promise<unknown>): Promise<ChannelError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}
