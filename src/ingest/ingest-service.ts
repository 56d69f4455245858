import type { Clock } from "../core/clock.ts";
import type { EventBus } from "../core/events.ts";
import type { Customer, Prisma, PrismaClient } from "../db/generated/client.ts";
import { isUniqueViolation } from "../db/prisma-errors.ts";
import { CustomerRepository, type ProfilePatch } from "../db/repositories/customer-repository.ts";
import { OrderRepository, type StoredOrder } from "../db/repositories/order-repository.ts";
import { TendError } from "../errors.ts";
import { LoyaltyService } from "../loyalty/loyalty-service.ts";
import { type CustomerInput, type FieldError, type OrderInput, type Parsed, customerSchema, fieldErrors, orderSchema } from "./schemas.ts";

export interface IngestSettings {
  /** How far in the future an order's placedAt may be, for shop clocks running a little ahead. */
  maxClockSkewMs: number;
  /** Most items one batch call takes. */
  maxBatchItems: number;
}

export const defaultIngestSettings: IngestSettings = { maxClockSkewMs: 5 * 60_000, maxBatchItems: 1000 };

export type IngestStatus = "created" | "updated" | "duplicate" | "rejected";

export interface IngestResult {
  status: IngestStatus;
  /** The customer's id (customers) or the order's id (orders; for a conflict, the stored order's). */
  id?: string;
  /** Orders: the customer the order belongs to. */
  customerId?: string;
  /** Orders: the customer was unknown and a bare one (external id only) was made. */
  customerCreated?: boolean;
  /** Orders: rejected because this externalId is already recorded with different content. */
  conflict?: boolean;
  errors?: FieldError[];
}

export interface ItemResult extends IngestResult {
  /** Position in the batch, from 0. */
  index: number;
}

export interface IngestOptions {
  /** Kept with consent changes: where the data came from, e.g. "api" or "import:customers.csv". */
  source?: string;
}

export type IngestStores = PrismaClient | { customers: CustomerRepository; orders: OrderRepository };

/**
 * Brings customers and orders from a shop or CRM into Tend: validates them, upserts customers on
 * their external id and records each order exactly once, together with its points (loyalty books
 * them in the order's own transaction). An amount whose points cannot be booked is refused. Every
 * newly recorded order is then announced as `order.recorded` (with `at` = when the order was
 * placed) for other reactions; a repeated order is reported as a duplicate and announced no
 * second time.
 */
export class IngestService {
  private readonly customers: CustomerRepository;
  private readonly orders: OrderRepository;
  private readonly loyalty: LoyaltyService | undefined;
  private readonly settings: IngestSettings;

  /** `loyalty` books the orders' points (with the configured settings); by default one with the default settings. */
  constructor(
    stores: IngestStores,
    private readonly events: EventBus,
    private readonly clock: Clock,
    settings: Partial<IngestSettings> = {},
    loyalty?: LoyaltyService,
  ) {
    if ("customers" in stores && "orders" in stores) {
      this.customers = stores.customers;
      this.orders = stores.orders;
      this.loyalty = loyalty;
    } else {
      const prisma = stores as PrismaClient;
      this.customers = new CustomerRepository(prisma);
      this.orders = new OrderRepository(prisma);
      this.loyalty = loyalty ?? new LoyaltyService({ prisma, clock, events });
    }
    this.settings = { ...defaultIngestSettings, ...settings };
  }

  get maxBatchItems(): number {
    return this.settings.maxBatchItems;
  }

  async upsertCustomer(input: unknown, options: IngestOptions = {}): Promise<IngestResult> {
    const [result] = await this.upsertCustomers([input], options);
    return withoutIndex(result!);
  }

  async recordOrder(input: unknown, options: IngestOptions = {}): Promise<IngestResult> {
    const [result] = await this.recordOrders([input], options);
    return withoutIndex(result!);
  }

  /** Each item on its own: invalid ones are rejected with reasons, valid ones are kept. */
  async upsertCustomers(items: readonly unknown[], options: IngestOptions = {}): Promise<ItemResult[]> {
    this.checkBatchSize(items.length);
    const now = this.clock.now();
    const source = options.source ?? "api";
    const results: ItemResult[] = [];
    // Built once per batch: building a schema costs far more than using it.
    const schema = customerSchema(now);
    // One at a time, in order: a customer repeated in the batch ends with its last version.
    for (const [index, item] of items.entries()) {
      const parsed = toParsed(schema.safeParse(item));
      results.push(
        parsed.ok ? { index, ...(await this.upsertOneCustomer(parsed.value, source, now)) } : { index, status: "rejected", errors: parsed.errors },
      );
    }
    return results;
  }

  async recordOrders(items: readonly unknown[], _options: IngestOptions = {}): Promise<ItemResult[]> {
    this.checkBatchSize(items.length);
    const loyalty = this.loyalty;
    if (!loyalty) throw new Error("IngestService needs the loyalty service to record orders");
    const now = this.clock.now();
    const schema = orderSchema(now, this.settings.maxClockSkewMs);
    const results: (ItemResult | undefined)[] = new Array(items.length);
    const valid: { index: number; order: OrderInput }[] = [];
    for (const [index, item] of items.entries()) {
      const parsed = toParsed(schema.safeParse(item));
      if (!parsed.ok) {
        results[index] = { index, status: "rejected", errors: parsed.errors };
        continue;
      }
      // Refused before anything is stored: an order must never stand without the points it earns.
      const points = loyalty.bookablePoints(parsed.value.amount);
      if (points.ok) valid.push({ index, order: parsed.value });
      else results[index] = { index, status: "rejected", errors: [{ path: "amount", message: points.problem }] };
    }

    // The first item with an external id may record it; later ones compare against what is stored.
    const first = new Map<string, { index: number; order: OrderInput }>();
    for (const item of valid) if (!first.has(item.order.externalId)) first.set(item.order.externalId, item);
    const stored = new Map((await this.orders.findByExternalIds([...first.keys()])).map((o) => [o.externalId, o]));
    const known = [...stored.values()].map(({ id, customerId }) => ({ id, customerId }));

    const fresh = [...first.values()].filter((item) => !stored.has(item.order.externalId));
    const created: StoredOrder[] = [];
    const customerCreated = new Set<string>();
    const customers = fresh.length ? await this.orders.ensureCustomers(fresh.map((item) => item.order.customerExternalId), now) : new Map<string, { id: string; created: boolean }>();
    const customerOf = (order: OrderInput) => {
      const customer = customers.get(order.customerExternalId);
      if (!customer) throw new Error(`customer ${order.customerExternalId} was neither found nor created`);
      return customer;
    };
    const insertedIds = await loyalty.recordOrders(
      fresh.map(({ order }) => ({
        externalId: order.externalId,
        customerId: customerOf(order).id,
        amount: order.amount,
        currency: order.currency,
        placedAt: order.placedAt,
        createdAt: now,
      })),
      known,
    );
    if (fresh.length) {
      const announced = new Set<string>();
      for (const { order } of fresh) {
        const id = insertedIds.get(order.externalId);
        if (!id) continue;
        const customer = customerOf(order);
        // Reported on the first order only, so counting the flags counts the customers made.
        if (customer.created && !announced.has(customer.id)) {
          announced.add(customer.id);
          customerCreated.add(order.externalId);
        }
        const row: StoredOrder = { id, customerId: customer.id, ...order };
        stored.set(order.externalId, row);
        created.push(row);
      }
      // Recorded by a concurrent request between our read and our insert: compare with the winner.
      const lost = fresh.filter((item) => !insertedIds.has(item.order.externalId)).map((item) => item.order.externalId);
      for (const winner of await this.orders.findByExternalIds(lost)) stored.set(winner.externalId, winner);
    }

    const createdIds = new Set(created.map((row) => row.id));
    const claimed = new Set<string>();
    for (const { index, order } of valid) {
      const row = stored.get(order.externalId);
      if (!row) throw new Error(`order ${order.externalId} was neither found nor recorded`);
      if (createdIds.has(row.id) && !claimed.has(row.id)) {
        claimed.add(row.id);
        results[index] = {
          index,
          status: "created",
          id: row.id,
          customerId: row.customerId,
          ...(customerCreated.has(order.externalId) ? { customerCreated: true } : {}),
        };
      } else {
        results[index] = { index, ...compareWithStored(order, row) };
      }
    }

    // The points are already booked; this is for any other reaction to a new order.
    for (const row of created) {
      this.events.emit("order.recorded", { orderId: row.id, customerId: row.customerId, amount: row.amount, currency: row.currency, at: row.placedAt });
    }
    return results.map((result, index) => result ?? { index, status: "rejected", errors: [{ path: "", message: "not processed" }] });
  }

  private checkBatchSize(count: number): void {
    if (count > this.settings.maxBatchItems) {
      throw new TendError("BATCH_TOO_LARGE", `a batch may hold at most ${this.settings.maxBatchItems} items (got ${count})`);
    }
  }

  private async upsertOneCustomer(input: CustomerInput, source: string, now: Date): Promise<IngestResult> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.customers.findByExternalId(input.externalId);
      if (!existing) {
        try {
          const customer = await this.customers.create(newCustomerData(input, source, now));
          return { status: "created", id: customer.id };
        } catch (error) {
          // Created by a concurrent request since our read: update theirs instead.
          if (isUniqueViolation(error) && attempt === 0) continue;
          throw error;
        }
      }
      if (existing.erasedAt) {
        return {
          status: "rejected",
          id: existing.id,
          errors: [{ path: "externalId", message: "this customer's personal data was erased on request; it is not imported again" }],
        };
      }
      const patch = changedFields(existing, input);
      if (Object.keys(patch).length) await this.customers.update(existing.id, patch);
      if (input.marketingConsent !== undefined && input.marketingConsent !== existing.marketingConsent) {
        await this.customers.setConsent(existing.id, "marketing", input.marketingConsent, source, now);
      }
      return { status: "updated", id: existing.id };
    }
  }
}

function toParsed<T>(result: { success: true; data: T } | { success: false; error: Parameters<typeof fieldErrors>[0] }): Parsed<T> {
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(result.error) };
}

function withoutIndex({ index: _index, ...rest }: ItemResult): IngestResult {
  return rest;
}

function newCustomerData(input: CustomerInput, source: string, now: Date): Prisma.CustomerCreateInput {
  const consentGiven = input.marketingConsent !== undefined;
  return {
    externalId: input.externalId,
    displayName: input.displayName ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    birthday: input.birthday ?? null,
    lunarBirthMonth: input.lunarBirthday?.month ?? null,
    lunarBirthDay: input.lunarBirthday?.day ?? null,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
    ...(input.tags ? { tags: input.tags } : {}),
    createdAt: now,
    // An explicit answer, even "no", is kept with its time and source.
    ...(consentGiven
      ? {
          marketingConsent: input.marketingConsent,
          marketingConsentAt: now,
          consentChanges: { create: { topic: "marketing", granted: input.marketingConsent!, source, changedAt: now } },
        }
      : {}),
  };
}

/** Only what differs, so an unchanged re-import writes nothing. */
function changedFields(existing: Customer, input: CustomerInput): ProfilePatch {
  const patch: ProfilePatch = {};
  if (input.displayName !== undefined && input.displayName !== existing.displayName) patch.displayName = input.displayName;
  if (input.email !== undefined && input.email !== existing.email) patch.email = input.email;
  if (input.phone !== undefined && input.phone !== existing.phone) patch.phone = input.phone;
  if (input.timeZone !== undefined && input.timeZone !== existing.timeZone) patch.timeZone = input.timeZone;
  if (input.locale !== undefined && input.locale !== existing.locale) patch.locale = input.locale;
  if (input.birthday !== undefined && input.birthday?.getTime() !== existing.birthday?.getTime()) patch.birthday = input.birthday;
  if (input.lunarBirthday !== undefined) {
    const [month, day] = input.lunarBirthday ? [input.lunarBirthday.month, input.lunarBirthday.day] : [null, null];
    if (month !== existing.lunarBirthMonth || day !== existing.lunarBirthDay) Object.assign(patch, { lunarBirthMonth: month, lunarBirthDay: day });
  }
  if (input.tags !== undefined && input.tags.join("\u0000") !== existing.tags.join("\u0000")) patch.tags = input.tags;
  return patch;
}

function compareWithStored(order: OrderInput, stored: StoredOrder): IngestResult {
  const differences: string[] = [];
  if (stored.customerExternalId !== order.customerExternalId) differences.push("customer");
  if (stored.amount !== order.amount) differences.push("amount");
  if (stored.currency !== order.currency) differences.push("currency");
  if (stored.placedAt.getTime() !== order.placedAt.getTime()) differences.push("time placed");
  if (!differences.length) return { status: "duplicate", id: stored.id, customerId: stored.customerId };
  return {
    status: "rejected",
    conflict: true,
    id: stored.id,
    errors: [
      {
        path: "externalId",
        message: `conflicts with the order already recorded under this id (different ${differences.join(", ")}); recorded orders are never changed`,
      },
    ],
  };
}
