/// The wire form of a ``ChangeBatch`` (media type `application/vnd.quartiersync.batch`).
///
/// Layout: the four bytes `QSB2`; cursor (zig-zag varint); `hasMore` (one byte); offices
/// (count, then replica id and office name); records (count, then each record state's byte
/// length and its bytes as in ``RecordState/encoded()``); evictions (count, then table code,
/// id and version vector). See docs/protocol.md.
extension ChangeBatch {
    static let magic: [UInt8] = Array("QSB2".utf8)

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        Self.encode(
            cursor: cursor, hasMore: hasMore, offices: offices,
            records: records.indices.map { encodedRecord(at: $0) ?? records[$0].encoded()[...] }, evictions: evictions)
    }

    /// A batch from its parts, the records already encoded.
    package static func encode(
        cursor: Int64, hasMore: Bool, offices: [ReplicaID: String], records: [ArraySlice<UInt8>],
        evictions: [Eviction]
    ) -> [UInt8] {
        var writer = BinaryWriter(capacity: 64 + records.reduce(0) { $0 + $1.count + 3 })
        for byte in magic { writer.byte(byte) }
        writer.signed(cursor)
        writer.byte(hasMore ? 1 : 0)
        writer.varint(UInt64(offices.count))
        for (replica, office) in offices.sorted(by: { $0.key < $1.key }) {
            writer.string(replica.rawValue)
            writer.string(office)
        }
        writer.varint(UInt64(records.count))
        for bytes in records {
            writer.varint(UInt64(bytes.count))
            writer.append(bytes)
        }
        writer.varint(UInt64(evictions.count))
        for eviction in evictions {
            writer.byte(eviction.key.table.code)
            writer.string(eviction.key.id)
            writer.varint(UInt64(eviction.context.counters.count))
            for (replica, counter) in eviction.context.counters.sorted(by: { $0.key < $1.key }) {
                writer.string(replica.rawValue)
                writer.varint(counter)
            }
        }
        return writer.bytes
    }

    /// The most entries (versions of fields and of existence, version-vector entries, replica
    /// ids) one batch may hold: 1,048,576, some 80 MB decoded. A page of 5,000 states uses
    /// about a tenth of it, a push of 500 states a hundredth; a crafted batch cannot make a
    /// store decode a few hundred kilobytes into gigabytes.
    public static let maxEntries = 1 << 20

    /// Decodes a batch, refusing anything malformed with a ``SyncError`` (`corrupt-data`), and
    /// a batch of more than `maxEntries` entries (see ``maxEntries``).
    public init(encoded bytes: [UInt8], maxEntries: Int = ChangeBatch.maxEntries) throws {
        do {
            var reader = BinaryReader(bytes, entries: maxEntries)
            for byte in Self.magic where try reader.byte() != byte {
                throw EncodingError.malformed("not a QuartierSync batch of protocol 2 (QSB2)")
            }
            let cursor = try reader.signed()
            let hasMore = try reader.byte() != 0
            var offices: [ReplicaID: String] = [:]
            for _ in 0..<(try reader.count(limit: 1 << 16)) {
                offices[ReplicaID(rawValue: try reader.string())] = try reader.string()
            }
            var records: [RecordState] = []
            var encoded: [ArraySlice<UInt8>] = []
            let count = try reader.count(limit: 1 << 20)
            records.reserveCapacity(reader.bounded(count))
            encoded.reserveCapacity(reader.bounded(count))
            for _ in 0..<count {
                let length = try reader.count()
                let start = reader.offset
                let record = try RecordState(from: &reader)
                guard reader.offset - start == length else { throw EncodingError.malformed("record length mismatch") }
                records.append(record)
                encoded.append(bytes[start..<reader.offset])
            }
            var evictions: [Eviction] = []
            for _ in 0..<(try reader.count(limit: 1 << 20)) {
                let code = try reader.byte()
                guard let table = SyncTable(code: code) else {
                    throw EncodingError.malformed("unknown table code \(code)")
                }
                let id = try reader.string()
                var counters: [ReplicaID: UInt64] = [:]
                let entries = try reader.count(limit: 1 << 16)
                try reader.spend(entries)
                for _ in 0..<entries {
                    counters[ReplicaID(rawValue: try reader.string())] = try reader.varint()
                }
                evictions.append(Eviction(key: RecordKey(table, id), context: VersionVector(counters)))
            }
            guard reader.isAtEnd else { throw EncodingError.malformed("trailing bytes after the batch") }
            self.init(records: records, offices: offices, cursor: cursor, hasMore: hasMore, evictions: evictions)
            encodedRecords = encoded
        } catch let error as EncodingError {
            throw SyncError(.corruptData, "the batch cannot be decoded: \(error)", cause: error)
        }
    }
}
