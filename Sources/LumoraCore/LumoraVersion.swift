/// The version this build of Lumora reports (overridable with `LUMORA_VERSION` by the roles).
public enum LumoraVersion {
    public static let current = "0.1.0"
}
