import LumoraCore
import PostgresNIO

/// Checkout's statements: payment settings, shipping, tax, payments and refunds.
extension CellSQL {
    // MARK: Settings

    static let checkoutSettings: PostgresQuery = """
        SELECT payment_provider, stripe_account_id, prices_include_tax, payment_instructions, order_notice_email,
               name, logo_url, primary_color, accent_color
        FROM settings
        """

    static func updateCheckoutSettings(provider: String?, setAccount: Bool, account: String?, pricesIncludeTax: Bool?,
                                       instructions: String?, setNoticeEmail: Bool, noticeEmail: String?) -> PostgresQuery {
        """
        UPDATE settings SET
            payment_provider = COALESCE(\(provider), payment_provider),
            stripe_account_id = CASE WHEN \(setAccount) THEN \(account) ELSE stripe_account_id END,
            prices_include_tax = COALESCE(\(pricesIncludeTax), prices_include_tax),
            payment_instructions = COALESCE(\(instructions), payment_instructions),
            order_notice_email = CASE WHEN \(setNoticeEmail) THEN \(noticeEmail) ELSE order_notice_email END,
            updated_at = now()
        """
    }

    static let paymentInstructions: PostgresQuery = "SELECT payment_instructions FROM settings"

    // MARK: Shipping

    static let hasShippingZones: PostgresQuery = "SELECT EXISTS (SELECT 1 FROM shipping_zones)"

    static let shippingZones: PostgresQuery = "SELECT id, name, countries FROM shipping_zones ORDER BY id"

    static let shippingRates: PostgresQuery = """
        SELECT id, zone_id, name, kind, amount, free_over_amount, min_weight_grams, max_weight_grams
        FROM shipping_rates ORDER BY zone_id, position, id
        """

    /// The rates of the zone a country ships in (the oldest zone naming it).
    static func shippingRates(country: String) -> PostgresQuery {
        """
        SELECT r.id, r.zone_id, r.name, r.kind, r.amount, r.free_over_amount, r.min_weight_grams, r.max_weight_grams
        FROM shipping_rates r
        WHERE r.zone_id = (SELECT id FROM shipping_zones WHERE \(country) = ANY(countries) ORDER BY id LIMIT 1)
        ORDER BY r.position, r.id
        """
    }

    static func insertShippingZone(name: String, countries: [String]) -> PostgresQuery {
        "INSERT INTO shipping_zones (name, countries) VALUES (\(name), \(countries)) RETURNING id"
    }

    static func updateShippingZone(id: Int64, name: String, countries: [String]) -> PostgresQuery {
        "UPDATE shipping_zones SET name = \(name), countries = \(countries) WHERE id = \(id) RETURNING id"
    }

    static func deleteShippingZone(id: Int64) -> PostgresQuery {
        "DELETE FROM shipping_zones WHERE id = \(id) RETURNING id"
    }

    /// Countries another zone already ships to.
    static func countriesInOtherZones(_ countries: [String], except zoneID: Int64?) -> PostgresQuery {
        """
        SELECT DISTINCT c FROM shipping_zones z, unnest(z.countries) c
        WHERE c = ANY(\(countries)) AND (\(zoneID)::bigint IS NULL OR z.id <> \(zoneID)) ORDER BY c
        """
    }

    static func deleteShippingRates(zoneID: Int64) -> PostgresQuery {
        "DELETE FROM shipping_rates WHERE zone_id = \(zoneID)"
    }

    static func insertShippingRate(zoneID: Int64, name: String, kind: String, amount: Int64, freeOver: Int64?,
                                   minWeight: Int64?, maxWeight: Int64?, position: Int) -> PostgresQuery {
        """
        INSERT INTO shipping_rates (zone_id, name, kind, amount, free_over_amount, min_weight_grams, max_weight_grams, position)
        VALUES (\(zoneID), \(name), \(kind), \(amount), \(freeOver), \(minWeight), \(maxWeight), \(position))
        """
    }

    // MARK: Tax

    static let taxRates: PostgresQuery = "SELECT id, country, region, name, rate_ppm FROM tax_rates ORDER BY country, region NULLS FIRST"

    /// The region's own rate when it has one, else the country's.
    static func taxRate(country: String, region: String?) -> PostgresQuery {
        """
        SELECT rate_ppm FROM tax_rates
        WHERE country = \(country) AND (region IS NULL OR lower(region) = lower(\(region)))
        ORDER BY region NULLS LAST LIMIT 1
        """
    }

    static func upsertTaxRate(country: String, region: String?, name: String, partsPerMillion: Int64) -> PostgresQuery {
        """
        INSERT INTO tax_rates (country, region, name, rate_ppm) VALUES (\(country), \(region), \(name), \(partsPerMillion))
        ON CONFLICT (country, region) DO UPDATE SET name = EXCLUDED.name, rate_ppm = EXCLUDED.rate_ppm
        RETURNING id
        """
    }

    static func deleteTaxRate(id: Int64) -> PostgresQuery {
        "DELETE FROM tax_rates WHERE id = \(id) RETURNING id"
    }

    // MARK: Carts

    static func setCartContact(id: String, email: String?, address: String?) -> PostgresQuery {
        """
        UPDATE carts SET email = COALESCE(\(email), email), shipping_address = COALESCE(\(address)::jsonb, shipping_address),
            updated_at = now()
        WHERE id = \(id)
        """
    }

    static func setCartShippingRate(id: String, rate: CartPricing.RateKey?) -> PostgresQuery {
        """
        UPDATE carts SET shipping_rate_id = \(rate?.storedRow), shipping_rate_code = \(rate?.addedCode), updated_at = now()
        WHERE id = \(id)
        """
    }

    // MARK: Orders

    static func insertOrder(_ order: NewOrder) -> PostgresQuery {
        """
        INSERT INTO orders (cart_id, email, shipping_address, currency, subtotal_amount, discount_amount, discounts, shipping_amount, tax_amount,
                            total_amount, prices_include_tax, shipping_method, payment_provider, payment_due_at, idempotency_key, request_hash)
        VALUES (\(order.cartID), \(order.email), \(order.shippingAddress)::jsonb, \(order.totals.currency.code), \(order.totals.subtotal),
                \(order.totals.discount), \(order.discountsJSON)::jsonb,
                \(order.totals.shipping), \(order.totals.tax), \(order.totals.total), \(order.totals.taxIncluded), \(order.shippingMethod),
                \(order.provider.rawValue),
                CASE WHEN \(order.paymentWindowSeconds)::double precision IS NULL THEN NULL
                     ELSE now() + make_interval(secs => \(order.paymentWindowSeconds)::double precision) END,
                \(order.idempotencyKey), \(order.requestHash))
        RETURNING id
        """
    }

    static func insertOrderLine(orderID: Int64, variantID: Int64, productTitle: String, variantTitle: String, sku: String?,
                                quantity: Int, unitPrice: Int64, total: Int64, discount: Int64, tax: Int64) -> PostgresQuery {
        """
        INSERT INTO order_line_items (order_id, variant_id, product_title, variant_title, sku, quantity, unit_price_amount, total_amount,
                                      discount_amount, tax_amount)
        VALUES (\(orderID), \(variantID), \(productTitle), \(variantTitle), \(sku), \(quantity), \(unitPrice), \(total), \(discount), \(tax))
        """
    }

    static func markOrderPaid(id: Int64) -> PostgresQuery {
        """
        UPDATE orders SET status = 'paid', paid_at = now(), updated_at = now()
        WHERE id = \(id) AND status IN ('pending', 'pending_payment')
        RETURNING id
        """
    }

    static func flagOrder(id: Int64, reason: String) -> PostgresQuery {
        "UPDATE orders SET flag = \(reason), updated_at = now() WHERE id = \(id)"
    }

    static func addRefund(orderID: Int64, amount: Int64, reference: String?, reason: String?) -> PostgresQuery {
        """
        WITH added AS (
            INSERT INTO refunds (order_id, amount, reference, reason) VALUES (\(orderID), \(amount), \(reference), \(reason))
            ON CONFLICT (reference) DO NOTHING RETURNING amount
        )
        UPDATE orders SET refunded_amount = refunded_amount + added.amount,
            status = CASE WHEN refunded_amount + added.amount = total_amount THEN 'refunded' ELSE status END,
            updated_at = now()
        FROM added WHERE orders.id = \(orderID)
        RETURNING orders.status
        """
    }

    static func refunds(orderIDs: [Int64]) -> PostgresQuery {
        "SELECT id, order_id, amount, reason, created_at FROM refunds WHERE order_id = ANY(\(orderIDs)) ORDER BY order_id, id"
    }

    static func releaseOrderStock(orderID: Int64) -> PostgresQuery {
        "SELECT release_order_stock(\(orderID))"
    }

    // MARK: Payments

    static func insertPayment(orderID: Int64, provider: String, reference: String?, amount: Int64, currency: String,
                              status: String, message: String?) -> PostgresQuery {
        """
        INSERT INTO payments (order_id, provider, reference, amount, currency, status, message)
        VALUES (\(orderID), \(provider), \(reference), \(amount), \(currency), \(status), \(message))
        RETURNING id
        """
    }

    static func payment(id: Int64, orderID: Int64) -> PostgresQuery {
        "SELECT status, amount, currency FROM payments WHERE id = \(id) AND order_id = \(orderID) FOR UPDATE"
    }

    static func setPaymentStatus(id: Int64, status: String, message: String?) -> PostgresQuery {
        "UPDATE payments SET status = \(status), message = \(message), updated_at = now() WHERE id = \(id)"
    }

    // MARK: Jobs for the manager

    /// Queues mail or an expiry in this transaction (see control migration 0008).
    static func enqueueJob(kind: String, payload: String, dueInSeconds: Double?) -> PostgresQuery {
        """
        SELECT lumora_store.enqueue_own_job(\(kind), \(payload)::jsonb,
            CASE WHEN \(dueInSeconds)::double precision IS NULL THEN NULL
                 ELSE now() + make_interval(secs => \(dueInSeconds)::double precision) END)
        """
    }

    // MARK: Pricing a cart

    /// What pricing a cart needs from the settings: tax-inclusive prices, and whether the store ships.
    static let pricingSettings: PostgresQuery = "SELECT prices_include_tax, EXISTS (SELECT 1 FROM shipping_zones) FROM settings"

    static func cartShippingRate(id: String) -> PostgresQuery {
        "SELECT shipping_rate_id, shipping_rate_code FROM carts WHERE id = \(id)"
    }
}
