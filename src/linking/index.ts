export { CODE_ALPHABET, LINK_CODE_LENGTH, normalizeCode } from "./code.ts";
export { mergeProfiles } from "./merge-profile.ts";
export {
  LinkService,
  MERGE_CONSENT_SOURCE,
  defaultLinkSettings,
  linkSettingsFromConfig,
  type IssuedLinkCode,
  type LinkSettings,
  type RedeemOptions,
  type RedeemResult,
} from "./link-service.ts";
