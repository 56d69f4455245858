import type { PrismaClient } from "../db/generated/client.ts";

/** The lifecycle stages in funnel order. */
export const STAGES = ["potential", "new", "growing", "mature", "declining", "churned"] as const;

export interface Count {
  label: string;
  count: number;
}

/** One RFM segment: its size and its customers' predicted CLV (null CLVs, where the models were not fitted, left out). */
export interface SegmentValue {
  /** The segment key ("champions"…), or "-" for customers without orders in the window. */
  label: string;
  customers: number;
  /** Customers of the segment with a predicted CLV. */
  withClv: number;
  clvSum: number;
  /** Mean over `withClv`; null when none has one. */
  clvMean: number | null;
}

/** Customers whose stage the latest refresh changed: from → to, with how many. */
export interface StageMove {
  from: string;
  to: string;
  count: number;
}

export interface ScoreFigures {
  /** potential → churned, in that order; empty before the first analytics refresh. */
  lifecycle: Count[];
  /** Largest first. */
  segments: SegmentValue[];
  /** Only real moves (from ≠ to), largest first. */
  moves: StageMove[];
  /** Scored for the first time by the latest refresh (no previous stage). */
  firstScored: number;
  /** Had a stage before and kept it. */
  unchanged: number;
}

interface Cell {
  set: number;
  stage: string | null;
  previous: string | null;
  segment: string | null;
  count: number;
  with_clv: number;
  clv_sum: string | null;
}

/**
 * The overview's score figures in one statement: a single pass over "CustomerScore" grouped two
 * ways (stage with previous stage; RFM segment with the CLV sum), so a million customers are read
 * once per page. The refresh rewrites every row, so "previousLifecycleStage" is the stage before
 * the latest refresh and (previous, stage) pairs are the movement since then.
 */
export async function readScoreFigures(prisma: PrismaClient): Promise<ScoreFigures> {
  const cells = await prisma.$queryRaw<Cell[]>`
    SELECT GROUPING("rfmSegment")::int AS set,
           "lifecycleStage"::text AS stage, "previousLifecycleStage"::text AS previous, "rfmSegment" AS segment,
           count(*)::int AS count, count("predictedClv")::int AS with_clv, sum("predictedClv")::text AS clv_sum
      FROM "CustomerScore"
     GROUP BY GROUPING SETS (("lifecycleStage", "previousLifecycleStage"), ("rfmSegment"))`;
  // GROUPING("rfmSegment") is 1 in the stage set (the segment is not grouped there), 0 in the segment set.
  const stageCells = cells.filter((c) => c.set === 1);
  const segmentCells = cells.filter((c) => c.set === 0);

  const byStage = new Map<string, number>();
  const moves: StageMove[] = [];
  let firstScored = 0;
  let unchanged = 0;
  for (const cell of stageCells) {
    const stage = cell.stage ?? "";
    byStage.set(stage, (byStage.get(stage) ?? 0) + cell.count);
    if (cell.previous === null) firstScored += cell.count;
    else if (cell.previous === stage) unchanged += cell.count;
    else moves.push({ from: cell.previous, to: stage, count: cell.count });
  }
  moves.sort((a, b) => b.count - a.count || STAGES.indexOf(a.from as never) - STAGES.indexOf(b.from as never) || STAGES.indexOf(a.to as never) - STAGES.indexOf(b.to as never));

  const segments = segmentCells
    .map((cell): SegmentValue => {
      const clvSum = cell.clv_sum === null ? 0 : Number(cell.clv_sum);
      return { label: cell.segment ?? "-", customers: cell.count, withClv: cell.with_clv, clvSum, clvMean: cell.with_clv ? clvSum / cell.with_clv : null };
    })
    .sort((a, b) => b.customers - a.customers || (a.label < b.label ? -1 : 1));

  return {
    lifecycle: stageCells.length ? STAGES.map((stage) => ({ label: stage, count: byStage.get(stage) ?? 0 })) : [],
    segments,
    moves,
    firstScored,
    unchanged,
  };
}
