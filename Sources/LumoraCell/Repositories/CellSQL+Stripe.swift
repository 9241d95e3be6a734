import PostgresNIO

/// The statements of Stripe payments: an order's session and payment intent, the events
/// already applied, and taking back an order whose session could not be made.
extension CellSQL {
    static func stripeState(orderID: Int64) -> PostgresQuery {
        "SELECT payment_session, payment_intent FROM orders WHERE id = \(orderID)"
    }

    static func orderID(paymentIntent: String) -> PostgresQuery {
        "SELECT id FROM orders WHERE payment_intent = \(paymentIntent)"
    }

    /// Only the first session sticks: a second request that raced the first reads it instead.
    static func attachPaymentSession(orderID: Int64, session: String, url: String?) -> PostgresQuery {
        """
        UPDATE orders SET payment_session = \(session), payment_url = \(url), updated_at = now()
        WHERE id = \(orderID) AND payment_session IS NULL AND status = 'pending_payment'
        RETURNING id
        """
    }

    static func setPaymentIntent(orderID: Int64, paymentIntent: String) -> PostgresQuery {
        "UPDATE orders SET payment_intent = \(paymentIntent), updated_at = now() WHERE id = \(orderID) AND payment_intent IS NULL"
    }

    /// An online order whose payment page could not be made is taken back whole: its stock is
    /// released (first, by the caller), its cart can be checked out again.
    static func withdrawOrder(id: Int64) -> PostgresQuery {
        """
        WITH gone AS (
            DELETE FROM orders o WHERE o.id = \(id) AND o.status = 'pending_payment' AND o.payment_session IS NULL
            RETURNING o.cart_id
        )
        UPDATE carts SET completed_at = NULL, updated_at = now() FROM gone WHERE carts.id = gone.cart_id
        RETURNING carts.id
        """
    }

    /// A payment Stripe reported, once per payment intent (`payments` is unique on provider and
    /// reference): no row when it was recorded before.
    static func insertStripePayment(orderID: Int64, paymentIntent: String?, amount: Int64, currency: String, message: String) -> PostgresQuery {
        """
        INSERT INTO payments (order_id, provider, reference, amount, currency, status, message)
        VALUES (\(orderID), 'stripe', \(paymentIntent), \(amount), \(currency), 'succeeded', \(message))
        ON CONFLICT (provider, reference) DO NOTHING
        RETURNING id
        """
    }

    /// Applying an event is recorded with its effect; a delivery already recorded returns no row.
    static func recordPaymentEvent(id: String, type: String) -> PostgresQuery {
        "INSERT INTO payment_events (event_id, type) VALUES (\(id), \(type)) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    }
}
