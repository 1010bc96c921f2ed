/// A neighbourhood with its own social work (Kuckuck, Altstadt, …), named by a short text such
/// as `kuckuck`; `*` stands for the state-wide network's shared records.
///
/// An office serves one or more Quartiere (its *scope*, set on the server with
/// `sync-server office add NAME --quartier Q`): it holds the records routed to them and the
/// shared ones, and no others.
public enum Quartier {
    /// The route of records every office holds: the state-wide network's.
    public static let shared = "*"

    /// Whether an office serving `scope` holds a record routed to `route`.
    public static func scope(_ scope: [String], covers route: String?) -> Bool {
        guard let route else { return false }
        return route == shared || scope.contains(route)
    }
}
