import AsyncHTTPClient

/// One office flooding a server with big pulls, as a hand-written attacker would: `connections`
/// at once, each asking `requests` times for a page of 5,000 from the start of the feed, taking
/// no 429 for an answer and no gzip to unpack.
public enum PullFlood {
    /// Runs the flood against `url` with `token`; how often each status was answered (0: the
    /// request failed). The HTTP client is shut down whatever happens (one left running traps
    /// in its deinit).
    public static func run(url: String, token: String, connections: Int = 16, requests: Int = 15) async -> [UInt: Int] {
        var configuration = HTTPClient.Configuration()
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let total = await withTaskGroup(of: [UInt: Int].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var statuses: [UInt: Int] = [:]
                    for _ in 0..<requests {
                        var request = HTTPClientRequest(url: url + "/v2/pull?since=0&limit=5000")
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        do {
                            let response = try await client.execute(request, timeout: .seconds(120))
                            _ = try await response.body.collect(upTo: 512 << 20)
                            statuses[response.status.code, default: 0] += 1
                        } catch {
                            statuses[0, default: 0] += 1
                        }
                    }
                    return statuses
                }
            }
            var total: [UInt: Int] = [:]
            for await statuses in group { total.merge(statuses, uniquingKeysWith: +) }
            return total
        }
        try? await client.shutdown()
        return total
    }
}
