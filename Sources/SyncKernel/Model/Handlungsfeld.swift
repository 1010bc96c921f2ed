/// The ten fields of action of Gemeinwesenarbeit; every activity belongs to one.
public enum Handlungsfeld: String, CaseIterable, Sendable, Codable {
    case wohnenWohnumfeld = "wohnen-wohnumfeld"
    case sozialeAktivitaetenInfrastruktur = "soziale-aktivitaeten-infrastruktur"
    case zusammenleben = "zusammenleben"
    case schuleBildung = "schule-bildung"
    case lokaleOekonomie = "lokale-oekonomie"
    case stadtteilkultur = "stadtteilkultur"
    case sportFreizeit = "sport-freizeit"
    case gesundheitsfoerderung = "gesundheitsfoerderung"
    case umweltVerkehr = "umwelt-verkehr"
    case imageverbesserung = "imageverbesserung"

    /// The German name as used in the programme's reports.
    public var title: String {
        switch self {
        case .wohnenWohnumfeld: "Wohnen und Wohnumfeld"
        case .sozialeAktivitaetenInfrastruktur: "Soziale Aktivitäten und Infrastruktur"
        case .zusammenleben: "Zusammenleben"
        case .schuleBildung: "Schule und Bildung"
        case .lokaleOekonomie: "Lokale Ökonomie"
        case .stadtteilkultur: "Stadtteilkultur"
        case .sportFreizeit: "Sport und Freizeit"
        case .gesundheitsfoerderung: "Gesundheitsförderung"
        case .umweltVerkehr: "Umwelt und Verkehr"
        case .imageverbesserung: "Imageverbesserung"
        }
    }

    /// The accepted values, comma-separated, for error messages.
    package static var allValues: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Whether an activity is still ahead, took place, or was called off.
public enum ActivityStatus: String, CaseIterable, Sendable, Codable {
    case planned, held, cancelled
}
