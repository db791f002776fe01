import Foundation

/// One subscriber read from an organiser's CSV import.
public struct ImportedSubscriber: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Subscribed elsewhere with consent, which the row records.
        case confirmed
        /// Unsubscribed elsewhere: recorded so that no later import adds the address again.
        case unsubscribed
    }

    public var line: Int
    public var email: EmailAddress
    public var name: String?
    public var status: Status
    /// Nil takes the list's own wording.
    public var consentText: String?
    public var consentAt: String
    public var consentSource: String?
}

/// Reads a subscriber CSV: a header row naming the columns, then one subscriber a row. Columns:
/// `email` (required), `name`, `status` (confirmed, the default, or unsubscribed), `consent_at`
/// (RFC 3339, required for confirmed rows: when the person agreed), `consent_text`,
/// `consent_source`. Other columns (such as those of Kobling's own export) are ignored, so that
/// an export can be imported again. Every bad field is named, by line, in one error.
public enum SubscriberCSV {
    public static let maximumRows = 100_000

    public static func read(_ text: String) throws(KoblingError) -> [ImportedSubscriber] {
        let records: [CSV.Record]
        do {
            records = try CSV.parse(text)
        } catch {
            throw .invalid("/lines/\(error.line)", "Not CSV: \(error.detail)")
        }
        guard let header = records.first else { throw .invalid("", "The file is empty; send a header row and a row a subscriber.") }
        let columns = header.fields.map { $0.trimmingWhitespace().lowercased() }
        guard let emailColumn = columns.firstIndex(of: "email") else {
            throw .invalid("/lines/\(header.line)", "The header row has no email column.")
        }
        guard records.count - 1 <= maximumRows else { throw .invalid("", "At most \(maximumRows) rows an import.") }
        func column(_ name: String) -> Int? { columns.firstIndex(of: name) }
        let nameColumn = column("name"), statusColumn = column("status"), consentTextColumn = column("consent_text")
        let consentAtColumn = column("consent_at"), consentSourceColumn = column("consent_source")

        var validator = Validator()
        var rows: [ImportedSubscriber] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            func value(_ index: Int?) -> String? {
                guard let index, index < record.fields.count else { return nil }
                let value = CSV.unguarded(record.fields[index].trimmingWhitespace())
                return value.isEmpty ? nil : value
            }
            let pointer = "/lines/\(record.line)"
            guard let email = value(emailColumn).flatMap(EmailAddress.init) else {
                validator.add(pointer + "/email", "Not an email address.")
                continue
            }
            if let first = seen[email.value] {
                validator.add(pointer + "/email", "The same address is on line \(first) already.")
                continue
            }
            seen[email.value] = record.line
            var status = ImportedSubscriber.Status.confirmed
            if let raw = value(statusColumn) {
                if let parsed = ImportedSubscriber.Status(rawValue: raw.lowercased()) {
                    status = parsed
                } else {
                    validator.add(pointer + "/status", "Expected confirmed or unsubscribed; others subscribe themselves and confirm.")
                }
            }
            let consentAt = value(consentAtColumn)
            let consentDate = consentAt.flatMap(Timestamp.parse)
            if consentAt != nil && consentDate == nil {
                validator.add(pointer + "/consent_at", "Expected an RFC 3339 time such as 2026-08-01T10:00:00Z.")
            } else if consentDate == nil && status == .confirmed {
                validator.add(pointer + "/consent_at", "Required for a confirmed subscriber: when they agreed to receive the list.")
            }
            let name = value(nameColumn)
            let consentText = value(consentTextColumn)
            let consentSource = value(consentSourceColumn)
            for (field, text, limit) in [("name", name, 120), ("consent_text", consentText, 1000), ("consent_source", consentSource, 200)] {
                if let text, text.count > limit { validator.add(pointer + "/" + field, "At most \(limit) characters.") }
            }
            rows.append(ImportedSubscriber(
                line: record.line, email: email, name: name, status: status, consentText: consentText,
                consentAt: consentDate.map(Timestamp.string) ?? "", consentSource: consentSource))
        }
        try validator.finish()
        return rows
    }
}
