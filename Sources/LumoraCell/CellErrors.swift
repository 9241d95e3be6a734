import LumoraCore
import LumoraDatabase
import PostgresNIO

/// Database errors a client can cause, mapped to what they mean for the client. Everything
/// else stays a 500.
enum CellErrors {
    static func translate(_ error: any Error) -> LumoraError? {
        let cause = error.unwrappingTransaction
        if let lumora = cause as? LumoraError { return lumora }
        guard let psql = cause as? PSQLError else {
            if cause is TimeoutError { return LumoraError(.unavailable, code: "timeout", message: "the request took too long") }
            return nil
        }
        let constraint = psql.serverInfo?[.constraintName] ?? ""
        switch cause.sqlState {
        case SQLState.uniqueViolation.rawValue:
            switch constraint {
            case "products_handle_key": return .conflict("handle_exists", "a product with this handle already exists")
            case "collections_handle_key": return .conflict("handle_exists", "a collection with this handle already exists")
            case "variants_sku_key": return .conflict("sku_exists", "a variant with this SKU already exists")
            case "orders_idempotency_key_key":
                return LumoraError(.unprocessable, code: "idempotency_key_reused", message: "this Idempotency-Key was used for a different request")
            case "orders_cart_id_key": return .conflict("cart_completed", "this cart has been checked out")
            default: return .conflict("already_exists", "that already exists")
            }
        case SQLState.checkViolation.rawValue:
            return LumoraError(.unprocessable, code: "invalid_value", message: "a value is out of range (\(constraint))")
        case SQLState.foreignKeyViolation.rawValue:
            return .conflict("in_use", "it is still referenced (\(constraint))")
        case SQLState.queryCanceled.rawValue:
            return LumoraError(.unavailable, code: "timeout", message: "the request took too long")
        // What a visitor's value can do to a statement: refused as their mistake, never a 500
        // (the application checks these first; this is the database holding the line).
        case SQLState.characterNotInRepertoire.rawValue, SQLState.untranslatableCharacter.rawValue:
            return .badRequest("invalid_field", "a value holds a character that cannot be stored")
        case SQLState.stringDataRightTruncation.rawValue, SQLState.numericValueOutOfRange.rawValue, SQLState.invalidTextRepresentation.rawValue:
            return .badRequest("invalid_field", "a value is too long, too large or malformed")
        case SQLState.deadlockDetected.rawValue, SQLState.serializationFailure.rawValue:
            return LumoraError(.conflict, code: "retry", message: "a concurrent change got in the way; retry")
        default:
            return nil
        }
    }
}
