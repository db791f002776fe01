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
/// transactions then go over libcurl's connection (`curl_easy_send`/`curl_easy_recv`) as Kobling
/// writes them, because libcurl's own SMTP transfer waits for each reply before the next command:
/// four round trips a message. When the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA
/// go out together, so a message costs two round trips.
///
/// Not thread-safe: one caller at a time, which `SMTPTransport`'s pool and the lanes guarantee.
final class SMTPConnection: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let conversation = Conversation()
    let configuration: SMTPConfiguration
    private(set) var capabilities = SMTPCapabilities()
    private var socket: curl_socket_t = -1
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

    /// Sends one message to the given envelope recipients (never put in a header by this call),
    /// and answers the server's final reply.
    func send(from sender: String, to recipients: [String], data: [UInt8]) throws -> String {
        let block = SMTPCommands.dataBlock(data)
        let commands = [SMTPCommands.mail(from: sender, size: capabilities.size.map { _ in block.count })]
            + recipients.map(SMTPCommands.recipient) + [SMTPCommands.data]
        var replies: [SMTPReply] = []
        if capabilities.pipelining {
            try write(Array(commands.joined().utf8), stage: .sender)
            for index in commands.indices { replies.append(try readReply(stage: Self.stage(of: index, recipients.count))) }
        } else {
            for (index, command) in commands.enumerated() {
                try write(Array(command.utf8), stage: Self.stage(of: index, recipients.count))
                let reply = try readReply(stage: Self.stage(of: index, recipients.count))
                replies.append(reply)
                if !reply.isPositive { break }
            }
        }
        for (index, reply) in replies.enumerated() {
            let stage = Self.stage(of: index, recipients.count)
            let expected = stage == .data ? 354 : 250
            guard reply.code / 100 != expected / 100 else { continue }
            abandon(after: replies, dataAccepted: replies.count == commands.count && replies.last?.code == 354)
            throw refusal(reply, at: stage)
        }
        try write(block, stage: .data)
        let final = try readReply(stage: .data)
        guard final.code / 100 == 2 else { throw refusal(final, at: .data) }
        return final.text
    }

    private static func stage(of index: Int, _ recipients: Int) -> MailDeliveryError.Stage {
        index == 0 ? .sender : index <= recipients ? .recipient : .data
    }

    /// Ends a refused transaction so that the connection can carry the next: RSET, or, if the
    /// server took DATA anyway, closing (a dot would send an empty message to whom it took).
    private func abandon(after replies: [SMTPReply], dataAccepted: Bool) {
        guard isUsable else { return }
        guard !dataAccepted else {
            isUsable = false
            return
        }
        do {
            try write(Array(SMTPCommands.reset.utf8), stage: .connection)
            if try readReply(stage: .connection).code != 250 { isUsable = false }
        } catch {
            isUsable = false
        }
    }

    private func refusal(_ reply: SMTPReply, at stage: MailDeliveryError.Stage) -> MailDeliveryError {
        // 421: the server is closing the connection.
        if reply.code == 421 { isUsable = false }
        let kind: MailDeliveryError.Kind = reply.code >= 500 ? .permanent : .transient
        return MailDeliveryError(kind: kind, stage: stage, code: reply.code, detail: reply.text)
    }

    private func write(_ bytes: [UInt8], stage: MailDeliveryError.Stage) throws {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let result = bytes.withUnsafeBytes { curl_easy_send(handle, $0.baseAddress! + offset, $0.count - offset, &sent) }
            if result == CURLE_AGAIN {
                try wait(for: POLLOUT, stage: stage)
                continue
            }
            guard result == CURLE_OK else { throw lost(stage, String(cString: curl_easy_strerror(result))) }
            offset += sent
        }
    }

    private func readReply(stage: MailDeliveryError.Stage) throws -> SMTPReply {
        while true {
            do {
                if let reply = try reader.next() { return reply }
            } catch {
                throw lost(stage, "\(error)")
            }
            var received = 0
            let result = receiveBuffer.withUnsafeMutableBytes { curl_easy_recv(handle, $0.baseAddress, $0.count, &received) }
            if result == CURLE_AGAIN {
                try wait(for: POLLIN, stage: stage)
                continue
            }
            guard result == CURLE_OK, received > 0 else {
                throw lost(stage, result == CURLE_OK ? "the server closed the connection" : String(cString: curl_easy_strerror(result)))
            }
            receiveBuffer.withUnsafeBytes { reader.append(UnsafeRawBufferPointer(rebasing: $0.prefix(received))) }
        }
    }

    private func wait(for event: Int32, stage: MailDeliveryError.Stage) throws {
        var descriptor = pollfd(fd: socket, events: Int16(event), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, Int32(configuration.timeout * 1000))
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            throw lost(stage, ready == 0 ? "the server did not answer within \(configuration.timeout) s" : String(cString: strerror(errno)))
        }
    }

    /// The connection failed under a message: try again later, on a new connection.
    private func lost(_ stage: MailDeliveryError.Stage, _ detail: String) -> MailDeliveryError {
        isUsable = false
        return MailDeliveryError(kind: .transient, stage: stage == .data ? .data : .connection, detail: detail)
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
