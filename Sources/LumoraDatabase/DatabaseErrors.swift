import PostgresNIO

/// SQLSTATE codes Lumora reacts to.
public enum SQLState: String, Sendable {
    case uniqueViolation = "23505"
    case foreignKeyViolation = "23503"
    case checkViolation = "23514"
    case duplicateSchema = "42P06"
    case duplicateObject = "42710"
    case queryCanceled = "57014"
    case lockNotAvailable = "55P03"
    case serializationFailure = "40001"
    case deadlockDetected = "40P01"
    case insufficientPrivilege = "42501"
    /// NUL in text, or a byte sequence the database's encoding has no character for.
    case characterNotInRepertoire = "22021"
    case untranslatableCharacter = "22P05"
    case stringDataRightTruncation = "22001"
    case numericValueOutOfRange = "22003"
    case invalidTextRepresentation = "22P02"
}

extension Error {
    /// PostgresNIO wraps errors thrown inside `withTransaction`; callers want the cause.
    public var unwrappingTransaction: any Error {
        if let transaction = self as? PostgresTransactionError {
            return transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? transaction
        }
        return self
    }

    /// The server's SQLSTATE, when this is (or wraps) an error PostgreSQL sent.
    public var sqlState: String? {
        (unwrappingTransaction as? PSQLError)?.serverInfo?[.sqlState]
    }

    public func hasSQLState(_ state: SQLState) -> Bool { sqlState == state.rawValue }

    /// A readable message: PostgreSQL's own text and code for server errors (PSQLError's
    /// description is deliberately generic), the error's description otherwise.
    public var databaseMessage: String {
        let cause = unwrappingTransaction
        if let error = cause as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
            }
            return "\(error.code)"
        }
        return String(describing: cause)
    }
}
