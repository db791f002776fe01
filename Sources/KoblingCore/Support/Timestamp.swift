import Foundation

/// RFC 3339 timestamps in UTC with whole seconds (`2026-11-22T18:36:15Z`), as the API and the
/// database both store them, so that text order is time order.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = civil(fromDays: days)
        // Written by hand: String(format:) costs more than the rest, and the outbox stamps every message.
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = y < 1000 ? String(repeating: "0", count: 4 - "\(max(y, 0))".count) + "\(max(y, 0))" : "\(y)"
        return "\(year)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two((secondOfDay % 3600) / 60)):\(two(secondOfDay % 60))Z"
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
