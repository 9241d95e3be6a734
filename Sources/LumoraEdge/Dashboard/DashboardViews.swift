import Foundation
import LumoraCore
import LumoraWire

/// The frame of every signed-in page: who, which store, which area, the store switcher.
struct DashboardChrome {
    struct StoreLink {
        let name: String
        let url: String
        let role: String
        let selected: Bool
    }

    struct AreaLink {
        let title: String
        let url: String
        let selected: Bool
    }

    let email: String
    let stores: [StoreLink]
    let hasSeveralStores: Bool
    let storeName: String?
    let storeURL: String?
    let role: String?
    let areas: [AreaLink]
    let readOnly: Bool
    let opening: Bool
    let csrf: String
    /// Something went wrong (shown as an alert).
    let notice: String?
    /// Something was done (shown as a status).
    let confirmation: String?

    init(person: SessionWire, current: Dashboard.Member?, area: String, csrf: String, notice: String?, confirmation: String? = nil) {
        email = person.account.email
        stores = person.memberships.map {
            StoreLink(name: $0.store.name, url: "/stores/\($0.store.slug)", role: $0.role.rawValue, selected: $0.store.slug == current?.slug)
        }
        hasSeveralStores = person.memberships.count > 1
        storeName = current?.membership.store.name
        storeURL = current?.membership.store.url
        role = current?.role.rawValue
        if let current {
            let base = "/stores/\(current.slug)"
            var areas: [(String, String, StoreAction)] = [
                ("Overview", "", .orders), ("Products", "/products", .catalog), ("Collections", "/collections", .catalog),
                ("Orders", "/orders", .orders), ("Settings", "/settings", .settings), ("Checkout", "/checkout", .settings),
                ("Domains", "/domains", .domains),
                ("Staff", "/staff", .staff), ("API tokens", "/tokens", .apiTokens),
            ]
            areas.removeAll { !current.role.may($0.2) }
            self.areas = areas.map { AreaLink(title: $0.0, url: base + $0.1, selected: $0.0 == area) }
        } else {
            areas = []
        }
        readOnly = current?.isReadOnly ?? false
        opening = current?.isOpening ?? false
        self.csrf = csrf
        self.notice = notice
        self.confirmation = confirmation
    }
}

/// A form's field: what was entered and, after a refused submit, what to fix.
struct FieldView {
    let value: String
    let error: String?

    init(_ value: String = "", error: String? = nil) {
        self.value = value
        self.error = error
    }
}

struct LoginPage {
    let csrf: String
    let next: String
    let email: FieldView
    let notice: String?
}

struct ResetRequestPage {
    let csrf: String
    let email: FieldView
    let sent: Bool
    let notice: String?
}

struct ResetPage {
    let csrf: String
    let token: String
    let password: FieldView
    let notice: String?
}

struct InvitationPage {
    let csrf: String
    let token: String
    let storeName: String
    let email: String
    let role: String
    let accountExists: Bool
    let password: FieldView
}

struct PasswordPage {
    let chrome: DashboardChrome
    let current: FieldView
    let new: FieldView
    let changed: Bool
}

struct NoStoresPage {
    let chrome: DashboardChrome
}

struct StaffPage {
    struct Row {
        let email: String
        let role: String
        let since: String
        /// Nil for the person looking (they cannot remove themselves here).
        let removeURL: String?
    }

    struct Pending {
        let email: String
        let role: String
        let expires: String
    }

    let chrome: DashboardChrome
    let baseURL: String
    let members: [Row]
    let invitations: [Pending]
    let hasInvitations: Bool
    let email: FieldView
}

struct TokensPage {
    struct Row {
        let name: String
        let created: String
        let revoked: String?
        let revokeURL: String
    }

    let chrome: DashboardChrome
    let baseURL: String
    let tokens: [Row]
    let name: FieldView
    /// A token just made: shown in this answer only.
    let createdName: String?
    let createdSecret: String?
}

struct DomainsPage {
    struct Record {
        let type: String
        let name: String
        let value: String
    }

    struct Row {
        let hostname: String
        let primary: Bool
        /// Pending, Invalid configuration, Valid — the states merchants know from Vercel.
        let state: String
        let stateClass: String
        let message: String?
        let records: [Record]
        let hasRecords: Bool
        let verifiable: Bool
        let canBePrimary: Bool
        let removable: Bool
        /// `…/domains/<hostname>`: the actions' forms post under it.
        let actionURL: String
    }

    let chrome: DashboardChrome
    let baseURL: String
    let domains: [Row]
    let hostname: FieldView
}

enum DashboardFormat {
    static func date(_ date: Date) -> String {
        date.formatted(.dateTime.year().month(.abbreviated).day())
    }

    static func dateTime(_ date: Date) -> String {
        date.formatted(.dateTime.year().month(.abbreviated).day().hour().minute())
    }
}
