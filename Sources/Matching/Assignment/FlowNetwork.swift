/// A residual network in compressed adjacency form: each node's arcs are contiguous, and every
/// arc knows its reverse, so that pushing flow is two array writes.
struct FlowNetwork {
    let nodeCount: Int
    /// Arcs of node `v` are `first[v] ..< first[v + 1]`.
    private(set) var first: [Int32]
    private(set) var head: [Int32]
    private(set) var reverse: [Int32]
    var residual: [Int32]
    private(set) var cost: [Int64]

    struct Builder {
        var nodeCount: Int
        fileprivate var tails: [Int32] = []
        fileprivate var heads: [Int32] = []
        fileprivate var capacities: [Int32] = []
        fileprivate var costs: [Int64] = []

        init(nodeCount: Int) {
            self.nodeCount = nodeCount
        }

        /// Adds an arc; answers its id, whose flow is `original capacity - residual`.
        @discardableResult
        mutating func addArc(from tail: Int, to head: Int, capacity: Int, cost: Int64) -> Int {
            tails.append(Int32(tail))
            heads.append(Int32(head))
            capacities.append(Int32(clamping: capacity))
            costs.append(cost)
            return tails.count - 1
        }
    }

    /// Where each arc the builder added ended up.
    private(set) var position: [Int32]

    init(_ builder: Builder) {
        nodeCount = builder.nodeCount
        let arcCount = builder.tails.count
        var degree = [Int32](repeating: 0, count: nodeCount + 1)
        for index in 0..<arcCount {
            degree[Int(builder.tails[index])] += 1
            degree[Int(builder.heads[index])] += 1
        }
        first = [Int32](repeating: 0, count: nodeCount + 1)
        for node in 0..<nodeCount { first[node + 1] = first[node] + degree[node] }
        var next = Array(first.prefix(nodeCount))
        let total = 2 * arcCount
        head = [Int32](repeating: 0, count: total)
        reverse = [Int32](repeating: 0, count: total)
        residual = [Int32](repeating: 0, count: total)
        cost = [Int64](repeating: 0, count: total)
        position = [Int32](repeating: 0, count: arcCount)
        for index in 0..<arcCount {
            let tail = Int(builder.tails[index])
            let tip = Int(builder.heads[index])
            let forward = Int(next[tail])
            next[tail] += 1
            let backward = Int(next[tip])
            next[tip] += 1
            head[forward] = Int32(tip)
            head[backward] = Int32(tail)
            reverse[forward] = Int32(backward)
            reverse[backward] = Int32(forward)
            residual[forward] = builder.capacities[index]
            cost[forward] = builder.costs[index]
            cost[backward] = -builder.costs[index]
            position[index] = Int32(forward)
        }
    }

    func arcs(of node: Int) -> Range<Int> {
        Int(first[node])..<Int(first[node + 1])
    }

    /// The flow on an arc the builder added.
    func flow(onAdded index: Int, capacity: Int) -> Int {
        capacity - Int(residual[Int(position[index])])
    }
}
