import Foundation

/// Shares the server fairly between offices: one office's token (a flood from a stolen laptop,
/// a script gone wrong, many laptops at once) may keep at most `concurrent` requests running
/// and start at most `perMinute` a minute (a bucket of that size, refilled evenly). A request
/// beyond either is answered 429 `slow-down` with `Retry-After`, before it does any work;
/// `syncctl` waits that long and asks again. Other offices are not touched.
///
/// Kept in memory, per server process: a restart forgets it, which only lets an office start
/// afresh. At most `capacity` offices are remembered (idle ones are forgotten first).
actor OfficeAllowance {
    /// Requests one office may have running at once; 0: no limit.
    let concurrent: Int
    /// Requests one office may start per minute; 0: no limit.
    let perMinute: Int
    let capacity = 100_000
    private var running: [String: Int] = [:]
    private var buckets: [String: (tokens: Double, at: Date)] = [:]

    init(concurrent: Int, perMinute: Int) {
        self.concurrent = concurrent
        self.perMinute = perMinute
    }

    /// Admits a request of `office` (counted as running until ``finished(_:)``), or answers
    /// how many seconds it should wait before asking again.
    func admit(_ office: String, now: Date = Date()) -> Int? {
        if concurrent > 0, running[office, default: 0] >= concurrent { return 1 }
        if perMinute > 0 {
            let rate = Double(perMinute) / 60
            var bucket = buckets[office] ?? (Double(perMinute), now)
            bucket.tokens = min(Double(perMinute), bucket.tokens + max(0, now.timeIntervalSince(bucket.at)) * rate)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[office] = bucket
                return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= 1
            if buckets.count >= capacity { forgetFull(now) }
            buckets[office] = bucket
        }
        if concurrent > 0 { running[office, default: 0] += 1 }
        return nil
    }

    /// Notes that an admitted request of `office` ended.
    func finished(_ office: String) {
        guard concurrent > 0, let count = running[office] else { return }
        running[office] = count > 1 ? count - 1 : nil
    }

    /// Forgets offices whose bucket has refilled: they would start full anyway.
    private func forgetFull(_ now: Date) {
        let rate = Double(perMinute) / 60
        buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.at) * rate < Double(perMinute) }
    }
}
