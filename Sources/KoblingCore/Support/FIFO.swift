/// A first-in, first-out queue: an array read from a moving head and compacted once the head has
/// passed half of it, so that taking from the front costs O(1) amortised (`Array.removeFirst`
/// moves every element). A taken element is released at once.
public struct FIFO<Element> {
    private var slots: [Element?] = []
    private var head = 0

    public init() {}

    public var count: Int { slots.count - head }
    public var isEmpty: Bool { head == slots.count }
    public var first: Element? { isEmpty ? nil : slots[head] }
    /// The elements, oldest first.
    public var elements: [Element] { slots[head...].map { $0! } }

    public mutating func append(_ element: Element) {
        slots.append(element)
    }

    public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { slots.append(element) }
    }

    public mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = slots[head]
        slots[head] = nil
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256 && head * 2 >= slots.count {
            slots.removeFirst(head)
            head = 0
        }
        return element
    }

    public mutating func removeAll() {
        slots.removeAll(keepingCapacity: true)
        head = 0
    }
}

extension FIFO: Sendable where Element: Sendable {}
