/// Product photos for the demo catalogs, drawn as a studio shot (a backdrop, a soft shadow,
/// the object lit from the upper left) and rendered by libvips when the demo stores are made:
/// every product gets its own picture, of the kind of thing it is, in the store's colours.
enum DemoPhotos {
    static func svg(title: String, primary: String, accent: String) -> String {
        var seed = title.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        func next(_ range: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(range))
        }
        let backdrop = ["#f5f0e8", "#eef2f3", "#f3eee9", "#eceff4", "#f6f1f1"][next(5)]
        let tilt = next(11) - 5
        // The store's colours, or another tone of the range: products of one kind differ.
        let tones = [primary, accent, "#475569", "#b45309", "#0f766e", "#9f1239", "#1d4ed8", "#a16207"]
        let main = tones[next(tones.count)]
        let trim = tones.filter { $0 != main }[next(tones.count - 1)]
        let body = shape(for: title.lowercased(), primary: main, accent: trim, next: next)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000" viewBox="0 0 1200 1200">
            <defs>
            <radialGradient id="room" cx="35%" cy="25%" r="90%"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="\(backdrop)"/></radialGradient>
            <radialGradient id="shadow" cx="50%" cy="50%" r="50%"><stop offset="0" stop-color="#000" stop-opacity=".35"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
            <linearGradient id="lit" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#fff" stop-opacity=".45"/><stop offset=".5" stop-color="#fff" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity=".3"/></linearGradient>
            </defs>
            <rect width="1200" height="1200" fill="url(#room)"/>
            <rect y="860" width="1200" height="340" fill="#000" fill-opacity=".04"/>
            <ellipse cx="600" cy="960" rx="330" ry="56" fill="url(#shadow)"/>
            <g transform="rotate(\(tilt) 600 640)">\(body)</g>
            </svg>
            """
    }

    /// The object, by what the title says it is; a parcel when nothing matches.
    static func shape(for title: String, primary: String, accent: String, next: (Int) -> Int) -> String {
        func has(_ words: String...) -> Bool { words.contains { title.contains($0) } }
        let lit = ##"fill="url(#lit)""##
        if has("rose", "tulip", "peony", "lily", "daisy", "sunflower", "bouquet", "orchid", "bunch") {
            let bloom = ["#dc2626", "#f59e0b", "#ec4899", "#a855f7", "#f97316", "#facc15", "#f43f5e"]
            let first = bloom[next(bloom.count)], second = bloom[next(bloom.count)]
            let petals = (0..<(5 + next(4))).map { index -> String in
                let x = 480 + next(240), y = 300 + next(200), r = 60 + next(40)
                return ##"<circle cx="\##(x)" cy="\##(y)" r="\##(r)" fill="\##(index % 2 == 0 ? first : second)"/><circle cx="\##(x)" cy="\##(y)" r="\##(r / 3)" fill="#fde68a"/>"##
            }.joined()
            return ##"<path d="M600 900 L560 520 M600 900 L640 520 M600 900 L600 480" stroke="#3f6212" stroke-width="18"/>\##(petals)<path d="M470 760 L730 760 L680 940 L520 940 Z" fill="\##(primary)"/><path d="M470 760 L730 760 L680 940 L520 940 Z" \##(lit)/>"##
        }
        if has("fern", "succulent", "cactus", "bonsai", "lavender", "plant", "garden") {
            let leaves = (0..<(6 + next(5))).map { _ in
                ##"<ellipse cx="\##(470 + next(260))" cy="\##(380 + next(260))" rx="\##(40 + next(50))" ry="\##(90 + next(60))" fill="#\##(["4d7c0f", "65a30d", "15803d", "3f6212"][next(4)])" transform="rotate(\##(next(120) - 60) 600 600)"/>"##
            }.joined()
            return ##"\##(leaves)<path d="M460 720 L740 720 L700 940 L500 940 Z" fill="\##(accent)"/><path d="M460 720 L740 720 L700 940 L500 940 Z" \##(lit)/><rect x="440" y="700" width="320" height="40" rx="12" fill="\##(primary)"/>"##
        }
        if has("jacket", "parka", "shell", "fleece", "tee", "shirt", "hoodie") {
            let path = "M470 330 L540 300 Q600 350 660 300 L730 330 L880 470 L800 560 L740 500 L740 930 L460 930 L460 500 L400 560 L320 470 Z"
            return ##"<path d="\##(path)" fill="\##(primary)"/><path d="\##(path)" \##(lit)/><path d="M600 340 L600 930" stroke="\##(accent)" stroke-width="10"/>"##
        }
        if has("boot", "skate", "sock") {
            let path = "M500 300 L660 300 L660 700 L860 760 Q900 800 880 880 L470 880 Q450 700 500 300 Z"
            return ##"<path d="\##(path)" fill="\##(primary)"/><path d="\##(path)" \##(lit)/><rect x="460" y="850" width="430" height="40" rx="16" fill="#1f2937"/><path d="M520 420 L640 420 M520 500 L640 500 M520 580 L640 580" stroke="\##(accent)" stroke-width="14"/>"##
        }
        if has("bottle", "headlamp", "stove", "level", "measure", "magnet") {
            return ##"<rect x="500" y="320" width="200" height="600" rx="70" fill="\##(primary)"/><rect x="500" y="320" width="200" height="600" rx="70" \##(lit)/><rect x="540" y="250" width="120" height="90" rx="20" fill="\##(accent)"/><rect x="500" y="560" width="200" height="120" fill="#fff" fill-opacity=".85"/>"##
        }
        if has("hammer", "saw", "screwdriver", "poles", "goggles", "gloves", "belt", "anvil") {
            return ##"<rect x="570" y="380" width="60" height="540" rx="24" fill="\##(accent)"/><rect x="570" y="380" width="60" height="540" rx="24" \##(lit)/><path d="M420 300 L780 300 L780 420 L420 420 Q380 360 420 300 Z" fill="#6b7280"/><path d="M420 300 L780 300 L780 420 L420 420 Q380 360 420 300 Z" \##(lit)/>"##
        }
        if has("tent", "bag", "pack") {
            return ##"<path d="M380 920 L600 360 L820 920 Z" fill="\##(primary)"/><path d="M380 920 L600 360 L820 920 Z" \##(lit)/><path d="M540 920 L600 640 L660 920 Z" fill="\##(accent)"/>"##
        }
        return ##"<rect x="400" y="420" width="400" height="480" rx="24" fill="\##(primary)"/><rect x="400" y="420" width="400" height="480" rx="24" \##(lit)/><rect x="570" y="420" width="60" height="480" fill="\##(accent)"/>"##
    }
}
