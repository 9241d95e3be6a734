import LumoraCore

extension StringProtocol {
    /// At most `length` characters of text that failed validation, control characters shown as
    /// `?`, so an error message (and the log line it ends up in) cannot be split or spoofed.
    func shownInError(_ length: Int = 60) -> String {
        String(String.UnicodeScalarView(unicodeScalars.prefix(length).map { ControlCharacters.isControl($0.value) ? "?" : $0 }))
    }
}
