import SyncKernel

/// One erasure order as `GET /v2/admin/erasures` answers it: the order, the offices that
/// confirmed carrying it out and those still outstanding. Holds no personal data.
public struct ErasureStatus: Sendable, Codable, Equatable {
    /// An office that confirmed, and when (ISO 8601, UTC).
    public struct Confirmation: Sendable, Codable, Equatable {
        /// The office.
        public var office: String
        /// When the server noted it.
        public var at: String

        /// Creates a confirmation.
        public init(office: String, at: String) {
            self.office = office
            self.at = at
        }
    }

    /// An office that holds or may hold the record and has not confirmed, since when.
    public struct Outstanding: Sendable, Codable, Equatable {
        /// The office.
        public var office: String
        /// Since when it owes the confirmation: the order's time, or the office's registration
        /// when that came later (ISO 8601, UTC).
        public var since: String
        /// When the office last synced, if ever.
        public var lastSeen: String?

        /// Creates an outstanding office.
        public init(office: String, since: String, lastSeen: String?) {
            self.office = office
            self.since = since
            self.lastSeen = lastSeen
        }
    }

    /// The order.
    public var order: ErasureOrder
    /// The offices that confirmed, by name.
    public var confirmed: [Confirmation]
    /// The offices still outstanding, by name.
    public var outstanding: [Outstanding]

    /// Creates a status.
    public init(order: ErasureOrder, confirmed: [Confirmation], outstanding: [Outstanding]) {
        self.order = order
        self.confirmed = confirmed
        self.outstanding = outstanding
    }
}

/// What `POST /v2/admin/erasures` asks: erase one record everywhere.
public struct EraseRequest: Sendable, Codable, Equatable {
    /// The record's table (`contacts` when absent).
    public var table: SyncTable?
    /// The record's id.
    public var id: String
    /// Why: the request's reference, never the person's name.
    public var reason: String

    /// Creates a request.
    public init(table: SyncTable? = nil, id: String, reason: String) {
        self.table = table
        self.id = id
        self.reason = reason
    }
}

/// What `GET /v2/admin/retention` answers: the rules (nil: none set) and what they make due.
public struct RetentionReport: Sendable, Codable, Equatable {
    /// The rules in force.
    public var rules: RetentionRules?
    /// The records due for erasure now.
    public var due: [RetentionRules.Due]

    /// Creates a report.
    public init(rules: RetentionRules?, due: [RetentionRules.Due]) {
        self.rules = rules
        self.due = due
    }
}

/// What `POST /v2/admin/retention/apply` asks: the reason every erasure order carries.
public struct RetentionApply: Sendable, Codable, Equatable {
    /// The reason (a decision's reference).
    public var reason: String

    /// Creates a request.
    public init(reason: String) { self.reason = reason }
}

/// What `POST /v2/admin/subjects/report` asks: whom the report is about. In the body, not the
/// address, so that no address or number lands in an access log.
public struct SubjectQuery: Sendable, Codable, Equatable {
    /// A contact id.
    public var id: String?
    /// An e-mail address (compared without case).
    public var email: String?
    /// A phone number (compared by its digits).
    public var phone: String?

    /// Creates a query.
    public init(id: String? = nil, email: String? = nil, phone: String? = nil) {
        self.id = id
        self.email = email
        self.phone = phone
    }
}
