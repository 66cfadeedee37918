@testable import DefenceStore
import Foundation
import GRDB
import Testing

/// The `at` column's text, written by hand: the very text GRDB's `DateFormatter` writes for the same date.
@Suite struct StoredDateTextTests {
    func expectGRDBsText(_ date: Date, sourceLocation: SourceLocation = #_sourceLocation) {
        let grdb = String.fromDatabaseValue(date.databaseValue)
        #expect(StoredDateText.of(date) == grdb, "\(date.timeIntervalSince1970)", sourceLocation: sourceLocation)
    }

    /// A walk over 1970–9999 in steps of about 142 days and a fraction of a second that changes at every step.
    @Test func everyDayOfTheRangeIsGRDBsText() {
        var seconds = 0.0
        var checked = 0
        while seconds < 253_402_300_800 {
            expectGRDBsText(Date(timeIntervalSince1970: seconds))
            seconds += 12_345_678.901_234 + Double(checked % 1000) * 0.000_37
            checked += 1
        }
        #expect(checked > 20_000)
    }

    /// The days around each month's and each year's end (leap years, 1999/2000/2100), and the range's two ends.
    @Test func monthEndsLeapDaysAndTheRangesEnds() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 0))
        for year in [1970, 1999, 2000, 2024, 2026, 2027, 2100, 2400, 9999] {
            for month in 1...12 {
                let first = try #require(calendar.date(from: DateComponents(year: year, month: month, day: 1)))
                for offset in [-86_400.0, -0.001, -0.000_4, 0, 0.000_9, 0.999_9, 86_399.999] where first.timeIntervalSince1970 + offset >= 0 {
                    expectGRDBsText(first.addingTimeInterval(offset))
                }
            }
        }
        expectGRDBsText(Date(timeIntervalSince1970: 0))
        expectGRDBsText(Date(timeIntervalSince1970: 253_402_300_799.999))
    }

    /// Milliseconds are rounded to the nearest, as GRDB's formatter rounds them: a time just below a millisecond
    /// (or a second, a day) is written as that millisecond.
    @Test func millisecondsAreRoundedAsByGRDBsFormatter() {
        let second = 1_800_000_000.0
        for thousandths in 0..<1000 {
            for nudge in [-1e-6, -1e-7, 0, 1e-7, 4e-4, 5e-4, 6e-4] {
                expectGRDBsText(Date(timeIntervalSince1970: second + Double(thousandths) / 1000 + nudge))
            }
        }
        #expect(StoredDateText.of(Date(timeIntervalSince1970: second + 0.123_9)) == "2027-01-15 08:00:00.124")
        #expect(StoredDateText.of(Date(timeIntervalSince1970: second - 0.000_1)) == "2027-01-15 08:00:00.000")
    }

    /// Outside 1970–9999 the text is GRDB's own.
    @Test func datesOutsideTheRangeAreLeftToGRDB() {
        for seconds: TimeInterval in [-1, -86_400 * 365.25 * 100, 253_402_300_800, 253_402_300_800 * 2] {
            expectGRDBsText(Date(timeIntervalSince1970: seconds))
        }
    }
}
