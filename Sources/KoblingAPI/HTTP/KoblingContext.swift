import Hummingbird
import NIOCore
import KoblingCore
import Storage

/// The context every request carries: who is calling, and from where.
public struct KoblingContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    private let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The client's IP address; read only where needed (log-in throttling), since it costs a lock
    /// and a formatted string.
    public var remoteAddress: String? {
        channel.remoteAddress?.ipAddress
    }

    /// The caller, where the route's access already guarantees one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw KoblingError.unauthenticated() }
        return caller
    }

    /// Bodies are read by `RequestBody` with their own limit; this is Hummingbird's backstop.
    public var maxUploadSize: Int { RequestBody.limit }
}
