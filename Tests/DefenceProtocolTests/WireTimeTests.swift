import DefenceProtocol
import Foundation
import Testing

/// The one parser of times and days from outside: real calendar instants of the supported years, or nothing.
@Suite struct WireTimeTests {
    @Test func realTimesParse() throws {
        let cases: [(String, Double)] = [
            ("2026-12-01T09:30:15.250Z", 1_796_117_415.25),
            ("2026-12-01T09:30:15Z", 1_796_117_415),
            ("2026-12-01t09:30:15z", 1_796_117_415),
            ("2026-12-01T10:30:15+01:00", 1_796_117_415),
            ("2026-12-01T07:00:15-02:30", 1_796_117_415),
            ("2000-01-01T00:00:00Z", 946_684_800),
            ("2024-02-29T12:00:00Z", 1_709_208_000),
            ("2999-12-31T23:59:59.999Z", 32_503_679_999.999),
        ]
        for (text, seconds) in cases {
            let date = try #require(WireTime.parse(text), "\(text)")
            #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_5, "\(text)")
        }
        #expect(WireTime.format(try #require(WireTime.parse("2026-12-01T09:30:15.250Z"))) == "2026-12-01T09:30:15.250Z")
    }

    @Test func whatIsNotARealSupportedTimeIsRefused() {
        for text in [
            "2026-02-30T10:00:00Z", "2026-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z", "2026-00-10T10:00:00Z",
            "2026-12-01T25:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T23:61:00Z", "2026-12-01T23:00:61Z", "2026-12-01T23:00:60Z",
            "10000-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "2026-12-01", "2026-12-01T10:00:00",
            "2026-12-01T10:00Z", "2026-12-01 10:00:00Z", "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00+1:00", "2026-12-01T10:00:00+24:00",
            "+2026-12-01T10:00:00Z", "2026-12-01T10:00:00Zjunk", "２０２６-12-01T10:00:00Z", "", "tomorrow",
        ] {
            #expect(WireTime.parse(text) == nil, "\(text)")
        }
        // An offset that moves a supported local time out of the range.
        #expect(WireTime.parse("2000-01-01T00:30:00+01:00") == nil)
    }

    /// A time with milliseconds reads back and formats as it was written, to the millisecond (Foundation's style
    /// truncated the binary fraction and showed one less); every millisecond of the supported years round-trips.
    @Test func formattingRoundsToTheMillisecond() throws {
        for text in ["2026-12-01T09:30:15.123Z", "2027-01-15T08:00:00.123Z", "2000-01-01T00:00:00.000Z", "2999-12-31T23:59:59.999Z"] {
            #expect(WireTime.format(try #require(WireTime.parse(text))) == text)
        }
        var milliseconds: Int64 = 946_684_800_000
        while milliseconds < 32_503_680_000_000 {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = WireTime.format(date)
            let back = try #require(WireTime.parse(text), "\(text)")
            #expect(Int64((back.timeIntervalSince1970 * 1000).rounded()) == milliseconds, "\(text)")
            milliseconds += 9_876_543_211
        }
        #expect(WireTime.format(Date(timeIntervalSince1970: 1_796_117_415.1235)) == "2026-12-01T09:30:15.124Z")
    }

    @Test func daysParse() throws {
        #expect(try #require(WireTime.parseDay("2026-12-01")).timeIntervalSince1970 == 1_796_083_200)
        for text in ["2026-02-30", "2026-12-1", "2026-12-01T00:00:00Z", "3000-01-01", "1999-12-31", ""] {
            #expect(WireTime.parseDay(text) == nil, "\(text)")
        }
    }

    /// Every day of the supported years parses to the instant Foundation's calendar gives.
    @Test func theCalendarIsFoundations() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var day = try #require(calendar.date(from: DateComponents(year: 2000, month: 1, day: 1)))
        let end = try #require(calendar.date(from: DateComponents(year: 2101, month: 1, day: 1)))
        while day < end {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let text = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            #expect(WireTime.parseDay(text) == day, "\(text)")
            day = day.addingTimeInterval(86_400)
        }
    }
}
