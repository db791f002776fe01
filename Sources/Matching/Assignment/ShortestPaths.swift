/// Successive shortest paths: Dijkstra on reduced costs from the source, then one augmentation
/// along the path found, for as long as the path's true cost is negative.
enum ShortestPaths {
    static func augmentWhileImproving(_ network: inout FlowNetwork, potential: inout [Int64], source: Int, sink: Int) {
        let count = network.nodeCount
        var distance = [Int64](repeating: .max, count: count)
        var parentArc = [Int32](repeating: -1, count: count)
        var settled = [Bool](repeating: false, count: count)
        var touched: [Int32] = []
        var heap = MinHeap()
        while true {
            for node in touched {
                distance[Int(node)] = .max
                parentArc[Int(node)] = -1
                settled[Int(node)] = false
            }
            touched.removeAll(keepingCapacity: true)
            heap.removeAll()
            distance[source] = 0
            touched.append(Int32(source))
            heap.push(0, source)
            var settledOrder: [Int32] = []
            while let (key, node) = heap.pop() {
                if settled[node] || key > distance[node] { continue }
                settled[node] = true
                settledOrder.append(Int32(node))
                if node == sink { break }
                let base = potential[node] + key
                for arc in network.arcs(of: node) where network.residual[arc] > 0 {
                    let target = Int(network.head[arc])
                    if settled[target] { continue }
                    let candidate = base + network.cost[arc] - potential[target]
                    if candidate < distance[target] {
                        if distance[target] == .max { touched.append(Int32(target)) }
                        distance[target] = candidate
                        parentArc[target] = Int32(arc)
                        heap.push(candidate, target)
                    }
                }
            }
            guard settled[sink] else { return }
            // Keep reduced costs non-negative: settled nodes move by their distance, all others by
            // the sink's, which is at least as far as any settled node.
            let reach = distance[sink]
            for node in 0..<count {
                potential[node] += settled[node] ? distance[node] : reach
            }
            // The path's true cost; a path that does not lower the cost means the optimum.
            guard potential[sink] - potential[source] < 0 else { return }
            var bottleneck = Int32.max
            var node = sink
            while node != source {
                let arc = Int(parentArc[node])
                bottleneck = min(bottleneck, network.residual[arc])
                node = Int(network.head[Int(network.reverse[arc])])
            }
            node = sink
            while node != source {
                let arc = Int(parentArc[node])
                network.push(bottleneck, along: arc)
                node = Int(network.head[Int(network.reverse[arc])])
            }
        }
    }
}

/// A binary min-heap of (key, node), keys first.
struct MinHeap {
    private var keys: [Int64] = []
    private var nodes: [Int32] = []

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        nodes.removeAll(keepingCapacity: true)
    }

    mutating func push(_ key: Int64, _ node: Int) {
        keys.append(key)
        nodes.append(Int32(node))
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if keys[parent] < keys[child] || (keys[parent] == keys[child] && nodes[parent] <= nodes[child]) { break }
            keys.swapAt(parent, child)
            nodes.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> (Int64, Int)? {
        guard let topKey = keys.first else { return nil }
        let topNode = Int(nodes[0])
        let lastKey = keys.removeLast()
        let lastNode = nodes.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey
            nodes[0] = lastNode
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < keys.count else { break }
                var smallest = left
                let right = left + 1
                if right < keys.count && (keys[right] < keys[left] || (keys[right] == keys[left] && nodes[right] < nodes[left])) {
                    smallest = right
                }
                if keys[parent] < keys[smallest] || (keys[parent] == keys[smallest] && nodes[parent] <= nodes[smallest]) { break }
                keys.swapAt(parent, smallest)
                nodes.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (topKey, topNode)
    }
}
