import Foundation
import GRDB

/// A date as GRDB stores it, "yyyy-MM-dd HH:mm:ss.SSS" in UTC, written with integer arithmetic.
///
/// GRDB turns a `Date` into that text through a shared ICU `DateFormatter`, which took 4 % of the storage push's CPU
/// for the `at` column of every event (docs/performance.md). This writes the same text (the date's milliseconds
/// since 1970 rounded to the nearest, as that formatter does) and hands any date outside 1970–9999 to GRDB.
enum StoredDateText {
    /// The stored text of `date`.
    static func of(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // 1970-01-01 to 9999-12-31 23:59:59.999; beyond (and for NaN), GRDB's own formatter decides.
        guard milliseconds >= 0, milliseconds < 253_402_300_800_000 else {
            return String.fromDatabaseValue(date.databaseValue) ?? ""
        }
        let total = Int64(milliseconds)
        let days = total / 86_400_000
        var rest = total % 86_400_000
        let millisecond = rest % 1000
        rest /= 1000
        let (year, month, day) = civil(fromDays: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
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
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: " "))
        digits(rest / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(rest / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(rest % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(millisecond, 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The proleptic Gregorian date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
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
}
