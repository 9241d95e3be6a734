/// Product pictures drawn from a name and the store's colours (`/art/<handle>.svg`): what the
/// demo stores show until a merchant uploads photos. Deterministic — the same product always
/// gets the same picture — and different for every product: the shapes, their places and the
/// gradient's angle come from a hash of the handle.
enum ProductArt {
    static func svg(handle: String, primary: String, accent: String) -> String {
        var hasher = FNV1a()
        hasher.combine(handle)
        var bits = hasher.value
        func next(_ range: Int) -> Int {
            let value = Int(bits % UInt64(range))
            bits = bits / UInt64(range) ^ (bits &* 0x9E37_79B9_7F4A_7C15)
            return value
        }
        let title = handle.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        let initials = handle.split(separator: "-").prefix(2).compactMap { $0.first.map { String($0).uppercased() } }.joined()
        let angle = next(360)
        var shapes: [String] = []
        for index in 0..<(3 + next(3)) {
            let x = 60 + next(520), y = 60 + next(380), size = 50 + next(140)
            let fill = index % 2 == 0 ? "#ffffff" : accent
            let opacity = Double(15 + next(35)) / 100
            switch next(3) {
            case 0:
                shapes.append(#"<circle cx="\#(x)" cy="\#(y)" r="\#(size / 2)" fill="\#(fill)" fill-opacity="\#(opacity)"/>"#)
            case 1:
                shapes.append(#"<rect x="\#(x - size / 2)" y="\#(y - size / 2)" width="\#(size)" height="\#(size)" rx="\#(size / 5)" fill="\#(fill)" fill-opacity="\#(opacity)" transform="rotate(\#(next(90)) \#(x) \#(y))"/>"#)
            default:
                shapes.append(#"<path d="M\#(x) \#(y - size / 2) L\#(x + size / 2) \#(y + size / 2) L\#(x - size / 2) \#(y + size / 2) Z" fill="\#(fill)" fill-opacity="\#(opacity)"/>"#)
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 640" role="img" aria-label="\(StorefrontRoutes.xmlEscape(title))">\
            <defs><linearGradient id="g" gradientTransform="rotate(\(angle) .5 .5)"><stop offset="0" stop-color="\(primary)"/>\
            <stop offset="1" stop-color="\(accent)"/></linearGradient></defs>\
            <rect width="640" height="640" fill="url(#g)"/>\(shapes.joined())\
            <text x="320" y="330" font-size="180" font-weight="700" font-family="sans-serif" text-anchor="middle" fill="#fff" fill-opacity=".92">\
            \(StorefrontRoutes.xmlEscape(initials))</text>\
            <rect y="520" width="640" height="120" fill="#000" fill-opacity=".35"/>\
            <text x="320" y="595" font-size="44" font-family="sans-serif" text-anchor="middle" fill="#fff">\(StorefrontRoutes.xmlEscape(title))</text></svg>
            """
    }
}
