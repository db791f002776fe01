import CCurl
import Foundation
import Mail

/// One libcurl easy handle talking to the SMTP server. The handle keeps its connection open, so
/// that the next message on it skips the greeting, STARTTLS and AUTH. Not thread-safe: one caller
/// at a time, which `SMTPTransport`'s pool guarantees.
final class SMTPConnection: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    let configuration: SMTPConfiguration

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
        var url = configuration.url
        if let helo = configuration.heloName { url += "/\(helo)" }
        try check(kobling_curl_setopt_string(handle, CURLOPT_URL, url))
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
        // A whole message may take this long; a stalled server is given up on sooner below.
        try check(kobling_curl_setopt_long(handle, CURLOPT_TIMEOUT, configuration.timeout * 4))
        try check(kobling_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1))
        try check(kobling_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, configuration.timeout))
        try check(kobling_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        try check(kobling_curl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        try check(kobling_curl_setopt_read_function(handle, readBody))
        // The debug hook sees every command and reply: the only way to learn what the server said.
        try check(kobling_curl_setopt_long(handle, CURLOPT_VERBOSE, 1))
        try check(kobling_curl_setopt_debug_function(handle, recordConversation))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends one message to the given envelope recipients (never put in a header by this call).
    /// Answers the server's final reply.
    func send(from sender: String, to recipients: [String], data: [UInt8]) throws -> String {
        let transfer = Transfer(body: data)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for recipient in recipients { list = curl_slist_append(list, "<\(recipient)>") }
        try check(kobling_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(sender)>"))
        try check(kobling_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, list))
        try check(kobling_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(data.count)))
        try check(kobling_curl_setopt_pointer(handle, CURLOPT_READDATA, context))
        try check(kobling_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, context))
        errorBuffer[0] = 0
        let result = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        var code = 0
        _ = kobling_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        if result == CURLE_OK { return transfer.replies.last ?? "\(code)" }
        throw classify(result, code: code, transfer: transfer)
    }

    private func classify(_ result: CURLcode, code: Int, transfer: Transfer) -> MailDeliveryError {
        let curlMessage = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(result))
        // The reply that carried the failure, not the goodbye after it.
        let reply = transfer.replies.last { $0.hasPrefix("\(code)") } ?? transfer.replies.last
        let detail = [reply, curlMessage].compactMap { $0 }.joined(separator: " — ")
        let stage = transfer.stage
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
        case 500..<600:
            if stage == .authentication { return MailDeliveryError(kind: .setup, stage: stage, code: code, detail: detail) }
            return MailDeliveryError(kind: .permanent, stage: stage, code: code, detail: detail)
        case 400..<500:
            return MailDeliveryError(kind: .transient, stage: stage, code: code, detail: detail)
        default:
            return MailDeliveryError(kind: .transient, stage: stage == .data ? .data : .connection, code: nil, detail: detail)
        }
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw MailDeliveryError(kind: .setup, stage: .connection, detail: "libcurl refused an option: \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

/// One message on its way: the bytes still to send, and the conversation so far.
private final class Transfer {
    let body: [UInt8]
    var offset = 0
    var replies: [String] = []
    var stage: MailDeliveryError.Stage = .connection

    init(body: [UInt8]) { self.body = body }
}

private let readBody: kobling_curl_read_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let room = size * count
    let remaining = transfer.body.count - transfer.offset
    let amount = min(room, remaining)
    guard amount > 0 else { return 0 }
    transfer.body.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + transfer.offset, byteCount: amount)
    }
    transfer.offset += amount
    return amount
}

private let recordConversation: kobling_curl_debug_callback = { _, type, data, size, context in
    // Only commands and replies matter; the message body passes by as data and is not read.
    guard let data, let context, type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    // Lines end in CRLF; only the text before it matters.
    var bytes = UnsafeRawBufferPointer(start: data, count: size)
    while let last = bytes.last, last == 10 || last == 13 || last == 32 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
    guard !bytes.isEmpty else { return 0 }
    if type == CURLINFO_HEADER_IN {
        transfer.replies.append(String(decoding: bytes, as: UTF8.self))
        return 0
    }
    let verb = String(decoding: bytes.prefix { $0 != 32 && $0 != 58 }.prefix(8), as: UTF8.self).uppercased()
    switch verb {
    case "STARTTLS": transfer.stage = .tls
    case "AUTH": transfer.stage = .authentication
    case "MAIL": transfer.stage = .sender
    case "RCPT": transfer.stage = .recipient
    case "DATA": transfer.stage = .data
    default: break
    }
    return 0
}
