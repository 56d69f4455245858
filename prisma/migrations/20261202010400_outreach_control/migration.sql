-- Care plans' control groups (issue 14): a held-out customer's planned message is kept as a
-- `control` row, which the dispatcher never claims, so the plan's effect can be measured.
ALTER TYPE "OutboxStatus" ADD VALUE 'control';
