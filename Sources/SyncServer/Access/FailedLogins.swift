import Foundation

/// Slows down guessing: an address whose requests failed authentication `limit` times within
/// `window` is answered 429 (with `Retry-After`) until the window has passed, without the
/// store being asked. Successful requests are never slowed down.
///
/// Kept in memory: a restart forgets it, which is harmless (the limit only slows guessing; a
/// token has 256 random bits). At most `capacity` addresses are remembered.
actor FailedLogins {
    let limit: Int
    let window: TimeInterval
    let capacity = 10_000
    private var failures: [String: (count: Int, since: Date)] = [:]

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Seconds `address` must wait before it may try again, or nil.
    func wait(for address: String, now: Date = Date()) -> Int? {
        guard limit > 0, let entry = failures[address] else { return nil }
        let elapsed = now.timeIntervalSince(entry.since)
        if elapsed >= window {
            failures[address] = nil
            return nil
        }
        return entry.count >= limit ? max(1, Int((window - elapsed).rounded(.up))) : nil
    }

    /// Notes a failed authentication from `address`.
    func failed(_ address: String, now: Date = Date()) {
        guard limit > 0 else { return }
        if failures.count >= capacity { failures = failures.filter { now.timeIntervalSince($0.value.since) < window } }
        if let entry = failures[address], now.timeIntervalSince(entry.since) < window {
            failures[address] = (entry.count + 1, entry.since)
        } else if failures.count < capacity {
            failures[address] = (1, now)
        }
    }
}
