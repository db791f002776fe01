/// Writes JSON text straight into bytes, for documents too large for `JSONEncoder` to be quick
/// (a national round's result: tens of thousands of explained members). The caller writes keys
/// in the order it wants them; the writer puts the commas and escapes the strings.
///
/// A long array can be written in parts by workers of their own: each writes its run of
/// elements into a writer made by `elements(capacity:)`, and `array(joining:)` puts the parts,
/// in order, into the document (`RunReport` runs them with `parallelMap`).
public struct JSONWriter: Sendable {
    @usableFromInline var buffer: [UInt8] = []
    /// Whether the container being written needs a comma before its next element.
    @usableFromInline var needsComma: [Bool] = []

    public init(capacity: Int = 1 << 16) {
        buffer.reserveCapacity(capacity)
    }

    /// A writer of a run of elements, comma-separated, without the brackets of their array.
    public static func elements(capacity: Int = 1 << 16) -> JSONWriter {
        var writer = JSONWriter(capacity: capacity)
        writer.needsComma = [false]
        return writer
    }

    public var bytes: [UInt8] { buffer }

    public var text: String { String(decoding: buffer, as: UTF8.self) }

    @inlinable
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        buffer.append(UInt8(ascii: "}"))
    }

    @inlinable
    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        buffer.append(UInt8(ascii: "["))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        buffer.append(UInt8(ascii: "]"))
    }

    /// An array of the elements the parts hold, in order (parts with none add nothing).
    public mutating func array(joining parts: [JSONWriter]) {
        separate()
        buffer.append(UInt8(ascii: "["))
        var first = true
        for part in parts where !part.buffer.isEmpty {
            if !first { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: part.buffer)
            first = false
        }
        buffer.append(UInt8(ascii: "]"))
    }

    /// A key of the object being written; the value written next is its value.
    @inlinable
    public mutating func key(_ key: String) {
        separate()
        appendString(key)
        buffer.append(UInt8(ascii: ":"))
        // The value follows without a comma.
        needsComma[needsComma.count - 1] = false
    }

    @inlinable
    public mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    @inlinable
    public mutating func number(_ value: Int) {
        separate()
        appendDigits(value)
    }

    /// A finite number in its shortest form; a value that is not finite is written as null.
    @inlinable
    public mutating func number(_ value: Double) {
        separate()
        if !value.isFinite {
            appendUTF8("null")
        } else if value == value.rounded() && abs(value) < 1e15 {
            appendDigits(Int(value))
        } else {
            appendUTF8(value.description)
        }
    }

    @inlinable
    public mutating func bool(_ value: Bool) {
        separate()
        appendUTF8(value ? "true" : "false")
    }

    @inlinable
    public mutating func strings(_ values: [String]) {
        array { writer in for value in values { writer.string(value) } }
    }

    /// Puts the comma before an element that follows another, and marks the container as
    /// having one.
    @inlinable
    mutating func separate() {
        guard let last = needsComma.indices.last else { return }
        if needsComma[last] { buffer.append(UInt8(ascii: ",")) }
        needsComma[last] = true
    }

    /// Text that needs no escape, copied whole.
    @inlinable
    mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// An integer's decimal digits, written without making a string of them.
    @inlinable
    mutating func appendDigits(_ value: Int) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // Twenty-four bytes hold the twenty digits of the largest magnitude.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    @inlinable
    mutating func appendString(_ value: String) {
        buffer.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Most strings (ids, keys, tags, words) need no escape: copied whole.
            var plain = true
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                plain = false
                break
            }
            if plain {
                buffer.append(contentsOf: utf8)
            } else {
                appendEscaped(utf8)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    @usableFromInline
    mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: buffer.append(byte)
            }
        }
    }
}

