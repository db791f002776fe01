import Hummingbird
import NIOCore
import Storage

/// The context every request carries: who is calling, and from where.
public struct KoblingContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are read by `RequestBody` with their own limit; this is Hummingbird's backstop.
    public var maxUploadSize: Int { RequestBody.limit }
}
