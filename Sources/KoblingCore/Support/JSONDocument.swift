import Foundation

/// How a resource is rendered as JSON, once, when it is written: sorted keys, slashes as they
/// are. Reads then copy the stored bytes instead of encoding (see `AppDatabase.documentPage`).
public enum JSONDocument {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` as JSON text. The resources rendered are plain strings, numbers and arrays, whose
    /// encoding cannot fail.
    public static func render(_ value: some Encodable) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
