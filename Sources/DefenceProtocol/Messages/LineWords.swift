/// What the typed line readers of this module share: a line's words before its free text, and its `key=value`
/// items.

/// The head words of a line and its free text, apart: `(words, text)`.
func split(_ message: Message) -> (words: [String], text: String?) {
    message.hasText ? (Array(message.parameters.dropLast()), message.parameters.last) : (message.parameters, nil)
}

/// The `key=value` items of `words`, by key; the first of a repeated key wins. Words without `=` are skipped.
func items(_ words: ArraySlice<String>) -> [String: String] {
    var found: [String: String] = [:]
    for word in words {
        guard let equals = word.firstIndex(of: "=") else { continue }
        let key = String(word[..<equals])
        if found[key] == nil { found[key] = String(word[word.index(after: equals)...]) }
    }
    return found
}
