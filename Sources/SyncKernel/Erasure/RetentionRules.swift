import Foundation

/// A Träger's retention deadlines (Löschfristen), per table: which records are due for erasure.
///
/// Kept at the server (`syncctl admin retention set FILE`), which holds every record, and
/// applied only by an admin's command (`syncctl admin retention apply`): nothing is erased by
/// a rule alone. A file is JSON:
///
/// ```json
/// {"rules": [
///   {"table": "contacts", "inactiveMonths": 36},
///   {"table": "contacts", "consentMonths": 24},
///   {"table": "activities", "olderThanMonths": 60}
/// ]}
/// ```
public struct RetentionRules: Sendable, Codable, Equatable {
    /// One deadline: a table and one criterion.
    public struct Rule: Sendable, Codable, Equatable {
        /// The table (`contacts` or `activities`).
        public var table: SyncTable
        /// Contacts: neither edited nor named as an activity's organiser (by the activity's
        /// start) for this many months.
        public var inactiveMonths: Int?
        /// Contacts: the consent (`consent_at`) given this many months ago or earlier.
        public var consentMonths: Int?
        /// Activities: started this many months ago or earlier; contacts: created then.
        public var olderThanMonths: Int?

        /// Creates a rule.
        public init(
            table: SyncTable, inactiveMonths: Int? = nil, consentMonths: Int? = nil, olderThanMonths: Int? = nil
        ) {
            self.table = table
            self.inactiveMonths = inactiveMonths
            self.consentMonths = consentMonths
            self.olderThanMonths = olderThanMonths
        }

        /// The rule in words, as `retention check` names it.
        public var summary: String {
            if let months = inactiveMonths { return "\(table.rawValue): no activity for \(months) months" }
            if let months = consentMonths { return "\(table.rawValue): consent older than \(months) months" }
            return "\(table.rawValue): older than \(olderThanMonths ?? 0) months"
        }
    }

    /// The rules; a record due under several is listed once, under the first.
    public var rules: [Rule]

    /// Creates rules.
    public init(rules: [Rule]) { self.rules = rules }

    /// The rules in `data` (JSON), checked: each names a table and exactly one criterion of 1 to
    /// 1,200 months that fits the table. Errors say which rule and what is wrong.
    public static func parse(_ data: Data) throws(SyncError) -> RetentionRules {
        let rules: RetentionRules
        do {
            rules = try JSONDecoder().decode(RetentionRules.self, from: data)
        } catch {
            throw SyncError(
                .invalidInput,
                "the retention rules are not understood: write JSON like {\"rules\": [{\"table\": \"contacts\", \"inactiveMonths\": 36}]} (docs/data-protection.md)"
            )
        }
        for (index, rule) in rules.rules.enumerated() {
            let given = [rule.inactiveMonths, rule.consentMonths, rule.olderThanMonths].compactMap { $0 }
            func refuse(_ what: String) -> SyncError {
                SyncError(.invalidInput, "retention rule \(index + 1): \(what)", field: "rules")
            }
            guard given.count == 1 else {
                throw refuse("give exactly one of inactiveMonths, consentMonths, olderThanMonths")
            }
            guard (1...1200).contains(given[0]) else { throw refuse("months must be between 1 and 1200") }
            guard SyncTable.editable.contains(rule.table) else { throw refuse("rules apply to contacts or activities") }
            if rule.table == .activities && rule.olderThanMonths == nil {
                throw refuse("activities take olderThanMonths only")
            }
        }
        return rules
    }

    /// A record due for erasure, and the rule that makes it due.
    public struct Due: Sendable, Codable, Equatable {
        /// The table.
        public var table: SyncTable
        /// The record's id.
        public var id: String
        /// Its Quartier.
        public var quartier: String?
        /// The rule, in words.
        public var rule: String
        /// The date the rule counts from (YYYY-MM-DD): the last activity, the consent, the start.
        public var since: String

        /// Creates a due record.
        public init(table: SyncTable, id: String, quartier: String?, rule: String, since: String) {
            self.table = table
            self.id = id
            self.quartier = quartier
            self.rule = rule
            self.since = since
        }
    }

    /// The records of `states` (visible ones; erased and deleted ones hold nothing) that the
    /// rules make due at `now`, in the order of `states`.
    public func due(in states: [RecordState], now: Date = Date()) -> [Due] {
        let organiser = SyncTable.activities.fieldIndex("organiser_id")!
        let starts = SyncTable.activities.fieldIndex("starts_at")!
        var lastOrganised: [String: String] = [:]
        for state in states where state.table == .activities && state.isVisible {
            guard let contact = state.fields[index: organiser].shown()?.value.text,
                let start = state.fields[index: starts].shown()?.value.text
            else { continue }
            lastOrganised[contact] = max(lastOrganised[contact] ?? "", String(start.prefix(10)))
        }
        var due: [Due] = []
        for state in states where state.isVisible {
            let record = state.visibleRecord
            for rule in rules where rule.table == state.table {
                let months = rule.inactiveMonths ?? rule.consentMonths ?? rule.olderThanMonths ?? 0
                let cutoff = Self.day(monthsBefore: months, now)
                let since: String?
                if rule.inactiveMonths != nil {
                    since = max(String((record["updated_at"] ?? "").prefix(10)), lastOrganised[state.id] ?? "")
                } else if rule.consentMonths != nil {
                    since = record["consent_at"].map { String($0.prefix(10)) }
                } else {
                    since = (state.table == .activities ? record["starts_at"] : record["created_at"])
                        .map { String($0.prefix(10)) }
                }
                if let since, !since.isEmpty, since < cutoff {
                    due.append(
                        Due(table: state.table, id: state.id, quartier: state.route, rule: rule.summary, since: since))
                    break
                }
            }
        }
        return due
    }

    /// The day `months` months before `now` (UTC), as YYYY-MM-DD.
    static func day(monthsBefore months: Int, _ now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(byAdding: .month, value: -months, to: now) ?? now
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}
