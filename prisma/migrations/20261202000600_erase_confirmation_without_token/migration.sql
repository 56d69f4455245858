-- Erase confirmations written before this release kept the erasure token in clear beside its hash.
-- They cannot be completed any more (a confirmation now names the request, not the token) and would
-- have expired within minutes anyway, so they are deleted; the customer asks again if they still want to.
DELETE FROM "PendingAction"
WHERE "kind" = 'confirm'
  AND ("payload" ->> 'op') = 'erase'
  AND ("payload" ->> 'token') IS NOT NULL;
