import Foundation

/// Times on the wire: RFC 3339 in UTC with milliseconds, e.g. `2026-11-29T09:00:00.000Z`.
public enum WireTime {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let plainStyle = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// Formats a date for the wire.
    public static func format(_ date: Date) -> String {
        style.format(date)
    }

    /// Parses an RFC 3339 time, with or without fractional seconds. Returns `nil` when malformed.
    public static func parse(_ text: String) -> Date? {
        if let date = try? style.parse(text) { return date }
        if let date = try? plainStyle.parse(text) { return date }
        return nil
    }
}
