import LumoraCore

// The catalog pages a cell serves most, written by `JSONWriter` (same JSON as their
// `Encodable` conformances).

extension Page: JSONWritable where Item: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key(key)
            json.array(items) { json, item in item.write(to: &json) }
            json.key("count"); json.value(count)
            json.key("limit"); json.value(limit)
            json.key("offset"); json.value(offset)
        }
    }
}

extension Single: JSONWritable where Value: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key(key)
            value.write(to: &json)
        }
    }
}

extension ProductWire: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("id"); json.value(id)
            json.key("handle"); json.value(handle)
            json.key("title"); json.value(title)
            json.key("description"); json.value(description)
            json.key("status"); json.value(status)
            if let collection {
                json.key("collection")
                collection.write(to: &json)
            }
            json.key("images"); json.value(images)
            json.key("media"); json.array(media) { json, picture in picture.write(to: &json) }
            json.member("thumbnail", ifPresent: thumbnail)
            json.key("variants"); json.array(variants) { json, variant in variant.write(to: &json) }
            json.key("created_at"); json.value(createdAt)
            json.key("updated_at"); json.value(updatedAt)
        }
    }
}

extension VariantWire: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("id"); json.value(id)
            json.key("title"); json.value(title)
            json.member("sku", ifPresent: sku)
            json.key("price"); price.write(to: &json)
            json.key("available"); json.value(available)
            json.key("in_stock"); json.value(inStock)
            json.member("stocked", ifPresent: stocked)
            json.member("reserved", ifPresent: reserved)
            json.member("weight_grams", ifPresent: weightGrams)
        }
    }
}

extension Money: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("amount"); json.value(amount)
            json.key("currency"); json.value(currency.code)
        }
    }
}

extension CollectionWire: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("id"); json.value(id)
            json.key("handle"); json.value(handle)
            json.key("title"); json.value(title)
        }
    }
}

extension ProductMediaWire: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("alt"); json.value(alt)
            json.key("media"); media.write(to: &json)
        }
    }
}

extension MediaWire: JSONWritable {
    public func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("id"); json.value(id)
            json.key("url"); json.value(url)
            json.key("width"); json.value(width)
            json.key("height"); json.value(height)
            json.key("format"); json.value(format)
            json.key("bytes"); json.value(bytes)
            json.key("sizes")
            json.array(sizes) { json, size in
                json.object { json in
                    json.key("width"); json.value(size.width)
                    json.key("height"); json.value(size.height)
                    json.member("url", ifPresent: size.url)
                    json.member("webp_url", ifPresent: size.webpUrl)
                }
            }
            json.key("created_at"); json.value(createdAt)
        }
    }
}
