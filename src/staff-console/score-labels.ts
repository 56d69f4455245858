import { LIFECYCLE_STAGE_LABELS, type LifecycleStageName } from "../analytics/lifecycle.ts";
import { RELATIONSHIP_LEVEL_LABELS, type RelationshipLevelName } from "../analytics/relationship.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../analytics/rfm.ts";
import type { CustomerCard, ScoreLabels } from "../core/staff-console-services.ts";

/** The English names of a card's scores, from the same tables `tend customer show` prints; a key without a name is shown as it is. */
export function scoreLabels(card: CustomerCard): ScoreLabels | null {
  const scores = card.scores;
  if (!scores) return null;
  const segment = scores.rfm.segment;
  return {
    rfmSegment: segment === null ? null : (RFM_SEGMENT_LABELS[segment as RfmSegment]?.en ?? segment),
    lifecycleStage: LIFECYCLE_STAGE_LABELS[scores.lifecycleStage as LifecycleStageName]?.en ?? scores.lifecycleStage,
    relationshipLevel: RELATIONSHIP_LEVEL_LABELS[scores.relationshipLevel as RelationshipLevelName]?.en ?? scores.relationshipLevel,
  };
}
