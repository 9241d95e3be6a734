/// URL handles made from a title when nobody typed one (the dashboard's forms, the demo
/// catalogs): `Summer Hat!` → `summer-hat` — lowercase ASCII letters and digits joined by single
/// hyphens, at most 100 characters, which is what the cell's handle rule accepts (or empty).
public enum Handle {
    public static func suggested(from title: String) -> String {
        var handle = ""
        for character in title.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                handle.append(character)
            } else if !handle.isEmpty && !handle.hasSuffix("-") {
                handle.append("-")
            }
        }
        while handle.hasSuffix("-") { handle.removeLast() }
        return String(handle.prefix(100))
    }
}
