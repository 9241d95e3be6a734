import ArgumentParser
import Foundation
import Logging
import LumoraCore
import LumoraMail
import LumoraManager

/// Where the manager's mail goes: an SMTP server (`--smtp-url` or `LUMORA_SMTP_URL`), sent
/// from `--mail-from` (`LUMORA_MAIL_FROM`, default `no-reply@<root domain>`). Without a server
/// the manager prints each mail's link in its log; `lumora dev` catches the mail instead.
struct MailOptions: ParsableArguments {
    @Option(name: .customLong("smtp-url"),
            help: "The SMTP server: smtp://host:587 (STARTTLS), smtps://host:465, smtp://127.0.0.1:1025?tls=none (default: LUMORA_SMTP_URL). A user and password go in LUMORA_SMTP_URL only.")
    var smtpURL: String?
    @Option(name: .customLong("mail-from"), help: "The address mail comes from (default: LUMORA_MAIL_FROM, else no-reply@<root domain>).")
    var mailFrom: String?

    static let urlVariable = "LUMORA_SMTP_URL"
    static let fromVariable = "LUMORA_MAIL_FROM"

    func validate() throws {
        _ = try configuration()
        if let given = given(mailFrom, Self.fromVariable) {
            do throws(LumoraError) {
                _ = try MailAddress(given)
            } catch {
                throw ValidationError("--mail-from (or \(Self.fromVariable)): \(error.message)")
            }
        }
    }

    /// The SMTP server named by the flag or the environment; nil when neither names one.
    func configuration(heloName: String = "localhost") throws -> SMTPConfiguration? {
        let fromFlag = smtpURL.flatMap { $0.isEmpty ? nil : $0 }
        guard let url = fromFlag ?? given(nil, Self.urlVariable) else { return nil }
        let configuration: SMTPConfiguration
        do throws(LumoraError) {
            configuration = try SMTPConfiguration(url: url, heloName: heloName)
        } catch {
            // The message names what is wrong, never the password (the URL is not quoted).
            throw ValidationError("--smtp-url (or \(Self.urlVariable)): \(error.message)")
        }
        // Other users of the machine can read a command line, not the environment.
        if fromFlag != nil, configuration.credentials != nil {
            throw ValidationError("--smtp-url holds a user and password, which anyone on this machine can read in the process list: put the URL in \(Self.urlVariable) instead")
        }
        return configuration
    }

    func sender(rootDomain: String) -> String {
        given(mailFrom, Self.fromVariable) ?? "no-reply@\(rootDomain)"
    }

    /// The mailer for the configured server; nil when none is configured. EHLO names the
    /// sender's domain (some servers refuse a bare "localhost").
    func makeMailer(rootDomain: String, logger: Logger) throws -> SMTPMailer? {
        let from = sender(rootDomain: rootDomain)
        let domain = from.split(separator: "@").last.map(String.init) ?? rootDomain
        let helo = !domain.isEmpty && domain.utf8.allSatisfy { Self.domainCharacters.contains($0) } ? domain : "localhost"
        guard let configuration = try configuration(heloName: helo) else { return nil }
        do throws(LumoraError) {
            return try SMTPMailer(configuration: configuration, from: from, logger: logger)
        } catch {
            throw ValidationError("--smtp-url / --mail-from: \(error.message)")
        }
    }

    private static let domainCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-".utf8)

    private func given(_ flag: String?, _ variable: String) -> String? {
        (flag ?? ProcessInfo.processInfo.environment[variable]).flatMap { $0.isEmpty ? nil : $0 }
    }
}
