import Foundation

/// The language of everything a person reads in the clients. The protocol itself stays in English.
public enum Language: String, Sendable, CaseIterable {
    /// French.
    case fr
    /// English.
    case en

    /// `--lang` when given, else the locale's language (`LC_ALL`, `LC_MESSAGES`, `LANG`), else French.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Language {
        if let option, let language = Language(rawValue: option.lowercased()) { return language }
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[key], !value.isEmpty {
                return value.lowercased().hasPrefix("en") ? .en : .fr
            }
        }
        return .fr
    }

    /// Picks the text for this language.
    public func text(_ fr: String, _ en: String) -> String {
        self == .fr ? fr : en
    }
}
