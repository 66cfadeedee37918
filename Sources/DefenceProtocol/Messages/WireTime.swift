import Foundation

/// Times on the wire: RFC 3339 in UTC with milliseconds, e.g. `2026-11-29T09:00:00.000Z`.
///
/// The one parser of times and days that arrive from outside (requests, CSV files, command lines): strict about the
/// calendar (no 30 February, no 25:61) and about the range (years ``supportedYears``), so that every time the
/// server accepts is a real instant it can store and read back.
public enum WireTime {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// The years a time may fall in: a certification's dates, with room on both sides. Times outside are refused
    /// where they arrive, so that nothing stored is a date the database or a client cannot read back.
    public static let supportedYears = 2000...2999

    /// The earliest and latest supported instants: 2000-01-01T00:00:00Z and 2999-12-31T23:59:59.999Z.
    public static let supportedRange: ClosedRange<Date> =
        Date(timeIntervalSince1970: 946_684_800)...Date(timeIntervalSince1970: 32_503_680_000 - 0.001)

    /// Formats a date for the wire: `YYYY-MM-DDTHH:MM:SS.sssZ`, rounded to the nearest millisecond (a date stored
    /// with milliseconds reads back a hair below them as a binary fraction; truncating showed one less).
    public static func format(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // 1970 to 9999 (the server never has other dates); beyond, and for NaN, Foundation's style decides.
        guard milliseconds >= 0, milliseconds < 253_402_300_800_000 else { return style.format(date) }
        return calendarText(milliseconds: Int64(milliseconds), separator: UInt8(ascii: "T"), zulu: true)
    }

    /// `YYYY-MM-DD<separator>HH:MM:SS.sss`, then `Z` when `zulu`, for a count of milliseconds since 1970 of the years
    /// 1970–9999 (integer arithmetic, no formatter): the wire's text, and the text the database stores.
    public static func calendarText(milliseconds total: Int64, separator: UInt8, zulu: Bool) -> String {
        let days = total / 86_400_000
        var rest = total % 86_400_000
        let millisecond = rest % 1000
        rest /= 1000
        let (year, month, day) = civil(fromDays: Int(days))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
        }
        digits(Int64(year), 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int64(month), 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int64(day), 2)
        bytes.append(separator)
        digits(rest / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(rest / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(rest % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(millisecond, 3)
        if zulu { bytes.append(UInt8(ascii: "Z")) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The calendar date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses an RFC 3339 time: `YYYY-MM-DDTHH:MM:SS`, optional fractional seconds, then `Z` or an offset `±HH:MM`
    /// (`T` and `Z` in either case). Returns `nil` when it is malformed, names no real calendar instant (a 30
    /// February, a 25th hour, a 60th second) or falls outside ``supportedRange``.
    public static func parse(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let days = scanner.date(),
            scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")),
            let hour = scanner.number(digits: 2), hour <= 23, scanner.take(UInt8(ascii: ":")),
            let minute = scanner.number(digits: 2), minute <= 59, scanner.take(UInt8(ascii: ":")),
            let second = scanner.number(digits: 2), second <= 59
        else { return nil }
        var fraction = 0.0
        if scanner.take(UInt8(ascii: ".")) {
            guard let value = scanner.fraction() else { return nil }
            fraction = value
        }
        var offset = 0
        if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            offset = 0
        } else if let sign = scanner.sign(), let hours = scanner.number(digits: 2), hours <= 23, scanner.take(UInt8(ascii: ":")),
            let minutes = scanner.number(digits: 2), minutes <= 59
        {
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard scanner.atEnd else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        let date = Date(timeIntervalSince1970: Double(seconds) + fraction)
        return supportedRange.contains(date) ? date : nil
    }

    /// Parses a calendar day, `YYYY-MM-DD`, into the start of that day in UTC; `nil` when malformed, not a real day
    /// or outside ``supportedYears``.
    public static func parseDay(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let days = scanner.date(), scanner.atEnd else { return nil }
        return Date(timeIntervalSince1970: Double(days * 86_400))
    }

    /// Whether `date` may be stored and sent (it falls in ``supportedRange``).
    public static func isSupported(_ date: Date) -> Bool {
        supportedRange.contains(date)
    }

    /// Reads the parts of a time, byte by byte.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Exactly `digits` ASCII digits.
        mutating func number(digits: Int) -> Int? {
            guard bytes.count - index >= digits else { return nil }
            var value = 0
            for byte in bytes[index..<index + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }

        /// One or more digits after a decimal point, as a fraction of a second (at most nine are significant).
        mutating func fraction() -> Double? {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start, index - start <= 18 else { return nil }
            return Double("0." + String(decoding: bytes[start..<index], as: UTF8.self))
        }

        /// `+` (1) or `-` (-1).
        mutating func sign() -> Int? {
            if take(UInt8(ascii: "+")) { return 1 }
            if take(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        /// `YYYY-MM-DD` of a supported year, as days since 1970-01-01.
        mutating func date() -> Int? {
            guard let year = number(digits: 4), WireTime.supportedYears.contains(year), take(UInt8(ascii: "-")),
                let month = number(digits: 2), (1...12).contains(month), take(UInt8(ascii: "-")),
                let day = number(digits: 2), day >= 1, day <= WireTime.days(inMonth: month, of: year)
            else { return nil }
            return WireTime.daysSinceEpoch(year: year, month: month, day: day)
        }
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
