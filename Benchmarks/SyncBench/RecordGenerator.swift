import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote

/// Realistic, fictional contacts and activities from a fixed seed: the same rows every run.
struct RecordGenerator {
    private var rng: SeededGenerator
    /// Random version-4 ids (records imported from elsewhere) instead of the time-ordered ids
    /// SyncCore gives the records an office creates.
    let randomIDs: Bool

    init(seed: UInt64, randomIDs: Bool = false) {
        rng = SeededGenerator(seed: seed)
        self.randomIDs = randomIDs
    }

    /// When the generated records were created: one a minute from 2024-01-01.
    static let firstCreation: Int64 = 1_704_067_200_000

    static let givenNames = [
        "Erika", "Jonas", "Aylin", "Mehmet", "Anna", "Lukas", "Sofia", "Tom", "Mira", "Emil", "Lea", "Can",
    ]
    static let familyNames = [
        "Beispiel", "Muster", "Probe", "Platzhalter", "Exempel", "Testmann", "Vorlage", "Entwurf",
    ]
    static let organisations = [
        "Nachbarschaftsverein", "Mieterbeirat", "Jugendzentrum", "Seniorentreff", "Sprachcafé", "Kleingartenverein",
        "Familienzentrum", "Stadtteilbibliothek",
    ]
    static let quartiere = ["kuckuck", "altstadt", "nordstadt", "suedstadt"]

    /// A contact of about 226 bytes of values, as measured in the pitfalls.
    mutating func contact(index: Int) -> RecordValues {
        let given = pick(Self.givenNames)
        let family = pick(Self.familyNames)
        var contact = RecordValues(.contacts)
        contact["id"] =
            randomIDs
            ? uuid() : RecordID.timeOrdered(milliseconds: Self.firstCreation + Int64(index) * 60_000, using: &rng)
        contact["quartier"] = pick(Self.quartiere)
        contact["name"] = "\(given) \(family) \(index)"
        contact["organisation"] = "\(pick(Self.organisations)) \(pick(Self.quartiere).capitalized) e.V."
        contact["role"] = pick(["Ehrenamtliche", "Vorstand", "Ansprechperson", "Quartiersmanagerin"])
        contact["email"] = "\(given.lowercased()).\(family.lowercased()).\(index)@example.org"
        contact["phone"] = "05151 \(100_000 + Int(next() % 900_000))"
        contact["notes"] = "Kontakt über das Stadtteilfest; bevorzugt Anrufe am Vormittag."
        contact["consent_at"] = "2025-0\(1 + Int(next() % 9))-1\(Int(next() % 9))"
        return contact
    }

    mutating func uuid() -> String {
        let a = next()
        let b = next()
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text.suffix(digits)
        }
        return
            "\(hex(a >> 32, 8))-\(hex((a >> 16) & 0xffff, 4))-4\(hex(a & 0xfff, 3))-\(hex(8 + (b >> 62), 1))\(hex((b >> 48) & 0xfff, 3))-\(hex(b & 0xffff_ffff_ffff, 12))"
    }

    private mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }

    mutating func next() -> UInt64 { rng.next() }
}
