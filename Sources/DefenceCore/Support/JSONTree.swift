import Foundation

/// A JSON document read into a small tree, for the decoders written by hand (``RoomEventJSON``, ``RoomStateJSON``).
///
/// Strict about the grammar (RFC 8259): anything it does not accept, including a duplicated key, gives nil, and
/// the caller then leaves the document to `JSONDecoder`, which decodes it or throws its own error. Numbers keep
/// their text; the caller converts them to the type it expects.
enum JSONTree {
    /// An object's members in their order (an event's objects have at most six: looked up by a scan, without
    /// hashing).
    case object(JSONMembers)
    case array([JSONTree])
    case string(String)
    /// A number's literal text, as written (checked against JSON's number grammar).
    case number(String)
    case bool(Bool)
    case null

    /// A string.
    var string: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// An integer literal that fits an `Int` (a fraction or an exponent is left to `JSONDecoder`).
    var int: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }

    /// A finite `Double`. Left to `JSONDecoder`: a literal that overflows, and one that gives zero unless it is
    /// zero digits without an exponent (`0`, `-0.0`): Foundation refuses a literal that underflows to zero
    /// (`1e-400`) and some zeros with an exponent (`0e5`, `0.000e5`, not `0.0e1`), found by the differential test of
    /// mutated documents (`RoomStateJSONTests`).
    var double: Double? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite else { return nil }
        if value == 0, text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") || (UInt8(ascii: "1")...UInt8(ascii: "9")).contains($0) }) {
            return nil
        }
        return value
    }

    /// A `Date` as `JSONEncoder` writes it by default: its seconds since 2001-01-01.
    var date: Date? {
        double.map(Date.init(timeIntervalSinceReferenceDate:))
    }

    /// `true` or `false`.
    var bool: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// A string enumeration's case, from its raw value.
    func raw<T: RawRepresentable>(as type: T.Type) -> T? where T.RawValue == String {
        string.flatMap(T.init(rawValue:))
    }

    /// An object's members.
    var members: JSONMembers? {
        guard case .object(let members) = self else { return nil }
        return members
    }

    /// An array's elements.
    var elements: [JSONTree]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The document `text` holds, or nil when it is not one JSON value (with white space around it) or has an
    /// object with a key twice.
    static func parse(_ text: String) -> JSONTree? {
        var text = text
        return text.withUTF8 { bytes -> JSONTree? in
            var reader = Reader(bytes: bytes)
            guard let value = reader.value(depth: 0) else { return nil }
            reader.skipSpace()
            return reader.index == bytes.count ? value : nil
        }
    }

    /// Reads values from UTF-8 bytes; every method returns nil at the first byte that does not fit.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        /// Deeper documents are left to `JSONDecoder` (the events are three levels deep).
        static let maximumDepth = 64

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> JSONTree? {
            guard depth < Self.maximumDepth else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string().map(JSONTree.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        private mutating func literal(_ word: StaticString, _ value: JSONTree) -> JSONTree? {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return value
        }

        private mutating func object(depth: Int) -> JSONTree? {
            index += 1
            var members = JSONMembers()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1), members.append(key, member), let closed = separator(closing: "}")
                else { return nil }
                if closed { return .object(members) }
            }
        }

        private mutating func array(depth: Int) -> JSONTree? {
            index += 1
            var elements: [JSONTree] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                guard let element = value(depth: depth + 1), let closed = separator(closing: "]") else { return nil }
                elements.append(element)
                if closed { return .array(elements) }
            }
        }

        /// After a member or an element: `false` past a comma, `true` past the closing bracket, nil for anything else.
        private mutating func separator(closing: Unicode.Scalar) -> Bool? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                return false
            case UInt8(ascii: closing):
                index += 1
                return true
            default:
                return nil
            }
        }

        /// A string from its opening quote: its escapes resolved; nil for a raw control character, an unknown
        /// escape or a lone surrogate.
        private mutating func string() -> String? {
            index += 1
            let start = index
            // The usual case, no escape: the bytes as they are (the text is valid UTF-8, a Swift string's).
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { return nil }
                index += 1
            }
            var scalars = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: scalars, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0c)
                    case UInt8(ascii: "n"): scalars.append(0x0a)
                    case UInt8(ascii: "r"): scalars.append(0x0d)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = escapedScalar() else { return nil }
                        scalars.append(contentsOf: String(Character(scalar)).utf8)
                    default: return nil
                    }
                case 0..<0x20:
                    return nil
                default:
                    scalars.append(byte)
                }
            }
            return nil
        }

        /// The scalar of a `\u` escape (after the `u`), with the low half of a surrogate pair when it is one.
        private mutating func escapedScalar() -> Unicode.Scalar? {
            guard let unit = hexUnit() else { return nil }
            switch unit {
            case 0xd800...0xdbff:
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                index += 2
                guard let low = hexUnit(), (0xdc00...0xdfff).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xd800) << 10) + (UInt32(low) - 0xdc00))
            case 0xdc00...0xdfff:
                return nil
            default:
                return Unicode.Scalar(UInt32(unit))
            }
        }

        private mutating func hexUnit() -> UInt16? {
            guard bytes.count - index >= 4 else { return nil }
            var unit: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                unit = unit << 4 | UInt16(digit)
                index += 1
            }
            return unit
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
        private mutating func number() -> JSONTree? {
            let start = index
            func digits() -> Int {
                let first = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - first
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if digits() == 0 {
                return nil
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { return nil }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { return nil }
            }
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }
    }
}

/// A JSON object's members in their order, with their keys unique.
struct JSONMembers {
    /// The members in their order.
    var pairs: [(key: String, value: JSONTree)] { storage }
    private var storage: [(key: String, value: JSONTree)] = []

    /// Objects with more members are left to `JSONDecoder` (a scan per lookup, and per key to find duplicates).
    static let maximumCount = 64

    /// How many members.
    var count: Int { storage.count }

    /// The first member.
    var first: (key: String, value: JSONTree)? { storage.first }

    /// The value of `key`, if the object has it.
    subscript(key: String) -> JSONTree? {
        storage.first { $0.key == key }?.value
    }

    /// The position of `key` in ``pairs``, if the object has it.
    func index(of key: String) -> Int? {
        storage.firstIndex { $0.key == key }
    }

    /// Adds a member; `false` when the key is already there or the object is full.
    mutating func append(_ key: String, _ value: JSONTree) -> Bool {
        guard storage.count < Self.maximumCount, !storage.contains(where: { $0.key == key }) else { return false }
        storage.append((key, value))
        return true
    }
}

/// An object's members read as a synthesized `Decodable` reads them: each reader gives nil for a member that is
/// missing or of another type, and the optional readers (`decodeIfPresent`) give `.some(nil)` for one that is
/// missing or `null`.
///
/// It remembers which members were read: a reader checks ``complete`` last, so that a document with a member it
/// does not know (a field added to the type and not to the reader, say) is left to `JSONDecoder` instead of being
/// read without it.
struct JSONFields {
    let members: JSONMembers
    /// Bit `i` set: member `i` was read (an object has at most ``JSONMembers/maximumCount`` members).
    private var read: UInt64 = 0

    init(_ members: JSONMembers) {
        self.members = members
    }

    /// Whether every member of the object was read.
    var complete: Bool { read.nonzeroBitCount == members.count }

    /// The member `key`, marked as read.
    private mutating func member(_ key: String) -> JSONTree? {
        guard let index = members.index(of: key) else { return nil }
        read |= 1 << UInt64(index)
        return members.pairs[index].value
    }

    /// The member read by `read`.
    mutating func value<T>(_ key: String, _ read: (JSONTree) -> T?) -> T? {
        member(key).flatMap(read)
    }

    /// `decodeIfPresent`: absent or `null` is `.some(nil)`; a value `read` refuses is nil.
    mutating func optional<T>(_ key: String, _ read: (JSONTree) -> T?) -> T?? {
        switch member(key) {
        case nil, .null?: return .some(nil)
        case let value?: return read(value).map { .some($0) }
        }
    }

    mutating func string(_ key: String) -> String? { member(key)?.string }
    mutating func optionalString(_ key: String) -> String?? { optional(key) { $0.string } }
    mutating func int(_ key: String) -> Int? { member(key)?.int }
    mutating func double(_ key: String) -> Double? { member(key)?.double }
    mutating func date(_ key: String) -> Date? { member(key)?.date }

    /// A string enumeration's case.
    mutating func raw<T: RawRepresentable>(_ key: String, as type: T.Type) -> T? where T.RawValue == String {
        member(key)?.raw(as: type)
    }

    /// `decodeIfPresent` of a string enumeration's case.
    mutating func optionalRaw<T: RawRepresentable>(_ key: String, as type: T.Type) -> T?? where T.RawValue == String {
        optional(key) { $0.raw(as: type) }
    }

    /// An array whose every element `read` reads.
    mutating func array<T>(_ key: String, _ read: (JSONTree) -> T?) -> [T]? {
        member(key)?.elements.flatMap { JSONTree.all($0, read) }
    }
}

extension JSONTree {
    /// The value `read` finds in `text`, or else `JSONDecoder`'s, which reads the documents `read` leaves or throws
    /// its own error: what a decoder written by hand refuses is refused as Foundation refuses it.
    static func decode<T: Decodable>(_ text: String, _ type: T.Type, directly read: (String) -> T?) throws -> T {
        if let value = read(text) { return value }
        return try fallback.decode(T.self, from: Data(text.utf8))
    }

    private static let fallback = JSONDecoder()

    /// Every element read by `read`, or nil if one is refused.
    static func all<T>(_ elements: [JSONTree], _ read: (JSONTree) -> T?) -> [T]? {
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = read(element) else { return nil }
            values.append(value)
        }
        return values
    }
}
