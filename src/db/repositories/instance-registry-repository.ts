import type { Platform } from "../../core/channel.ts";
import type { PrismaClient } from "../generated/client.ts";

/**
 * Which Tend processes are alive on this database and what platforms each sends on, so that they
 * can split the platforms' send budgets (src/outreach/instance-registry.ts). Times come from the
 * caller's clock; instances on different machines need clocks in step to well within the live window.
 */
export class InstanceRegistryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Records that this instance is alive now and sends on these platforms. */
  async heartbeat(id: string, name: string, platforms: Platform[], now: Date): Promise<void> {
    await this.prisma.tendInstance.upsert({
      where: { id },
      create: { id, name, platforms, startedAt: now, heartbeatAt: now },
      update: { name, platforms, heartbeatAt: now },
    });
  }

  /** How many instances sent a heartbeat after `since`, per platform they send on. */
  async liveCounts(since: Date): Promise<Map<Platform, number>> {
    const live = await this.prisma.tendInstance.findMany({ where: { heartbeatAt: { gt: since } }, select: { platforms: true } });
    const counts = new Map<Platform, number>();
    for (const { platforms } of live) for (const platform of new Set(platforms)) counts.set(platform, (counts.get(platform) ?? 0) + 1);
    return counts;
  }

  /** An instance that stops says so at once, rather than leaving the others to wait out its heartbeat. */
  async remove(id: string): Promise<void> {
    await this.prisma.tendInstance.deleteMany({ where: { id } });
  }

  /** Drops rows of instances long gone (crashed without removing themselves); returns how many. */
  async removeSilentSince(before: Date): Promise<number> {
    return (await this.prisma.tendInstance.deleteMany({ where: { heartbeatAt: { lt: before } } })).count;
  }
}
