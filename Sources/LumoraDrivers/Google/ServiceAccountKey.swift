import Foundation
import LumoraCore

/// The fields of a Google service-account key file (`GOOGLE_APPLICATION_CREDENTIALS`) that
/// the JWT-bearer token exchange needs.
public struct ServiceAccountKey: Sendable, Equatable, Decodable {
    public var clientEmail: String
    public var privateKey: String
    public var privateKeyID: String?
    public var tokenURI: String
    public var projectID: String?

    enum CodingKeys: String, CodingKey {
        case clientEmail = "client_email"
        case privateKey = "private_key"
        case privateKeyID = "private_key_id"
        case tokenURI = "token_uri"
        case projectID = "project_id"
        case type
    }

    public init(clientEmail: String, privateKey: String, privateKeyID: String? = nil,
                tokenURI: String = "https://oauth2.googleapis.com/token", projectID: String? = nil) {
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.privateKeyID = privateKeyID
        self.tokenURI = tokenURI
        self.projectID = projectID
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try container.decodeIfPresent(String.self, forKey: .type), type != "service_account" {
            throw LumoraError.badRequest("google_credentials_invalid",
                                         "the credentials file is of type '\(type)'; a service-account key is needed")
        }
        clientEmail = try container.decode(String.self, forKey: .clientEmail)
        privateKey = try container.decode(String.self, forKey: .privateKey)
        privateKeyID = try container.decodeIfPresent(String.self, forKey: .privateKeyID)
        tokenURI = try container.decodeIfPresent(String.self, forKey: .tokenURI) ?? "https://oauth2.googleapis.com/token"
        projectID = try container.decodeIfPresent(String.self, forKey: .projectID)
    }

    public init(json: Data) throws {
        do {
            self = try JSONDecoder().decode(ServiceAccountKey.self, from: json)
        } catch let error as LumoraError {
            throw error
        } catch {
            throw LumoraError.badRequest("google_credentials_invalid",
                                         "the service-account key is not usable (client_email and private_key are required): \(error)")
        }
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LumoraError.badRequest("google_credentials_unreadable",
                                         "GOOGLE_APPLICATION_CREDENTIALS names \(path), which cannot be read")
        }
        try self.init(json: data)
    }
}
