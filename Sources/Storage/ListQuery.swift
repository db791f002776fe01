import GRDB
import KoblingCore

/// The WHERE clause of a list: filter conditions with their arguments, and the keyset condition
/// that continues after the last item of the previous page. Lists are ordered by
/// `(sortKey, id)`, so that a cursor is that pair.
struct ListQuery {
    private var conditions: [String] = []
    private(set) var arguments: StatementArguments

    init(arguments: StatementArguments = []) {
        self.arguments = arguments
    }

    mutating func require(_ condition: String, _ values: any DatabaseValueConvertible...) {
        conditions.append(condition)
        arguments += StatementArguments(values)
    }

    /// Rows after the page's cursor, if any.
    mutating func after(_ page: PageRequest, table: String) {
        if let after = page.after, after.count == 2 {
            require("(\(table).sortKey, \(table).id) > (?, ?)", after[0], after[1])
        }
    }

    var whereClause: String {
        conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    func orderAndLimit(_ page: PageRequest, table: String) -> String {
        "ORDER BY \(table).sortKey, \(table).id LIMIT \(page.limit + 1)"
    }
}
