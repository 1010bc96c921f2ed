/// The compact binary form of a record state, used in the replica's `_sync_records.state`
/// column and on the wire.
///
/// Layout (version 2): format byte; table code; id; replica table (count, ids); context
/// (count, then replica index + counter); `updated_at` (optional string); existence siblings;
/// fields (count, then name and siblings). A sibling is its value, then replica index,
/// counter, hybrid milliseconds (zig-zag) and logical counter. A field sibling's tag byte
/// holds its value's kind in the low two bits (0 = NULL, 1 = text, 2 = erased) and the kind of
/// the value it replaced in the next two (0 = unknown, 1 = NULL, 2 = text, 3 = erased); the
/// value's text follows, then the replaced text. Version 1 (no replaced values) has the same
/// layout with those bits zero, and is still read. Replica ids are written once per state and
/// referenced by index, which keeps a typical contact's state near the size of its values.
/// Format 3 is format 2 for an erased state (``RecordState/isErased``): the format byte says
/// it, so every other state's bytes stay as they were.
extension RecordState {
    static let binaryFormat: UInt8 = 2
    /// The format of an erased state: format 2's layout.
    static let erasedFormat: UInt8 = 3
    /// The newest format read.
    static let newestFormat: UInt8 = erasedFormat
    /// The oldest format still read.
    static let oldestFormat: UInt8 = 1

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        var writer = BinaryWriter()
        encode(into: &writer)
        return writer.bytes
    }

    func encode(into writer: inout BinaryWriter) {
        var replicas: [ReplicaID] = []
        var index: [ReplicaID: Int] = [:]
        func note(_ replica: ReplicaID) {
            if index[replica] == nil {
                index[replica] = replicas.count
                replicas.append(replica)
            }
        }
        for replica in context.counters.keys.sorted() { note(replica) }
        for sibling in alive { note(sibling.dot.replica) }
        for siblings in fields.values { for sibling in siblings { note(sibling.dot.replica) } }

        writer.byte(isErased ? Self.erasedFormat : Self.binaryFormat)
        writer.byte(table.code)
        writer.string(id)
        writer.varint(UInt64(replicas.count))
        for replica in replicas { writer.string(replica.rawValue) }
        writer.varint(UInt64(context.counters.count))
        for (replica, counter) in context.counters.sorted(by: { $0.key < $1.key }) {
            writer.varint(UInt64(index[replica]!))
            writer.varint(counter)
        }
        writer.optionalString(updatedAt)
        writer.varint(UInt64(alive.count))
        for sibling in alive {
            writer.byte(sibling.value ? 1 : 0)
            writeStamp(sibling.dot, sibling.time, index, &writer)
        }
        writer.varint(UInt64(fields.count))
        let names = table.fields
        for position in table.fieldIndicesByName {
            let siblings = fields[index: position]
            if siblings.isEmpty { continue }
            writer.string(names[position])
            writer.varint(UInt64(siblings.count))
            for sibling in siblings {
                let replacedTag: UInt8
                switch sibling.replaced {
                case nil: replacedTag = 0
                case .null: replacedTag = 1
                case .text: replacedTag = 2
                case .erased: replacedTag = 3
                }
                switch sibling.value {
                case .null: writer.byte(replacedTag << 2)
                case .text(let text):
                    writer.byte(1 | replacedTag << 2)
                    writer.string(text)
                case .erased: writer.byte(2 | replacedTag << 2)
                }
                if case .text(let text) = sibling.replaced { writer.string(text) }
                writeStamp(sibling.dot, sibling.time, index, &writer)
            }
        }
    }

    private func writeStamp(
        _ dot: Dot, _ time: HybridTimestamp, _ index: [ReplicaID: Int], _ writer: inout BinaryWriter
    ) {
        writer.varint(UInt64(index[dot.replica]!))
        writer.varint(dot.counter)
        writer.signed(time.milliseconds)
        writer.varint(UInt64(time.logical))
    }

    /// Adds the replicas named in an encoded state (its replica table) to `replicas`, reading
    /// only the head of the bytes: what a store needs to name the offices of a page it sends.
    package static func replicaIDs(inEncoded bytes: [UInt8], into replicas: inout Set<ReplicaID>) throws(EncodingError)
    {
        var reader = BinaryReader(bytes)
        let format = try reader.byte()
        guard (Self.oldestFormat...Self.newestFormat).contains(format) else {
            throw .malformed("unknown record format \(format)")
        }
        _ = try reader.byte()
        _ = try reader.string()
        for _ in 0..<(try reader.count()) { replicas.insert(ReplicaID(rawValue: try reader.string())) }
    }

    /// Decodes a state written by ``encoded()``.
    public init(encoded bytes: [UInt8]) throws {
        var reader = BinaryReader(bytes)
        try self.init(from: &reader)
    }

    init(from reader: inout BinaryReader) throws(EncodingError) {
        let format = try reader.byte()
        guard (Self.oldestFormat...Self.newestFormat).contains(format) else {
            throw .malformed("unknown record format \(format)")
        }
        let code = try reader.byte()
        guard let table = SyncTable(code: code) else { throw .malformed("unknown table code \(code)") }
        let id = try reader.string()
        // Every collection is sized from its count first (growing them one by one cost more
        // than the decoding itself), but never beyond what the remaining bytes can hold.
        let replicaCount = try reader.count()
        try reader.spend(replicaCount)
        var replicas: [ReplicaID] = []
        replicas.reserveCapacity(reader.bounded(replicaCount))
        for _ in 0..<replicaCount { replicas.append(ReplicaID(rawValue: try reader.string())) }
        func replica(_ reader: inout BinaryReader) throws(EncodingError) -> ReplicaID {
            let position = try reader.count()
            guard position < replicas.count else { throw .malformed("replica index out of range") }
            return replicas[position]
        }
        func stamp(_ reader: inout BinaryReader) throws(EncodingError) -> (Dot, HybridTimestamp) {
            let dot = Dot(replica: try replica(&reader), counter: try reader.varint())
            let time = HybridTimestamp(
                milliseconds: try reader.signed(), logical: UInt32(truncatingIfNeeded: try reader.varint()))
            return (dot, time)
        }
        let contextCount = try reader.count()
        try reader.spend(contextCount)
        var counters: [ReplicaID: UInt64] = [:]
        counters.reserveCapacity(reader.bounded(contextCount))
        for _ in 0..<contextCount {
            let who = try replica(&reader)
            counters[who] = try reader.varint()
        }
        let context = VersionVector(counters)
        let updatedAt = try reader.optionalString()
        let aliveCount = try reader.count()
        try reader.spend(aliveCount)
        var alive: [Sibling<Bool>] = []
        alive.reserveCapacity(reader.bounded(aliveCount))
        for _ in 0..<aliveCount {
            let value = try reader.byte() != 0
            let (dot, time) = try stamp(&reader)
            alive.append(Sibling(value: value, dot: dot, time: time))
        }
        let fieldCount = try reader.count()
        var fields = FieldRegisters(table: table)
        for _ in 0..<fieldCount {
            let name = try reader.string()
            guard let index = table.fieldIndex(name) else {
                throw .malformed("a state names a field its table does not have")
            }
            let siblingCount = try reader.count()
            try reader.spend(siblingCount)
            var siblings: [Sibling<FieldValue>] = []
            siblings.reserveCapacity(reader.bounded(siblingCount))
            for _ in 0..<siblingCount {
                let tag = try reader.byte()
                guard tag < 16, tag & 3 != 3 else { throw .malformed("unknown value tag \(tag)") }
                let value: FieldValue
                switch tag & 3 {
                case 0: value = .null
                case 1: value = .text(try reader.string())
                default: value = .erased
                }
                let replaced: FieldValue?
                switch tag >> 2 {
                case 0: replaced = nil
                case 1: replaced = .null
                case 2: replaced = .text(try reader.string())
                default: replaced = .erased
                }
                let (dot, time) = try stamp(&reader)
                siblings.append(Sibling(value: value, dot: dot, time: time, replaced: replaced))
            }
            fields[index: index] = siblings
        }
        self.init(id: id, context: context, alive: alive, fields: fields, updatedAt: updatedAt)
        isErased = format == Self.erasedFormat
    }
}
