-- What a store's plugins change at checkout (#17). Discounts (cart.discounts): an order keeps
-- what they took, in total, per line (so refunds and receipts know what each line really cost)
-- and as the list the shopper saw (title and amount, in the order they applied), whatever the
-- plugins do later.

ALTER TABLE orders
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0 AND discount_amount <= subtotal_amount),
    ADD COLUMN discounts jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(discounts) = 'array');

ALTER TABLE order_line_items
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0 CHECK (discount_amount >= 0 AND discount_amount <= total_amount);

-- The totals still add up, now after discounts (a cell a release behind writes none: 0).
ALTER TABLE orders DROP CONSTRAINT orders_totals_add_up;
ALTER TABLE orders ADD CONSTRAINT orders_totals_add_up CHECK (
    total_amount = subtotal_amount - discount_amount + shipping_amount + CASE WHEN prices_include_tax THEN 0 ELSE tax_amount END);

-- A cart's chosen shipping rate may be one a shipping.rates plugin added (pickup, say): it has
-- no row among the store's rates, so the cart keeps its code and the plugin prices it again.
ALTER TABLE carts
    ADD COLUMN shipping_rate_code text CHECK (shipping_rate_code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    ADD CONSTRAINT one_chosen_rate CHECK (shipping_rate_id IS NULL OR shipping_rate_code IS NULL);
