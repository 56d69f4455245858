import type { Prisma, PrismaClient, Reward } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

export type { Reward };

export interface RewardInput {
  code: string;
  name: string;
  nameZh?: string | null | undefined;
  description?: string | null | undefined;
  cost: number;
  active?: boolean | undefined;
}

export type RewardPatch = Partial<Omit<RewardInput, "code">>;

export type CreateRewardResult = { created: true; reward: Reward } | { created: false; reward: null };

/** Works on the client or inside a transaction. */
type Db = PrismaClient | Prisma.TransactionClient;

export class RewardRepository {
  constructor(private readonly db: Db) {}

  /** Cheapest first: the order a catalogue is shown in. */
  listActive(): Promise<Reward[]> {
    return this.db.reward.findMany({ where: { active: true }, orderBy: [{ cost: "asc" }, { code: "asc" }] });
  }

  listAll(): Promise<Reward[]> {
    return this.db.reward.findMany({ orderBy: [{ cost: "asc" }, { code: "asc" }] });
  }

  count(): Promise<number> {
    return this.db.reward.count();
  }

  findByCode(code: string): Promise<Reward | null> {
    return this.db.reward.findUnique({ where: { code } });
  }

  findById(id: string): Promise<Reward | null> {
    return this.db.reward.findUnique({ where: { id } });
  }

  async create(input: RewardInput): Promise<CreateRewardResult> {
    try {
      return { created: true, reward: await this.db.reward.create({ data: toData(input) }) };
    } catch (error) {
      if (isUniqueViolation(error)) return { created: false, reward: null };
      throw error;
    }
  }

  /** Null when no reward has this code. */
  async update(code: string, patch: RewardPatch): Promise<Reward | null> {
    const { count } = await this.db.reward.updateMany({ where: { code }, data: toPatch(patch) });
    return count === 0 ? null : this.findByCode(code);
  }

  /**
   * Creates the reward or makes the one with the same code exactly `input` (fields left out are
   * cleared, `active` defaults to true). Several instances starting together may race on the
   * insert; the loser retries as an update.
   */
  async upsert(input: RewardInput): Promise<Reward> {
    const data = toData(input);
    const { code: _code, ...update } = data;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.reward.upsert({ where: { code: input.code }, create: data, update });
      } catch (error) {
        if (attempt > 0 || !isUniqueViolation(error)) throw error;
      }
    }
  }
}

function toData(input: RewardInput): Prisma.RewardCreateInput {
  return {
    code: input.code,
    name: input.name,
    nameZh: input.nameZh ?? null,
    description: input.description ?? null,
    cost: input.cost,
    active: input.active ?? true,
  };
}

function toPatch(patch: RewardPatch): Prisma.RewardUpdateManyMutationInput {
  return {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.nameZh !== undefined ? { nameZh: patch.nameZh } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.cost !== undefined ? { cost: patch.cost } : {}),
    ...(patch.active !== undefined ? { active: patch.active } : {}),
  };
}
