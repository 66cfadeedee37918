import DefenceProtocol
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
        return WireTime.calendarText(milliseconds: Int64(milliseconds), separator: UInt8(ascii: " "), zulu: false)
    }
}
