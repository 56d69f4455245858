export { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, buildExportDocument, type CustomerExport } from "./export-document.ts";
export { exportCounts, exportSummaryText, summaryLocale, type ExportCounts } from "./export-summary.ts";
export {
  CONFIRM_ERASE_KIND,
  ERASURE_CONSENT_SOURCE,
  PrivacyService,
  defaultPrivacySettings,
  type ConfirmErasureResult,
  type CustomerExportResult,
  type EraseOptions,
  type ErasureRequest,
  type ErasureResult,
  type PrivacySettings,
} from "./privacy-service.ts";
