import CCurl
import Foundation
import Mail

#if canImport(Glibc)
import Glibc
#endif

/// One connection to the SMTP server, kept open for message after message.
///
/// libcurl opens it: TCP, TLS from the first byte or STARTTLS (refused when `tls=required` finds
/// none), the greeting, EHLO and AUTH, with its certificate checks and timeouts. The mail
/// transactions then go over libcurl's connection (`curl_easy_send`/`curl_easy_recv`, without
/// waiting) as `SMTPSession` writes them, because libcurl's own SMTP transfer waits for each
/// reply before the next command: four round trips a message, where pipelining needs one.
///
/// Not thread-safe: one caller at a time, which `SMTPStream` guarantees.
final class SMTPConnection: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let conversation = Conversation()
    let configuration: SMTPConfiguration
    private(set) var capabilities = SMTPCapabilities()
    private(set) var socket: curl_socket_t = -1
    private var reader = SMTPReplyReader()
    private var receiveBuffer = [UInt8](repeating: 0, count: 16 * 1024)
    /// False once the connection cannot be trusted with another message: it was lost, timed out,
    /// said something out of turn, or was left in the middle of a message.
    private(set) var isUsable = true

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    init(configuration: SMTPConfiguration) throws {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else {
            throw MailDeliveryError(kind: .setup, stage: .connection, detail: "libcurl could not start a session")
        }
        self.handle = handle
        self.configuration = configuration
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try connect()
    }

    deinit {
        // A connection left mid-message is shut at once: libcurl says QUIT on cleanup and would
        // wait for an answer that does not come. A healthy one gets its QUIT and 221.
        if !isUsable && socket >= 0 { shutdown(socket, Int32(SHUT_RDWR)) }
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func connect() throws {
        var url = configuration.url
        if let helo = configuration.heloName { url += "/\(helo)" }
        try check(kobling_curl_setopt_string(handle, CURLOPT_URL, url))
        try check(kobling_curl_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1))
        try check(kobling_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        switch configuration.tls {
        case .required: try check(kobling_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)))
        case .opportunistic: try check(kobling_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue)))
        case .none, .implicit: break
        }
        if let authorities = configuration.certificateAuthorities {
            try check(kobling_curl_setopt_string(handle, CURLOPT_CAINFO, authorities))
        }
        if let username = configuration.username {
            try check(kobling_curl_setopt_string(handle, CURLOPT_USERNAME, username))
            try check(kobling_curl_setopt_string(handle, CURLOPT_PASSWORD, configuration.password ?? ""))
        }
        try check(kobling_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.timeout))
        try check(kobling_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, configuration.timeout))
        try check(kobling_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        // The debug hook sees the greeting, EHLO, STARTTLS and AUTH: what the server offers, and
        // what it said when something fails.
        try check(kobling_curl_setopt_long(handle, CURLOPT_VERBOSE, 1))
        try check(kobling_curl_setopt_debug_function(handle, recordConversation))
        try check(kobling_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(conversation).toOpaque()))
        let result = curl_easy_perform(handle)
        guard result == CURLE_OK else { throw classifyConnectFailure(result) }
        try check(kobling_curl_setopt_long(handle, CURLOPT_VERBOSE, 0))
        try check(kobling_curl_getinfo_socket(handle, &socket))
        capabilities = SMTPCapabilities(ehlo: conversation.ehlo)
        // From here libcurl only says QUIT on cleanup; a silent server should not hold that up.
        try check(kobling_curl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, 2))
    }

    /// Whether the server has closed the connection, or said something unasked (a 421 before it
    /// closes), while it sat idle. Checked before reusing it, when nothing of a message is sent yet.
    var isStale: Bool {
        guard isUsable else { return true }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        var received = 0
        let result = receiveBuffer.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress, $0.count, &received) }
        // A TLS record with nothing for the application (a session ticket) leaves it usable.
        if result == CURLE_AGAIN { return false }
        isUsable = false
        return true
    }

    /// Writes what it can of `bytes` without waiting; answers how many went out (0 when the
    /// socket's buffer is full: wait for `POLLOUT`).
    func write(_ bytes: UnsafeRawBufferPointer) throws(Lost) -> Int {
        var sent = 0
        let result = curl_easy_send(handle, bytes.baseAddress, bytes.count, &sent)
        if result == CURLE_AGAIN { return 0 }
        guard result == CURLE_OK else { throw lost(String(cString: curl_easy_strerror(result))) }
        return sent
    }

    /// What one look at the socket found: the replies that arrived, and, when the connection
    /// ended after them, how. The replies count even then: a server that closes right after its
    /// 250 has taken the message.
    struct Received {
        var replies: [SMTPReply] = []
        var lost: Lost?
    }

    /// The replies that have arrived, read without waiting (none when nothing came yet).
    func receive() -> Received {
        var received = Received()
        while true {
            var count = 0
            let result = receiveBuffer.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress, $0.count, &count) }
            if result == CURLE_AGAIN { break }
            guard result == CURLE_OK, count > 0 else {
                received.lost = lost(result == CURLE_OK ? "the server closed the connection" : String(cString: curl_easy_strerror(result)))
                break
            }
            receiveBuffer.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            do {
                while let reply = try reader.next() { received.replies.append(reply) }
            } catch {
                received.lost = lost("\(error)")
                break
            }
        }
        return received
    }

    /// The connection is not to be used again: shut at once when released, without QUIT.
    func abandon() {
        isUsable = false
    }

    /// The connection failed: what went wrong.
    struct Lost: Error, CustomStringConvertible {
        let description: String
    }

    private func lost(_ detail: String) -> Lost {
        isUsable = false
        return Lost(description: detail)
    }

    private func classifyConnectFailure(_ result: CURLcode) -> MailDeliveryError {
        isUsable = false
        var code = 0
        _ = kobling_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        let curlMessage = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
        // The reply that carried the failure, not the goodbye after it.
        let reply = conversation.replies.last { $0.hasPrefix("\(code)") } ?? conversation.replies.last
        let detail = [reply, curlMessage].compactMap { $0 }.joined(separator: " — ")
        let stage = conversation.stage
        switch result {
        case CURLE_USE_SSL_FAILED:
            return MailDeliveryError(kind: .setup, stage: .tls, code: nil,
                                     detail: "the server does not offer STARTTLS, which tls=required demands (\(detail))")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return MailDeliveryError(kind: .setup, stage: .tls, code: nil, detail: detail)
        case CURLE_LOGIN_DENIED:
            return MailDeliveryError(kind: .setup, stage: .authentication, code: code == 0 ? nil : code, detail: detail)
        default:
            break
        }
        switch code {
        case 500..<600 where stage == .authentication:
            return MailDeliveryError(kind: .setup, stage: stage, code: code, detail: detail)
        case 500..<600:
            return MailDeliveryError(kind: .permanent, stage: stage, code: code, detail: detail)
        case 400..<500:
            return MailDeliveryError(kind: .transient, stage: stage, code: code, detail: detail)
        default:
            return MailDeliveryError(kind: .transient, stage: .connection, code: nil, detail: detail)
        }
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw MailDeliveryError(kind: .setup, stage: .connection, detail: "libcurl refused an option: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// What the server said while libcurl opened the connection, and how far it got.
private final class Conversation {
    var replies: [String] = []
    var stage: MailDeliveryError.Stage = .connection
    /// The lines of the latest EHLO reply, without their codes.
    var ehlo: [String] = []
    private var readingEHLO = false

    func received(_ line: String) {
        replies.append(line)
        if readingEHLO && line.hasPrefix("250") { ehlo.append(String(line.dropFirst(4))) }
    }

    func sent(_ command: String) {
        let verb = String(command.prefix { $0 != " " && $0 != ":" }.prefix(8)).uppercased()
        readingEHLO = verb == "EHLO"
        if readingEHLO { ehlo = [] }
        switch verb {
        case "STARTTLS": stage = .tls
        case "AUTH": stage = .authentication
        default: break
        }
    }
}

private let recordConversation: kobling_curl_debug_callback = { _, type, data, size, context in
    guard let data, let context, type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT else { return 0 }
    let conversation = Unmanaged<Conversation>.fromOpaque(context).takeUnretainedValue()
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    for line in text.split(whereSeparator: \.isNewline) where !line.isEmpty {
        if type == CURLINFO_HEADER_IN { conversation.received(String(line)) } else { conversation.sent(String(line)) }
    }
    return 0
}
