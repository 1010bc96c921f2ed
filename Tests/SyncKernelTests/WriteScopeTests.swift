import TestSupport
import Testing

@testable import SyncKernel

/// An office of Südstadt (replica B) pushing to a server that holds a Nordstadt contact created
/// by Nordstadt's replica A: what the server's rule lets through.
@Suite("Scope on writes")
struct WriteScopeTests {
    let suedstadt = WriteScope(quartiers: ["suedstadt"])

    /// The Nordstadt contact as the server holds it: created at A:1.
    let nordstadtContact = contact(
        [.a: 1], alive: [(true, .a, 1)], ["quartier": [("nordstadt", .a, 1)], "name": [("Ada Beispiel", .a, 1)]])

    @Test("creating a record in the office's Quartier, or a shared one, is allowed")
    func createInScope() {
        let own = contact([.b: 1], alive: [(true, .b, 1)], ["quartier": [("suedstadt", .b, 1)]])
        let shared = contact([.b: 2], alive: [(true, .b, 2)], ["quartier": [("*", .b, 2)]])
        #expect(suedstadt.refusal(of: own, stored: nil, formerRoutes: []) == nil)
        #expect(suedstadt.refusal(of: shared, stored: nil, formerRoutes: []) == nil)
    }

    @Test("creating a record of another Quartier is refused")
    func createOutsideScope() {
        let forged = contact([.b: 1], alive: [(true, .b, 1)], ["quartier": [("nordstadt", .b, 1)]])
        #expect(suedstadt.refusal(of: forged, stored: nil, formerRoutes: []) == .outsideScope)
    }

    @Test("a record created in the office's Quartier and moved on before the server heard of it is allowed")
    func createdAndMovedOn() {
        var moved = contact([.b: 2], alive: [(true, .b, 2)], ["quartier": [("nordstadt", .b, 2)]])
        moved.fields["quartier"]![0].replaced = FieldValue("suedstadt")
        #expect(suedstadt.refusal(of: moved, stored: nil, formerRoutes: []) == nil)
        moved.fields["quartier"]![0].replaced = FieldValue("altstadt")
        #expect(suedstadt.refusal(of: moved, stored: nil, formerRoutes: []) == .outsideScope)
        // Moved twice (Südstadt → Altstadt → Nordstadt) before any sync: the fold keeps the last
        // move; made by the office's own replica alone, it is taken.
        #expect(
            WriteScope(quartiers: ["suedstadt"], replicas: [.b]).refusal(of: moved, stored: nil, formerRoutes: [])
                == nil)
        #expect(
            WriteScope(quartiers: ["suedstadt"], replicas: [.a]).refusal(of: moved, stored: nil, formerRoutes: [])
                == .outsideScope)
    }

    @Test("a row written blind over another Quartier's record is refused, whatever route it claims")
    func forgedOverwrite() {
        for route in ["nordstadt", "suedstadt"] {
            let forged = contact(
                [.b: 5], alive: [(true, .b, 5)], ["quartier": [(route, .b, 5)], "name": [("Forged", .b, 5)]])
            #expect(
                suedstadt.refusal(of: forged, stored: nordstadtContact, formerRoutes: ["suedstadt"])
                    == .outsideScope)
        }
    }

    @Test("a state the server already holds is never refused")
    func alreadyKnown() {
        #expect(suedstadt.refusal(of: nordstadtContact, stored: nordstadtContact, formerRoutes: []) == nil)
    }

    /// Found by `CraftedStatePropertyTests` (seed 11): an old state of another Quartier's
    /// record, covered by the server's, carried a later `updated_at`, which merges as the later
    /// text: the record's `updated_at` changed at the server.
    @Test("a known state of another Quartier's record that would move its updated_at is refused")
    func knownStateMayNotMoveUpdatedAt() {
        var stored = nordstadtContact
        stored.updatedAt = "2026-06-01T10:00:00.000Z"
        var resent = nordstadtContact
        resent.updatedAt = "2026-06-01T10:00:00.000Z"
        #expect(suedstadt.refusal(of: resent, stored: stored, formerRoutes: []) == nil, "sent again as held")
        resent.updatedAt = "9999-12-31T23:59:59.999Z"
        #expect(suedstadt.refusal(of: resent, stored: stored, formerRoutes: []) == .outsideScope)
        stored.updatedAt = nil  // a tombstone keeps none
        resent.updatedAt = "2026-06-01T10:00:00.000Z"
        #expect(suedstadt.refusal(of: resent, stored: stored, formerRoutes: []) == .outsideScope)
    }

    @Test("an office edits and moves away what is in its scope at the server now")
    func editAndMoveInScope() {
        let stored = contact([.b: 1], alive: [(true, .b, 1)], ["quartier": [("suedstadt", .b, 1)]])
        let moved = contact([.b: 2], alive: [(true, .b, 1)], ["quartier": [("nordstadt", .b, 2)]])
        #expect(suedstadt.refusal(of: moved, stored: stored, formerRoutes: []) == nil)
    }

    @Test("an office changes a record it moved away itself, on the version holding its move; not with others' versions")
    func ownMoveAway() {
        // B moved the record from Südstadt to Nordstadt; the sync stopped before it left B, and
        // B changed it meanwhile. Nordstadt's A has written it since.
        let office = WriteScope(quartiers: ["suedstadt"], replicas: [.b])
        var stored = contact(
            [.a: 1, .b: 2], alive: [(true, .b, 1)], ["quartier": [("nordstadt", .b, 2)], "name": [("Ada", .a, 1)]])
        stored.fields["quartier"]![0].replaced = FieldValue("suedstadt")
        var edited = contact(
            [.b: 3], alive: [(true, .b, 1)], ["quartier": [("nordstadt", .b, 2)], "phone": [("0551 1", .b, 3)]])
        edited.fields["quartier"]![0].replaced = FieldValue("suedstadt")
        #expect(office.refusal(of: edited, stored: stored, formerRoutes: []) == nil)
        // Another office's replica, or an office whose move it was not, is refused.
        #expect(suedstadt.refusal(of: edited, stored: stored, formerRoutes: []) == .outsideScope)
        // A move from a Quartier the office does not serve gives it nothing.
        var foreign = stored
        foreign.fields["quartier"]![0].replaced = FieldValue("altstadt")
        #expect(office.refusal(of: edited, stored: foreign, formerRoutes: []) == .outsideScope)
        // Once the new owners moved it again, the office's move is gone from the server.
        let movedOn = contact(
            [.a: 2, .b: 2], alive: [(true, .b, 1)], ["quartier": [("altstadt", .a, 2)], "name": [("Ada", .a, 1)]])
        #expect(office.refusal(of: edited, stored: movedOn, formerRoutes: []) == .outsideScope)
        // Moved back into its own Quartier, on the version holding the move: allowed.
        var movedBack = contact(
            [.a: 1, .b: 3], alive: [(true, .b, 1)], ["quartier": [("suedstadt", .b, 3)], "name": [("Ada", .a, 1)]])
        movedBack.fields["quartier"]![0].replaced = FieldValue("nordstadt")
        #expect(office.refusal(of: movedBack, stored: stored, formerRoutes: []) == nil)
        // Dropping Nordstadt's name on the way is not.
        var dropping = movedBack
        dropping.fields["name"] = []
        #expect(office.refusal(of: dropping, stored: stored, formerRoutes: []) == .outsideScope)
        // Versions of a third replica in the state are not the office's to add.
        var smuggled = edited
        smuggled.context = VersionVector([.b: 3, .c: 1])
        #expect(office.refusal(of: smuggled, stored: stored, formerRoutes: []) == .outsideScope)
    }

    @Test("an edit made before the office heard of a move merges; one made after it is refused")
    func editConcurrentWithMove() {
        // Created in Südstadt by B at B:1; C (another Südstadt laptop) moved it to Nordstadt.
        let moved = contact(
            [.b: 1, .c: 1], alive: [(true, .b, 1)],
            ["quartier": [("nordstadt", .c, 1)], "name": [("Ada Beispiel", .b, 1)]])
        // B edits the name, not having heard of the move: its route is still Südstadt's, as of B:1.
        let before = contact(
            [.b: 2], alive: [(true, .b, 1)], ["quartier": [("suedstadt", .b, 1)], "name": [("Ada B.", .b, 2)]])
        #expect(suedstadt.refusal(of: before, stored: moved, formerRoutes: ["suedstadt"]) == nil)
        // So does a move elsewhere made before it heard of the move (existence as of B:1).
        let movedToo = contact(
            [.b: 2], alive: [(true, .b, 1)], ["quartier": [("altstadt", .b, 2)], "name": [("Ada Beispiel", .b, 1)]])
        #expect(suedstadt.refusal(of: movedToo, stored: moved, formerRoutes: ["suedstadt"]) == nil)
        // The same edit, had the record never been routed to Südstadt, is refused.
        #expect(suedstadt.refusal(of: before, stored: moved, formerRoutes: []) == .outsideScope)
        // An edit that saw the move (its context covers C:1) is refused.
        let after = contact(
            [.b: 2, .c: 1], alive: [(true, .b, 1)],
            ["quartier": [("nordstadt", .c, 1)], "name": [("Ada B.", .b, 2)]])
        #expect(suedstadt.refusal(of: after, stored: moved, formerRoutes: ["suedstadt"]) == .outsideScope)
    }

    /// The Nordstadt contact after three writes at A: created, phone, notes.
    let heldContact = contact(
        [.a: 3], alive: [(true, .a, 1)],
        [
            "quartier": [("nordstadt", .a, 1)], "name": [("Ada Beispiel", .a, 1)],
            "phone": [("05151 000001", .a, 2)], "notes": [("Beratung", .a, 3)],
        ])

    @Test(
        "a state reusing a version the server holds with another value is refused: conflicting-dot in scope, outside-scope (as for an unknown id) elsewhere"
    )
    func conflictingDot() {
        // The takeover: A's first version, with Südstadt as its route, under a covered vector.
        // Refused like a record the server lacks: the answer does not tell that it exists.
        let takeover = contact([.a: 1], alive: [(true, .a, 1)], ["quartier": [("suedstadt", .a, 1)]])
        #expect(suedstadt.refusal(of: takeover, stored: heldContact, formerRoutes: []) == .outsideScope)
        let unknown = contact([.a: 1], alive: [(true, .a, 1)], ["quartier": [("nordstadt", .a, 1)]])
        #expect(suedstadt.refusal(of: unknown, stored: nil, formerRoutes: []) == .outsideScope)
        // An office of Nordstadt whose replica reuses A's numbers (a copied replica file).
        let copy = contact([.a: 4], alive: [(true, .a, 1)], ["phone": [("0999", .a, 2)]])
        let nordstadt = WriteScope(quartiers: ["nordstadt"])
        #expect(nordstadt.refusal(of: copy, stored: heldContact, formerRoutes: []) == .conflictingDot)
    }

    @Test("a state the server's vector covers may not drop or move anything it holds")
    func coveredStateChangesNothing() {
        // Equal vector, the route kept, name and e-mail left out: merging would wipe them.
        let wipe = contact(
            [.a: 3], alive: [(true, .a, 1)], ["quartier": [("nordstadt", .a, 1)], "notes": [("Beratung", .a, 3)]])
        #expect(suedstadt.refusal(of: wipe, stored: heldContact, formerRoutes: []) == .outsideScope)
        let nordstadt = WriteScope(quartiers: ["nordstadt"])
        #expect(nordstadt.refusal(of: wipe, stored: heldContact, formerRoutes: []) == .rewritesKnownVersions)
        // Without existence: the record would vanish.
        let vanish = contact([.a: 3], alive: [], ["quartier": [("nordstadt", .a, 1)]])
        #expect(nordstadt.refusal(of: vanish, stored: heldContact, formerRoutes: []) == .rewritesKnownVersions)
    }

    @Test("an honest late state (an older version) and a value the server had erased are still taken")
    func honestCoveredStates() {
        let nordstadt = WriteScope(quartiers: ["nordstadt"])
        let older = contact(
            [.a: 2], alive: [(true, .a, 1)],
            [
                "quartier": [("nordstadt", .a, 1)], "name": [("Ada Beispiel", .a, 1)],
                "phone": [("05151 000001", .a, 2)],
            ])
        #expect(nordstadt.refusal(of: older, stored: heldContact, formerRoutes: []) == nil)
        #expect(suedstadt.refusal(of: older, stored: heldContact, formerRoutes: []) == nil)
        var forgotten = heldContact
        forgotten.fields["name"]![0].value = .erased
        #expect(nordstadt.refusal(of: heldContact, stored: forgotten, formerRoutes: []) == nil)
    }
}
