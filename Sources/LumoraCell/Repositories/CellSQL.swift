import LumoraCore
import PostgresNIO

/// Every statement the cell sends. They run inside `TenantScope`, so table names are
/// unqualified and resolve to the store's schema; every value is a bind parameter.
enum CellSQL {
    // MARK: Catalog reads

    /// A product's columns as `CatalogRepository` decodes them, its variants and pictures
    /// nested as arrays of records (`VariantRecord`, `ProductMediaRecord`): one statement reads
    /// products whole, a round trip instead of three.
    static let productColumns = """
        p.id, p.handle, p.title, p.description, p.status, p.images, p.created_at, p.updated_at,
        c.id, c.handle, c.title,
        ARRAY(SELECT ROW(v.id, v.title, v.sku, v.price_amount, v.currency,
                         COALESCE(i.stocked, 0), COALESCE(i.reserved, 0), v.weight_grams::bigint)
              FROM variants v LEFT JOIN inventory i ON i.variant_id = v.id
              WHERE v.product_id = p.id ORDER BY v.position, v.id),
        ARRAY(SELECT ROW(pm.alt, \(mediaColumns))
              FROM product_media pm JOIN media m ON m.id = pm.media_id
              WHERE pm.product_id = p.id ORDER BY pm.position)
        """

    /// One page of products, newest first, with the total that matched. The page is chosen
    /// first, so the nested reads run for its products only (not for those an offset skips).
    static func products(publishedOnly: Bool, search: String?, collection: String?, limit: Int, offset: Int) -> PostgresQuery {
        """
        WITH page AS (
            SELECT p.id, p.created_at, count(*) OVER () AS total
            FROM products p LEFT JOIN collections c ON c.id = p.collection_id
            WHERE (\(publishedOnly) = false OR p.status = 'published')
              AND (\(search)::text IS NULL OR p.title ILIKE '%' || \(search) || '%' ESCAPE '\\')
              AND (\(collection)::text IS NULL OR c.handle = \(collection))
            ORDER BY p.created_at DESC, p.id DESC
            LIMIT \(limit) OFFSET \(offset)
        )
        SELECT \(unescaped: productColumns), page.total
        FROM page JOIN products p ON p.id = page.id LEFT JOIN collections c ON c.id = p.collection_id
        ORDER BY page.created_at DESC, page.id DESC
        """
    }

    static func product(handle: String, publishedOnly: Bool) -> PostgresQuery {
        """
        SELECT \(unescaped: productColumns), 1::bigint
        FROM products p LEFT JOIN collections c ON c.id = p.collection_id
        WHERE p.handle = \(handle) AND (\(publishedOnly) = false OR p.status = 'published')
        """
    }

    static func product(id: Int64) -> PostgresQuery {
        """
        SELECT \(unescaped: productColumns), 1::bigint
        FROM products p LEFT JOIN collections c ON c.id = p.collection_id
        WHERE p.id = \(id)
        """
    }

    static let collections: PostgresQuery = "SELECT id, handle, title, count(*) OVER () FROM collections ORDER BY title, id"

    static let settings: PostgresQuery = """
        SELECT s.name, s.description, s.logo_url, s.primary_color, s.accent_color, s.currency, s.catalog_version,
               \(unescaped: mediaColumns)
        FROM settings s LEFT JOIN media m ON m.id = s.logo_media_id
        """

    // MARK: Catalog writes

    static func collectionID(handle: String) -> PostgresQuery {
        "SELECT id FROM collections WHERE handle = \(handle)"
    }

    static func insertProduct(handle: String, title: String, description: String, status: String, collectionID: Int64?, images: [String]) -> PostgresQuery {
        """
        INSERT INTO products (handle, title, description, status, collection_id, images)
        VALUES (\(handle), \(title), \(description), \(status), \(collectionID), \(images))
        RETURNING id
        """
    }

    static func updateProduct(id: Int64, handle: String?, title: String?, description: String?, status: String?,
                              setCollection: Bool, collectionID: Int64?, images: [String]?) -> PostgresQuery {
        """
        UPDATE products SET
            handle = COALESCE(\(handle), handle),
            title = COALESCE(\(title), title),
            description = COALESCE(\(description), description),
            status = COALESCE(\(status), status),
            collection_id = CASE WHEN \(setCollection) THEN \(collectionID) ELSE collection_id END,
            images = COALESCE(\(images), images),
            updated_at = now()
        WHERE id = \(id)
        RETURNING id
        """
    }

    static func deleteProduct(id: Int64) -> PostgresQuery {
        "DELETE FROM products WHERE id = \(id) RETURNING id"
    }

    static func insertVariant(productID: Int64, title: String, sku: String?, price: Money, weightGrams: Int64?, position: Int) -> PostgresQuery {
        """
        INSERT INTO variants (product_id, title, sku, price_amount, currency, weight_grams, position)
        VALUES (\(productID), \(title), \(sku), \(price.amount), \(price.currency.code), \(weightGrams)::bigint, \(position))
        RETURNING id
        """
    }

    static func nextVariantPosition(productID: Int64) -> PostgresQuery {
        "SELECT COALESCE(max(position) + 1, 0)::int FROM variants WHERE product_id = \(productID)"
    }

    static func insertInventory(variantID: Int64, stocked: Int64) -> PostgresQuery {
        "INSERT INTO inventory (variant_id, stocked) VALUES (\(variantID), \(stocked))"
    }

    static func updateVariant(productID: Int64, variantID: Int64, title: String?, sku: String?, price: Money?, weightGrams: Int64?) -> PostgresQuery {
        """
        UPDATE variants SET
            weight_grams = COALESCE(\(weightGrams)::bigint, weight_grams),
            title = COALESCE(\(title), title),
            sku = COALESCE(\(sku), sku),
            price_amount = COALESCE(\(price?.amount), price_amount),
            currency = COALESCE(\(price?.currency.code), currency)
        WHERE id = \(variantID) AND product_id = \(productID)
        RETURNING id
        """
    }

    static func deleteVariant(productID: Int64, variantID: Int64) -> PostgresQuery {
        "DELETE FROM variants WHERE id = \(variantID) AND product_id = \(productID) RETURNING id"
    }

    static func insertCollection(handle: String, title: String) -> PostgresQuery {
        "INSERT INTO collections (handle, title) VALUES (\(handle), \(title)) RETURNING id, handle, title"
    }

    static func deleteCollection(id: Int64) -> PostgresQuery {
        "DELETE FROM collections WHERE id = \(id) RETURNING id"
    }

    /// Changes the stocked quantity; refuses to go below zero or below what is reserved.
    static func adjustInventory(variantID: Int64, by delta: Int64) -> PostgresQuery {
        """
        UPDATE inventory SET stocked = stocked + \(delta)
        WHERE variant_id = \(variantID) AND stocked + \(delta) >= reserved AND stocked + \(delta) >= 0
        RETURNING stocked, reserved
        """
    }

    static func inventory(variantID: Int64) -> PostgresQuery {
        "SELECT stocked, reserved FROM inventory WHERE variant_id = \(variantID)"
    }

    static func updateSettings(name: String?, description: String?, setLogo: Bool, logoURL: String?, logoMediaID: Int64?,
                               primaryColor: String?, accentColor: String?) -> PostgresQuery {
        """
        UPDATE settings SET
            name = COALESCE(\(name), name),
            description = COALESCE(\(description), description),
            logo_url = CASE WHEN \(setLogo) THEN \(logoURL) ELSE logo_url END,
            logo_media_id = CASE WHEN \(setLogo) THEN \(logoMediaID) ELSE logo_media_id END,
            primary_color = COALESCE(\(primaryColor), primary_color),
            accent_color = COALESCE(\(accentColor), accent_color),
            updated_at = now()
        """
    }

    /// The store's name also lives in the control schema (the edge shows it before a cell is
    /// asked); both change in the same transaction. The store's role may not write there: a
    /// function renames the store whose role the transaction has, and only it.
    static func renameOwnStore(name: String) -> PostgresQuery {
        "SELECT lumora_store.rename_own_store(\(name))"
    }

    /// Whether anything is priced or sold in the store's currency yet.
    static let hasPricesOrOrders: PostgresQuery = "SELECT EXISTS (SELECT 1 FROM variants) OR EXISTS (SELECT 1 FROM orders)"

    /// The settings, the open carts and the control schema's copy move to the new currency together.
    static func setCurrency(_ code: String) -> PostgresQuery {
        "UPDATE settings SET currency = \(code), updated_at = now()"
    }

    static func setOpenCartsCurrency(_ code: String) -> PostgresQuery {
        "UPDATE carts SET currency = \(code) WHERE completed_at IS NULL"
    }

    static func setOwnCurrency(_ code: String) -> PostgresQuery {
        "SELECT lumora_store.set_own_currency(\(code))"
    }

    // MARK: Carts

    static func insertCart(id: String, currency: String) -> PostgresQuery {
        "INSERT INTO carts (id, currency) VALUES (\(id), \(currency))"
    }

    static let cartColumns = "id, currency, email, shipping_address::text, shipping_rate_id, completed_at, created_at, updated_at, shipping_rate_code"

    static func cart(id: String, forUpdate: Bool) -> PostgresQuery {
        forUpdate
            ? "SELECT \(unescaped: cartColumns) FROM carts WHERE id = \(id) FOR UPDATE"
            : "SELECT \(unescaped: cartColumns) FROM carts WHERE id = \(id)"
    }

    static func cartLines(cartID: String) -> PostgresQuery {
        """
        SELECT l.id, l.variant_id, l.quantity, v.title, v.sku, v.price_amount, v.currency,
               p.id, p.title, p.handle, p.images, COALESCE(i.stocked, 0) - COALESCE(i.reserved, 0),
               COALESCE(v.weight_grams, 0)::bigint
        FROM cart_line_items l
        JOIN variants v ON v.id = l.variant_id
        JOIN products p ON p.id = v.product_id
        LEFT JOIN inventory i ON i.variant_id = v.id
        WHERE l.cart_id = \(cartID)
        ORDER BY l.id
        """
    }

    /// Only variants of published products can be bought.
    static func purchasableVariant(id: Int64) -> PostgresQuery {
        """
        SELECT v.currency FROM variants v JOIN products p ON p.id = v.product_id
        WHERE v.id = \(id) AND p.status = 'published'
        """
    }

    /// Adds to the quantity when the variant is already in the cart.
    static func addLine(cartID: String, variantID: Int64, quantity: Int) -> PostgresQuery {
        """
        INSERT INTO cart_line_items (cart_id, variant_id, quantity) VALUES (\(cartID), \(variantID), \(quantity))
        ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_line_items.quantity + EXCLUDED.quantity
        RETURNING id
        """
    }

    static func setLineQuantity(cartID: String, lineID: Int64, quantity: Int) -> PostgresQuery {
        "UPDATE cart_line_items SET quantity = \(quantity) WHERE id = \(lineID) AND cart_id = \(cartID) RETURNING id"
    }

    static func deleteLine(cartID: String, lineID: Int64) -> PostgresQuery {
        "DELETE FROM cart_line_items WHERE id = \(lineID) AND cart_id = \(cartID) RETURNING id"
    }

    static func touchCart(id: String) -> PostgresQuery {
        "UPDATE carts SET updated_at = now() WHERE id = \(id)"
    }

    // MARK: Checkout and orders

    static func orderID(cartID: String) -> PostgresQuery {
        "SELECT id, request_hash FROM orders WHERE cart_id = \(cartID)"
    }

    static func orderID(idempotencyKey: String) -> PostgresQuery {
        "SELECT id, request_hash FROM orders WHERE idempotency_key = \(idempotencyKey)"
    }

    /// Reserves stock for one line: succeeds only while enough is available.
    static func reserve(variantID: Int64, quantity: Int) -> PostgresQuery {
        """
        UPDATE inventory SET reserved = reserved + \(quantity)
        WHERE variant_id = \(variantID) AND stocked - reserved >= \(quantity)
        RETURNING variant_id
        """
    }

    static func completeCart(id: String, email: String) -> PostgresQuery {
        "UPDATE carts SET completed_at = now(), email = \(email), updated_at = now() WHERE id = \(id)"
    }

    static let orderColumns = """
        o.id, o.cart_id, o.email, o.shipping_address::text, o.currency, o.subtotal_amount, o.total_amount,
        o.status, o.created_at, o.updated_at, o.shipping_amount, o.tax_amount, o.prices_include_tax, o.shipping_method,
        o.payment_provider, o.payment_url, o.payment_due_at, o.paid_at, o.refunded_amount, o.flag, o.discount_amount, o.discounts::text
        """

    static func order(id: Int64, forUpdate: Bool = false) -> PostgresQuery {
        forUpdate
            ? "SELECT \(unescaped: orderColumns) FROM orders o WHERE o.id = \(id) FOR UPDATE"
            : "SELECT \(unescaped: orderColumns) FROM orders o WHERE o.id = \(id)"
    }

    static func orders(status: String?, limit: Int, offset: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: orderColumns), count(*) OVER () FROM orders o
        WHERE (\(status)::text IS NULL OR o.status = \(status) OR (\(status) = 'pending_payment' AND o.status = 'pending'))
        ORDER BY o.created_at DESC, o.id DESC LIMIT \(limit) OFFSET \(offset)
        """
    }

    static func orderLines(orderIDs: [Int64]) -> PostgresQuery {
        """
        SELECT id, order_id, variant_id, product_title, variant_title, sku, quantity, unit_price_amount, total_amount, tax_amount, discount_amount
        FROM order_line_items WHERE order_id = ANY(\(orderIDs)) ORDER BY order_id, id
        """
    }

    static func setOrderStatus(id: Int64, status: String) -> PostgresQuery {
        "UPDATE orders SET status = \(status), updated_at = now() WHERE id = \(id)"
    }

    /// Fulfilling ships the reserved units: they leave both stocked and reserved.
    static func shipReservation(orderID: Int64) -> PostgresQuery {
        """
        UPDATE inventory i SET reserved = i.reserved - l.quantity, stocked = i.stocked - l.quantity
        FROM order_line_items l WHERE l.order_id = \(orderID) AND l.variant_id = i.variant_id
        """
    }

    static let ping: PostgresQuery = "SELECT 1"

    // MARK: Media

    /// A media's columns as `MediaRow` decodes them (all NULL through a LEFT JOIN that found none).
    static let mediaColumns = "m.id, m.hash, m.source, m.widths, m.heights, m.formats, m.byte_count, m.created_at"

    /// Uploads of one store queue here, so two cannot both fit in the quota's last megabytes.
    /// Keyed by the store's schema: another store's uploads do not wait.
    static let lockStoreMedia: PostgresQuery = "SELECT pg_advisory_xact_lock(7411, hashtext(current_schema()))"

    static func media(hash: String) -> PostgresQuery {
        "SELECT m.id, m.deleted_at IS NOT NULL FROM media m WHERE m.hash = \(hash)"
    }

    static func media(id: Int64) -> PostgresQuery {
        "SELECT \(unescaped: mediaColumns) FROM media m WHERE m.id = \(id) AND m.deleted_at IS NULL"
    }

    static func liveMedia(ids: [Int64]) -> PostgresQuery {
        "SELECT \(unescaped: mediaColumns) FROM media m WHERE m.id = ANY(\(ids)) AND m.deleted_at IS NULL"
    }

    static let mediaInUse: PostgresQuery = "SELECT COALESCE(sum(byte_count), 0)::bigint FROM media WHERE deleted_at IS NULL"

    static func mediaLibrary(limit: Int, offset: Int) -> PostgresQuery {
        """
        SELECT \(unescaped: mediaColumns), count(*) OVER ()
        FROM media m WHERE m.deleted_at IS NULL
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT \(limit) OFFSET \(offset)
        """
    }

    static func insertMedia(hash: String, source: String, widths: [Int32], heights: [Int32], formats: [String], byteCount: Int64) -> PostgresQuery {
        """
        INSERT INTO media (hash, source, widths, heights, formats, byte_count)
        VALUES (\(hash), \(source), \(widths), \(heights), \(formats), \(byteCount))
        RETURNING id
        """
    }

    static func reviveMedia(id: Int64) -> PostgresQuery {
        "UPDATE media SET deleted_at = NULL WHERE id = \(id)"
    }

    static func deleteMedia(id: Int64) -> PostgresQuery {
        "UPDATE media SET deleted_at = now() WHERE id = \(id) AND deleted_at IS NULL RETURNING id"
    }

    static func detachMediaEverywhere(id: Int64) -> PostgresQuery {
        "DELETE FROM product_media WHERE media_id = \(id)"
    }

    static func dropLogoMedia(id: Int64) -> PostgresQuery {
        "UPDATE settings SET logo_media_id = NULL WHERE logo_media_id = \(id)"
    }

    static func mediaOfProduct(id: Int64) -> PostgresQuery {
        "SELECT media_id FROM product_media WHERE product_id = \(id)"
    }

    static func detachAllMedia(productID: Int64) -> PostgresQuery {
        "DELETE FROM product_media WHERE product_id = \(productID) RETURNING media_id"
    }

    static func attachMedia(productID: Int64, mediaID: Int64, position: Int, alt: String) -> PostgresQuery {
        "INSERT INTO product_media (product_id, media_id, position, alt) VALUES (\(productID), \(mediaID), \(position), \(alt))"
    }

    static let logoMediaID: PostgresQuery = "SELECT logo_media_id FROM settings"

    /// Of `ids`, those no product and no logo use any more are deleted (their files go after the
    /// grace period). An upload never attached anywhere is not among the candidates.
    static func deleteUnusedMedia(ids: [Int64]) -> PostgresQuery {
        """
        UPDATE media SET deleted_at = now()
        WHERE id = ANY(\(ids)) AND deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM product_media pm WHERE pm.media_id = media.id)
          AND NOT EXISTS (SELECT 1 FROM settings s WHERE s.logo_media_id = media.id)
        """
    }

    // MARK: Overview

    /// Today's orders (UTC), their revenue (canceled left out) and the orders still to fulfil
    /// (paid, or waiting for a payment).
    static let orderTotals: PostgresQuery = """
        SELECT count(*) FILTER (WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND status <> 'canceled')::int,
               COALESCE(sum(total_amount) FILTER (WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND status <> 'canceled'), 0)::bigint,
               count(*) FILTER (WHERE status IN ('pending', 'pending_payment', 'paid'))::int
        FROM orders
        """

    /// Options with few units left to sell, fewest first.
    static func lowStock(threshold: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT p.id, p.title, v.id, v.title, COALESCE(i.stocked, 0) - COALESCE(i.reserved, 0) AS available
        FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN inventory i ON i.variant_id = v.id
        WHERE COALESCE(i.stocked, 0) - COALESCE(i.reserved, 0) <= \(threshold)
        ORDER BY available, p.title, v.position, v.id LIMIT \(limit)
        """
    }

    static func recentOrders(limit: Int) -> PostgresQuery {
        "SELECT id, email, status, total_amount, currency, created_at FROM orders ORDER BY created_at DESC, id DESC LIMIT \(limit)"
    }
}
