import SyncKernel

extension SyncError {
    /// The exit code `syncctl` ends with (the table in `syncctl --help` and docs/operations.md).
    var exitCode: Int32 {
        switch code {
        case .invalidInput, .missingField, .importRejected, .rejected, .emptyChange, .alreadyErased: 65
        case .notFound: 66
        case .replicaUnavailable: 69
        case .corruptData: 70
        case .replicaExists: 73
        case .database, .busy, .storage: 74
        case .serverUnreachable: 75
        case .serverError: 76
        case .unauthorized: 77
        case .notConfigured: 78
        case .syncInProgress: 79
        default: 70
        }
    }

    /// What to type next, in `syncctl`'s words; nil where the message says it all.
    var hint: String? {
        switch code {
        case .replicaUnavailable:
            return "create one with 'syncctl init --office NAME', or pass --replica PATH"
        case .replicaExists:
            return "use it, or choose another path with --replica"
        case .notFound where field == "conflict":
            return
                "see the open ones with 'syncctl conflicts list' and the settled ones with 'syncctl conflicts history'"
        case .invalidInput where field == "decision":
            return
                "for a field use --take OFFICE, --take-shown or --set FIELD=VALUE; for a delete against an edit --keep or --delete"
        case .notFound where field == "organiser_id":
            return "find the contact's id with 'syncctl contact list'"
        case .notFound:
            return "list them with 'syncctl contact list' or 'syncctl activity list'"
        case .invalidInput where field == "allow-insecure":
            return "https:// with --ca-file FILE for a private certificate authority, or --allow-insecure"
        case .emptyChange:
            return "pass at least one field, e.g. --notes TEXT"
        case .missingField where line == nil, .invalidInput where field == "office":
            return field.map { "pass --\($0.replacingOccurrences(of: "_", with: "-")) VALUE" }
        case .notConfigured:
            return "run 'syncctl remote set --server URL --token-file FILE' first"
        case .unauthorized where field == "token":
            return "then run 'syncctl remote set --token-file FILE'"
        case .unauthorized where field == "admin-token":
            return "check --token-file, or run 'sync-server admin add NAME' on the server"
        case .unauthorized where field == "replica":
            return nil
        case .serverUnreachable where field == "ca-file":
            return "give the certificate authority's file with --ca-file FILE"
        case .serverUnreachable where field == "tls":
            return "the server needs 'sync-server serve --tls-cert FILE --tls-key FILE' for https://"
        case .unauthorized:
            return "then run 'syncctl remote set --server URL --token-file FILE'"
        case .syncInProgress:
            return "see 'syncctl log'"
        default:
            return nil
        }
    }

    /// The one line `syncctl` prints on standard error.
    var commandLineMessage: String {
        hint.map { "\(message): \($0)" } ?? message
    }
}
