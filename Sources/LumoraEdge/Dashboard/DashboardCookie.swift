import HTTPTypes
import Hummingbird
import HummingbirdCore

/// The dashboard's sign-in cookie on `app.<root>`: the manager's session secret (`lss_…`, only
/// its hash is kept there). HttpOnly, SameSite=Lax, host-only, Secure behind HTTPS; it lasts as
/// long as the session. The CSRF tokens of the dashboard's forms bind to the browser's
/// `lumora_session` cookie, as the storefront's do.
enum DashboardCookie {
    static let name = "lumora_account"

    /// The session secret the browser sent, when it has the shape of one.
    static func session(in request: Request) -> String? {
        var found: String?
        for header in request.headers where header.name == .cookie {
            Session.scan(header.value) { name, value in
                guard found == nil, name.elementsEqual(Self.name.utf8), (20...100).contains(value.count),
                      value.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F })
                else { return }
                found = String(Substring(value))
            }
        }
        return found
    }

    static func set(_ token: String, maxAge: Int, secure: Bool) -> HTTPField {
        HTTPField(name: .setCookie, value: Session.cookie(name, token, secure: secure, maxAge: max(maxAge, 1)))
    }

    static func clear(secure: Bool) -> HTTPField {
        HTTPField(name: .setCookie, value: Session.cookie(name, "", secure: secure, maxAge: 0))
    }
}
