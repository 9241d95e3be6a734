import Foundation

/// The hosted Checkout page at a session's `url`, small enough for a test browser: the items,
/// the total, and a Pay and a Cancel button.
extension StripeState {
    mutating func hostedPage(_ request: FakeHTTPRequest) -> FakeHTTPResponse? {
        let s = request.segments
        guard s.count == 3, s[0] == "checkout", s[1] == "pay" else { return nil }
        let id = s[2]
        guard let account = owner(ofSession: id), let session = ledgers[account]?.sessions[id] else {
            return .text(404, Self.page("Not found", "<p>This checkout session does not exist.</p>"), contentType: "text/html; charset=utf-8")
        }
        switch request.method {
        case "GET":
            guard session.status == "open" else {
                return .text(410, Self.page("Checkout", "<p>This checkout session is \(Self.escape(session.status)) and can no longer be paid.</p>"),
                             contentType: "text/html; charset=utf-8")
            }
            return .text(200, Self.page("Checkout", Self.body(session, account: account)), contentType: "text/html; charset=utf-8")
        case "POST":
            let action = FakeHTTPRequest.formDecode(String(decoding: request.body, as: UTF8.self))["action"]
            if action == "cancel", let cancel = session.cancelURL, session.status == "open" {
                return FakeHTTPResponse(status: 303, headers: [("Location", cancel)])
            }
            guard action == "pay" else {
                return .text(400, Self.page("Checkout", "<p>Choose Pay or Cancel.</p>"), contentType: "text/html; charset=utf-8")
            }
            do throws(FakeStripeError) {
                try pay(id)
            } catch {
                return .text(410, Self.page("Checkout", "<p>\(Self.escape(error.description))</p>"), contentType: "text/html; charset=utf-8")
            }
            // Stripe fills in the template variable `{CHECKOUT_SESSION_ID}` of the success URL.
            let location = session.successURL.replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: id)
            return FakeHTTPResponse(status: 303, headers: [("Location", location)])
        default:
            return .text(405, "method not allowed")
        }
    }

    private static func body(_ session: StripeObjects.Session, account: String) -> String {
        let rows = session.lineItems.map { item in
            "<tr><td>\(escape(item.name))</td><td>× \(item.quantity)</td><td>\(escape(StripeObjects.format(item.unitAmount * item.quantity, session.currency)))</td></tr>"
        }.joined()
        let total = escape(StripeObjects.format(session.amountTotal, session.currency))
        let action = "/checkout/pay/\(escape(session.id))"
        var html = """
            <p>Paying <strong>\(escape(account))</strong></p>
            <table id="items">\(rows)</table>
            <p id="total">Total: \(total)</p>
            <form method="post" action="\(action)"><input type="hidden" name="action" value="pay"><button type="submit" id="pay">Pay \(total)</button></form>
            """
        if session.cancelURL != nil {
            html += #"<form method="post" action="\#(action)"><input type="hidden" name="action" value="cancel"><button type="submit" id="cancel">Cancel</button></form>"#
        }
        return html
    }

    private static func page(_ title: String, _ body: String) -> String {
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title) — FakeStripe</title></head><body><h1>\(title)</h1>\(body)</body></html>"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
