/// Turns the bytes of one line (without its LF) into a ``Message``.
///
/// The parser checks, in this order: length, UTF-8 validity, control characters, tags, verb,
/// parameters. Each failure is a ``WireError`` with its own code and a precise text.
public struct LineParser: Sendable {
    /// The limits enforced.
    public var limits: Limits

    /// Creates a parser enforcing `limits`.
    public init(limits: Limits = .standard) {
        self.limits = limits
    }

    /// Parses one line. A trailing CR is removed first.
    ///
    /// - Returns: the message, or `nil` for an empty or blank line, which the protocol ignores.
    /// - Throws: ``WireError`` describing the first fault found.
    public func parse<Bytes: Collection>(_ bytes: Bytes) throws(WireError) -> Message? where Bytes.Element == UInt8 {
        var slice = Array(bytes)
        if slice.last == UInt8(ascii: "\r") { slice.removeLast() }
        if slice.count > limits.maxLineBytes {
            throw WireError(
                .lineTooLong,
                "line of \(slice.count) bytes exceeds the maximum of \(limits.maxLineBytes)"
            )
        }
        guard let line = String(validating: slice, as: UTF8.self) else {
            throw WireError(.invalidUTF8, "line is not valid UTF-8")
        }
        return try parse(line)
    }

    /// Parses one line already decoded as a string (without its line ending).
    public func parse(_ line: String) throws(WireError) -> Message? {
        if line.utf8.count > limits.maxLineBytes {
            throw WireError(
                .lineTooLong,
                "line of \(line.utf8.count) bytes exceeds the maximum of \(limits.maxLineBytes)"
            )
        }
        for scalar in line.unicodeScalars where Self.isControl(scalar) {
            throw WireError(
                .invalidCharacter,
                "control character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)) is not allowed"
            )
        }
        // The line is cut on Unicode scalars, never on Characters: a space or a ':' after a combining or
        // "prepend" scalar still separates, exactly as the bytes say (found by the fuzzer).
        var rest = Substring(line).unicodeScalars[...]
        rest = rest.drop(while: { $0 == " " })
        if rest.isEmpty { return nil }

        var tags: [Message.Tag] = []
        if rest.first == "@" {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            tags = try Self.parseTags(Substring(rest[rest.index(after: rest.startIndex)..<end]))
            rest = rest[end...].drop(while: { $0 == " " })
        }
        let requestID = tags.last(where: { $0.key == "id" })?.value

        let verbEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        let verb = Substring(rest[..<verbEnd])
        rest = rest[verbEnd...].drop(while: { $0 == " " })
        if verb.isEmpty {
            throw WireError(.malformed, requestID: requestID, "line has tags but no verb")
        }
        guard Self.isValidVerb(verb, maxBytes: limits.maxVerbBytes) else {
            throw WireError(
                .malformed,
                requestID: requestID,
                "a verb is 1 to \(limits.maxVerbBytes) letters, digits or '-', starting with a letter"
            )
        }
        let upperVerb = verb.uppercased()

        var parameters: [String] = []
        var hasText = false
        while !rest.isEmpty {
            if rest.first == ":" {
                parameters.append(String(Substring(rest.dropFirst())))
                hasText = true
                break
            }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            parameters.append(String(Substring(rest[..<end])))
            rest = rest[end...].drop(while: { $0 == " " })
        }
        if parameters.count > limits.maxParameters {
            throw WireError(
                .malformed,
                verb: upperVerb,
                requestID: requestID,
                "\(parameters.count) parameters exceed the maximum of \(limits.maxParameters)"
            )
        }
        return Message(tags: tags, verb: upperVerb, parameters: parameters, hasText: hasText)
    }

    static func parseTags(_ text: Substring) throws(WireError) -> [Message.Tag] {
        if text.isEmpty {
            throw WireError(.malformed, "'@' must be followed by at least one tag")
        }
        var tags: [Message.Tag] = []
        for scalars in text.unicodeScalars.split(separator: ";", omittingEmptySubsequences: false) {
            let item = Substring(scalars)
            let equals = scalars.firstIndex(of: "=")
            let key = equals.map { Substring(scalars[..<$0]) } ?? item
            guard isValidTagKey(key) else {
                throw WireError(.malformed, "tag key '\(key.prefix(32))' is empty or has characters outside A-Z a-z 0-9 - / .")
            }
            let value = equals.map { TagEscaping.unescape(Substring(scalars[scalars.index(after: $0)...])) } ?? ""
            tags.removeAll { $0.key == key }
            tags.append(Message.Tag(String(key), value))
        }
        return tags
    }

    static func isValidTagKey(_ key: Substring) -> Bool {
        var body = key
        if body.first == "+" { body = body.dropFirst() }
        guard !body.isEmpty, body.utf8.count <= 64 else { return false }
        return body.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-/.".unicodeScalars.contains(scalar))
        }
    }

    static func isValidVerb(_ verb: Substring, maxBytes: Int) -> Bool {
        guard let first = verb.unicodeScalars.first, verb.utf8.count <= maxBytes else { return false }
        guard first.isASCIILetter else { return false }
        return verb.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Whether a scalar is a control character the protocol refuses (C0, DEL, C1).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
