import SyncKernel

extension SyncError {
    /// The exit code `sync-server` ends with (docs/operations.md).
    var exitCode: Int32 {
        switch code {
        case .invalidInput, .missingField, .rejected: 65
        case .notFound: 66
        case .replicaUnavailable: 69
        case .replicaExists: 73
        case .database, .busy: 74
        default: 70
        }
    }

    /// The one line `sync-server` prints on standard error, with what to type next.
    var commandLineMessage: String {
        switch code {
        case .notFound: "\(message): list them with 'sync-server office list'"
        case .replicaUnavailable: "\(message): pass another --db path"
        case .missingField where field == "quartier": "\(message): pass --quartier NAME (or '*')"
        default: message
        }
    }
}
