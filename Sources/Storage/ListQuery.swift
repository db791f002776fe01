import GRDB
import KoblingCore

/// The WHERE clause of a list: filter conditions with their arguments, and the keyset condition
/// that continues after the last item of the previous page. Lists are ordered by
/// `(sortKey, id)`, so that a cursor is that pair.
struct ListQuery {
    private var joins: [String] = []
    private var conditions: [String] = []
    private(set) var arguments: StatementArguments

    init(arguments: StatementArguments = []) {
        self.arguments = arguments
    }

    mutating func require(_ condition: String, _ values: any DatabaseValueConvertible...) {
        conditions.append(condition)
        arguments += StatementArguments(values)
    }

    /// A full-text search of `index` over the rows under `alias`: the index is joined, so that only
    /// its matches are read.
    mutating func search(_ index: SearchIndex, alias: String, _ match: String) {
        joins.append(index.join(alias))
        require(index.condition, match)
    }

    /// Rows after the page's cursor, if any.
    mutating func after(_ page: PageRequest, table: String) {
        if let after = page.after, after.count == 2 {
            require("(\(table).sortKey, \(table).id) > (?, ?)", after[0], after[1])
        }
    }

    /// The joins a search needs, then the WHERE clause: what follows `FROM table alias`.
    var filterClause: String {
        (joins.isEmpty ? "" : joins.joined(separator: " ") + " ")
            + (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
    }

    func orderAndLimit(_ page: PageRequest, table: String) -> String {
        "ORDER BY \(table).sortKey, \(table).id LIMIT \(page.limit + 1)"
    }
}
