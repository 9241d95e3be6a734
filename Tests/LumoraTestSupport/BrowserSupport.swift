import Foundation

/// What the browser checks need: Debian's `chromium` and `chromium-driver` and a Python with
/// the `selenium` module (`.ci/run` tries to install them). Without them the checks are
/// skipped with a message naming what was looked for and where.
public enum BrowserSupport {
    /// The Python interpreters that could run a check: `LUMORA_PYTHON`, every `python3` on
    /// `PATH` (a pyenv shim first, say) and the system's.
    public static var pythonCandidates: [String] {
        var candidates: [String] = []
        if let chosen = ProcessInfo.processInfo.environment["LUMORA_PYTHON"], !chosen.isEmpty { candidates.append(chosen) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        candidates += (path.split(separator: ":").map(String.init) + ["/usr/bin"]).map { "\($0)/python3" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        var seen = Set<String>()
        return candidates.filter { seen.insert(URL(fileURLWithPath: $0).resolvingSymlinksInPath().path).inserted }
    }

    /// The first candidate that imports selenium. Synchronous, because a trait's condition is
    /// evaluated while the tests are being planned.
    public static let python: String? = pythonCandidates.first { candidate in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: candidate)
        process.arguments = ["-c", "import selenium"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    public static let available = executable("chromium") != nil && executable("chromedriver") != nil && python != nil

    /// Why a check is skipped, naming what was looked for and where.
    public static var skipReason: String {
        var missing: [String] = []
        if executable("chromium") == nil { missing.append("chromium") }
        if executable("chromedriver") == nil { missing.append("chromedriver (Debian: chromium-driver)") }
        if python == nil { missing.append("the selenium module in any of \(pythonCandidates.joined(separator: ", ")) (or LUMORA_PYTHON)") }
        return "needs " + missing.joined(separator: "; ")
    }

    /// The first executable `name` on `PATH`, or in /usr/bin.
    public static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The package's root: this file is `<root>/Tests/LumoraTestSupport/BrowserSupport.swift`.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
