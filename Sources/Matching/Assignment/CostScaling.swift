/// Minimum-cost circulation by cost scaling with push-relabel (Goldberg and Tarjan): prices make
/// the circulation ε-optimal for a shrinking ε; once ε is below 1/n of a cost unit the
/// circulation is optimal. Costs are multiplied by n + 1 so that everything stays integral.
enum CostScaling {
    /// Turns `network` into a minimum-cost circulation; arcs' residuals carry the result.
    static func minimumCostCirculation(_ network: inout FlowNetwork, scalingFactor alpha: Int64 = 5) {
        let nodeCount = network.nodeCount
        guard nodeCount > 0 else { return }
        let multiplier = Int64(nodeCount + 1)
        let cost = network.cost.map { $0 * multiplier }
        var price = [Int64](repeating: 0, count: nodeCount)
        var excess = [Int64](repeating: 0, count: nodeCount)
        var current = [Int32](repeating: 0, count: nodeCount)
        var queued = [Bool](repeating: false, count: nodeCount)
        var queue = RingQueue(capacity: nodeCount)
        let first = network.first
        let head = network.head
        let reverse = network.reverse

        var epsilon = max(1, cost.map { abs($0) }.max() ?? 1)
        repeat {
            epsilon = max(1, epsilon / alpha)
            // Refine: saturate every residual arc that the prices make negative, then push the
            // resulting excesses along admissible arcs until none is left.
            for node in 0..<nodeCount {
                for arc in Int(first[node])..<Int(first[node + 1]) where network.residual[arc] > 0 {
                    let target = Int(head[arc])
                    if cost[arc] + price[node] - price[target] < 0 {
                        let amount = network.residual[arc]
                        network.residual[arc] = 0
                        network.residual[Int(reverse[arc])] += amount
                        excess[node] -= Int64(amount)
                        excess[target] += Int64(amount)
                    }
                }
            }
            for node in 0..<nodeCount {
                current[node] = first[node]
                if excess[node] > 0 {
                    queue.push(Int32(node))
                    queued[node] = true
                }
            }
            // Lowers a node's price just enough to make its best residual arc admissible.
            func relabel(_ node: Int) {
                var best = Int64.min
                for candidate in Int(first[node])..<Int(first[node + 1]) where network.residual[candidate] > 0 {
                    best = max(best, price[Int(head[candidate])] - cost[candidate])
                }
                // A node with no residual arc keeps its price: it can only receive.
                if best != Int64.min { price[node] = best - epsilon }
                current[node] = first[node]
            }
            func hasAdmissibleArc(_ node: Int) -> Bool {
                let nodePrice = price[node]
                var arc = Int(current[node])
                let end = Int(first[node + 1])
                while arc < end {
                    if network.residual[arc] > 0 && cost[arc] + nodePrice - price[Int(head[arc])] < 0 {
                        current[node] = Int32(arc)
                        return true
                    }
                    arc += 1
                }
                current[node] = Int32(end)
                return false
            }
            while let next = queue.pop() {
                let node = Int(next)
                queued[node] = false
                // Discharge: push along admissible arcs, relabelling when none is left.
                while excess[node] > 0 {
                    let end = Int(first[node + 1])
                    var arc = Int(current[node])
                    let nodePrice = price[node]
                    while arc < end {
                        if network.residual[arc] > 0 {
                            let target = Int(head[arc])
                            // Look ahead: a target with nowhere to send flow on is relabelled
                            // first, which may make this arc inadmissible and save a push back.
                            if cost[arc] + nodePrice - price[target] < 0, excess[target] >= 0,
                                !hasAdmissibleArc(target)
                            {
                                relabel(target)
                            }
                            if cost[arc] + nodePrice - price[target] < 0 {
                                let amount = Int32(min(Int64(network.residual[arc]), excess[node]))
                                network.residual[arc] -= amount
                                network.residual[Int(reverse[arc])] += amount
                                excess[node] -= Int64(amount)
                                excess[target] += Int64(amount)
                                if excess[target] > 0 && !queued[target] {
                                    queue.push(Int32(target))
                                    queued[target] = true
                                }
                                if excess[node] == 0 { break }
                            }
                        }
                        arc += 1
                    }
                    current[node] = Int32(arc)
                    if excess[node] > 0 { relabel(node) }
                }
            }
        } while epsilon > 1
    }
}

/// A fixed-capacity FIFO of node numbers; each node is in it at most once.
struct RingQueue {
    private var storage: [Int32]
    private var start = 0
    private var count = 0

    init(capacity: Int) {
        storage = [Int32](repeating: 0, count: max(1, capacity))
    }

    mutating func push(_ value: Int32) {
        storage[(start + count) % storage.count] = value
        count += 1
    }

    mutating func pop() -> Int32? {
        guard count > 0 else { return nil }
        let value = storage[start]
        start = (start + 1) % storage.count
        count -= 1
        return value
    }
}
