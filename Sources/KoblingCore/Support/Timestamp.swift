import Foundation

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-22T18:36:15Z`), as the API and the
/// database both store them, so that text order is time order.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let time = UTCTime(date)
        // Written by hand: String(format:) costs more than the rest, and the outbox stamps every message.
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let y = time.year
        let year = y < 1000 ? String(repeating: "0", count: 4 - "\(max(y, 0))".count) + "\(max(y, 0))" : "\(y)"
        return "\(year)-\(two(time.month))-\(two(time.day))T\(two(time.hour)):\(two(time.minute)):\(two(time.second))Z"
    }

    /// A moment's calendar date and time of day in UTC, computed rather than looked up in a
    /// Calendar: the outbox and the mailer need them for every message.
    public struct UTCTime: Sendable, Equatable {
        public var year, month, day, hour, minute, second: Int64
        /// 0 is Sunday.
        public var weekday: Int64

        public init(_ date: Date) {
            let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
            let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
            let secondOfDay = seconds - days * 86400
            (year, month, day) = Timestamp.civil(fromDays: days)
            hour = secondOfDay / 3600
            minute = secondOfDay % 3600 / 60
            second = secondOfDay % 60
            // 1970-01-01 was a Thursday.
            weekday = ((days % 7) + 11) % 7
        }
    }

    /// Howard Hinnant's days-to-civil algorithm, proleptic Gregorian.
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

extension Timestamp {
    /// Reads an RFC 3339 time with any offset (`2026-12-01T09:00:00+01:00`), fractions of a second
    /// allowed; nil when it is not one.
    public static func parse(_ text: String) -> Date? {
        guard text.count <= 40, text.firstMatch(of: /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/) != nil else {
            return nil
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text.uppercased())
    }
}
