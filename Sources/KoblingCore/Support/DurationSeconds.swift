extension Duration {
    /// The duration in seconds, as `Thread.sleep` and `poll` timeouts take it.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
