export { complaintWordsIn, isComplaint } from "./complaint-words.ts";
export {
  type CloseCaseResult,
  type CustomerNotifier,
  type FeedbackCase,
  type FeedbackCaseSource,
  FeedbackService,
  type FeedbackServiceOptions,
  type NotifyCustomer,
  type OpenCaseOptions,
} from "./feedback-service.ts";
export { type CustomerLanguage, customerLanguage } from "./locale.ts";
