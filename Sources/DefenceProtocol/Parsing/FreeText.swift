/// What the protocol calls a blank text (PROTOCOL.md §3).
public enum FreeText {
    /// Whether `text` shows nothing: it is made only of white space (Unicode `White_Space`: U+0020, U+00A0,
    /// U+3000, …) and invisible format characters (general category Cf: U+200B, U+2060, U+FEFF, U+00AD, …).
    /// An empty text is blank too.
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0.properties.generalCategory == .format }
    }
}
