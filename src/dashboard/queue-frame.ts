import type { FastifyRequest } from "fastify";
import { type DashboardSection, signedInFrame } from "./dashboard-frame.ts";
import { type QueueTexts, queueTextsFor } from "./queue-texts.ts";

/** The frame of a work-queue page: the dashboard's frame plus the queues' texts. */
export function queueFrame(request: FastifyRequest, title: (t: QueueTexts) => string, current: DashboardSection) {
  const frame = signedInFrame(request, () => "", current);
  const q = queueTextsFor(frame.lang);
  return { ...frame, title: title(q), q };
}
