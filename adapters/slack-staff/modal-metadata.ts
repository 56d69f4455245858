/**
 * What a staff modal carries from the button that opened it to its submission, in the view's
 * private_metadata (Slack returns it untouched, and the request is signed): the channel it was
 * opened from, for access control, and the customer it is about.
 */
export interface ModalMetadata {
  channel: string | undefined;
  customerId: string;
  /** Where to answer after the submission (the card's response_url), if any. */
  responseUrl?: string | undefined;
}

export function encodeModalMetadata(metadata: ModalMetadata): string {
  return JSON.stringify(metadata);
}

/** Undefined for metadata this app did not write. */
export function decodeModalMetadata(text: unknown): ModalMetadata | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  try {
    const value = JSON.parse(text) as Partial<ModalMetadata>;
    if (typeof value.customerId !== "string") return undefined;
    return {
      channel: typeof value.channel === "string" ? value.channel : undefined,
      customerId: value.customerId,
      responseUrl: typeof value.responseUrl === "string" ? value.responseUrl : undefined,
    };
  } catch {
    return undefined;
  }
}
