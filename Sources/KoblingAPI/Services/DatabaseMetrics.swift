import KoblingCore
import Prometheus
import Storage
import Synchronization

/// The database's connections in `/metrics`: how many each lane has, how many are in use, how
/// many requests wait for one, and how many were refused (503) because too many waited or one
/// waited too long. Read from the database when `/metrics` is scraped.
final class DatabaseMetrics: Sendable {
    private struct Lane: Sendable {
        let connections: Gauge
        let inUse: Gauge
        let waiting: Gauge
        let refusedFull: Counter
        let refusedLate: Counter
    }

    private let reads: Lane
    private let writes: Lane
    private let storageFaults: [StorageFault: Counter]
    /// The refusal counts last added to the counters, read and write.
    private let counted = Mutex<[Int]>([0, 0, 0, 0])
    private let faultsCounted = Mutex<[StorageFault: Int]>([:])

    init(registry: PrometheusCollectorRegistry) {
        func lane(_ name: String) -> Lane {
            let labels = [("lane", name)]
            let refusedHelp = "Requests answered 503 because too many waited for a database connection, or one waited too long."
            return Lane(
                connections: registry.makeGauge(
                    name: "kobling_database_connections", labels: labels, help: "Database connections the server reads or writes with, by lane."),
                inUse: registry.makeGauge(
                    name: "kobling_database_connections_in_use", labels: labels, help: "Database connections in use now, by lane."),
                waiting: registry.makeGauge(
                    name: "kobling_database_requests_waiting", labels: labels, help: "Requests waiting for a database connection now, by lane."),
                refusedFull: registry.makeCounter(
                    name: "kobling_database_requests_refused_total", labels: labels + [("reason", "queue_full")], help: refusedHelp),
                refusedLate: registry.makeCounter(
                    name: "kobling_database_requests_refused_total", labels: labels + [("reason", "waited_too_long")], help: refusedHelp))
        }
        reads = lane("read")
        writes = lane("write")
        storageFaults = Dictionary(uniqueKeysWithValues: StorageFault.allCases.map { fault in
            (fault, registry.makeCounter(
                name: "kobling_storage_faults_total", labels: [("fault", fault.rawValue)],
                help: "Database reads and writes that failed because the disk is full, the database read-only, or the disk failing (answered 503)."))
        })
    }

    /// Takes the database's figures now, before the registry is written out.
    func update(from load: AppDatabase.Load) {
        counted.withLock { counted in
            for (index, (lane, pool)) in [(reads, load.reads), (writes, load.writes)].enumerated() {
                lane.connections.set(Double(pool.threads))
                lane.inUse.set(Double(pool.busy))
                lane.waiting.set(Double(pool.waiting))
                lane.refusedFull.increment(by: Int64(pool.refusedFull - counted[2 * index]))
                lane.refusedLate.increment(by: Int64(pool.refusedLate - counted[2 * index + 1]))
                counted[2 * index] = pool.refusedFull
                counted[2 * index + 1] = pool.refusedLate
            }
        }
        faultsCounted.withLock { counted in
            for (fault, count) in load.storageFaults {
                storageFaults[fault]?.increment(by: Int64(count - counted[fault, default: 0]))
                counted[fault] = count
            }
        }
    }
}
