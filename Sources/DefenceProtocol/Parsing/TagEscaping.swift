/// Escaping of tag values, as in IRCv3 message tags.
///
/// `;` is written `\:`, space `\s`, backslash `\\`, CR `\r` and LF `\n`. On input, a backslash
/// before any other character stands for that character, and a lone final backslash is dropped.
public enum TagEscaping {
    /// Escapes a tag value for the wire.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case ";": out += "\\:"
            case " ": out += "\\s"
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Reverses ``escape(_:)``.
    public static func unescape<S: StringProtocol>(_ value: S) -> String {
        var out = ""
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                switch scalar {
                case ":": out += ";"
                case "s": out += " "
                case "r": out += "\r"
                case "n": out += "\n"
                default: out.unicodeScalars.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
