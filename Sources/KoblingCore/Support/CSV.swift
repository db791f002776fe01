/// RFC 4180 CSV, both ways. Hand-written rather than taken from a package: it is small, and the
/// import needs each record's line number for its errors and the export's guard against formulas.
public enum CSV {
    /// One field: quoted when it holds a comma, a quote or a line break. A leading =, +, - or @
    /// is prefixed with ' so that spreadsheets do not run it as a formula.
    public static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public struct Record: Sendable, Equatable {
        /// The line the record starts on, from 1.
        public var line: Int
        public var fields: [String]

        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    public struct Malformed: Error, Equatable, Sendable {
        public var line: Int
        public var detail: String
    }

    /// The records of a CSV text (CRLF or LF line ends); empty lines are skipped.
    public static func parse(_ text: String) throws(Malformed) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        var characters = text.makeIterator()
        var pending: Character? = characters.next()
        if pending == "\u{FEFF}" { pending = characters.next() }

        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            field = ""
            fieldWasQuoted = false
        }

        while let character = pending {
            pending = characters.next()
            if inQuotes {
                if character == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = characters.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                guard field.isEmpty && !fieldWasQuoted else {
                    throw Malformed(line: line, detail: "A quote inside an unquoted field; quote the whole field and double the quote.")
                }
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                fieldWasQuoted = false
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            default:
                guard !fieldWasQuoted else { throw Malformed(line: line, detail: "Text after a closing quote.") }
                field.append(character)
            }
        }
        if inQuotes { throw Malformed(line: recordLine, detail: "A quoted field is not closed.") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }

    /// Undoes `field`'s guard against formulas when reading back an export.
    public static func unguarded(_ value: String) -> String {
        if value.hasPrefix("'"), let second = value.dropFirst().first, "=+-@".contains(second) { return String(value.dropFirst()) }
        return value
    }
}
