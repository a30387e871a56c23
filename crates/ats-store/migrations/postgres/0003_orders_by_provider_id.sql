-- Cancellations name the provider's order id: find the order by it.
CREATE INDEX orders_provider_order ON orders (provider, tenant, provider_order_id);
