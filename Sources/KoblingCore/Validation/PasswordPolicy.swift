/// What a password must be. Length matters most (NIST SP 800-63B): at least 10 characters, at most
/// 72 bytes (bcrypt reads no further), not a well-known password, and not the email address.
public enum PasswordPolicy {
    public static let minimumLength = 10
    public static let maximumBytes = 72

    private static let common: Set<String> = [
        "password", "password1", "password12", "password123", "passw0rd", "1234567890", "12345678910",
        "qwertyuiop", "qwerty1234", "1q2w3e4r5t", "iloveyou12", "adgangskode", "kodeord123",
        "sommer2024", "sommer2025", "sommer2026", "vinter2025", "vinter2026", "letmein123",
        "welcome123", "velkommen1", "velkommen123", "administrator", "kobling123", "abcdefghij",
    ]

    /// Why the password is not good enough, or nil when it is.
    public static func problem(with password: String, email: String?) -> String? {
        if password.count < minimumLength {
            return "Use at least \(minimumLength) characters."
        }
        if password.utf8.count > maximumBytes {
            return "Use at most \(maximumBytes) bytes."
        }
        if Set(password).count < 4 {
            return "Use more different characters."
        }
        let lowered = password.lowercased()
        if common.contains(lowered) {
            return "This password is too common."
        }
        if let email, let local = EmailAddress(email)?.localPart, local.count >= 4, lowered.contains(local) {
            return "Do not use your email address in the password."
        }
        return nil
    }
}
