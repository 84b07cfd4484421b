import Foundation
import GRDB
import RouteLedgerArchive
import RouteLedgerIngest
import RouteLedgerModel

/// A point-in-time view of a running ingest, for progress lines.
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var records: Int
    public var uncompressedBytes: Int64
    public var seconds: Double
}

/// Runs an `IngestPlan`: workers decompress and decode files in parallel; one writer puts each
/// file into the ledger inside its own transaction, so a kill at any moment leaves the ledger as
/// if the interrupted file had never been started.
public enum IngestRunner {
    struct DecodedRecord { var record: InvocationRecord; var line: Int }

    enum Message {
        case unchanged(file: Int)
        case touched(file: Int, source: Int64, mtime: Int64)
        case fileStart(file: Int, replaces: Int64?)
        case memberStart(MemberInfo)
        case batch([DecodedRecord])
        case rejection(Rejection)
        case memberEnd(MemberInfo, layout: String, bytes: Int64, discardedBecause: ContainerIssue?)
        case fileEnd(file: Int, report: ContainerReport)
        case fileFailed(file: Int, reason: String)
    }

    static let batchSize = 2048
    static let inFlightPerWorker = 16

    public static func run(_ plan: IngestPlan, onWaitForLock: (() -> Void)? = nil,
                           progress: ((IngestProgress) -> Void)? = nil) throws -> IngestSummary {
        let started = Date()
        let discovery = try InputWalker.discover(paths: plan.paths)
        let lock = try LedgerWriteLock(ledgerPath: plan.ledgerPath, timeout: plan.lockTimeout, onWait: onWaitForLock)
        defer { withExtendedLifetime(lock) {} }
        let ledger = try Ledger(path: plan.ledgerPath)

        var summary = IngestSummary()
        summary.ledger = plan.ledgerPath
        summary.filesSeen = discovery.files.count
        summary.skipped = discovery.skipped.map {
            .init(path: $0.path, member: $0.member, line: nil, reason: $0.reason.rawValue, detail: "skipped")
        }
        let files = discovery.files
        let registryKeys = files.map { $0.isStandardInput ? $0.path : absolutePath($0.path) }

        do {
            // Migrations ran when `ledger` opened; the bulk path uses its own connection.
            withExtendedLifetime(ledger) {}
            let writer = try LedgerWriter(ledgerPath: plan.ledgerPath, busyTimeout: 30)
            defer { writer.close() }
            // Keys of a run that was killed before its final merge.
            try writer.mergeRequestKeys()
            var existing: [Int: LedgerWriter.ExistingSource] = [:]
            for (index, key) in registryKeys.enumerated() where !files[index].isStandardInput {
                if let source = try writer.existingSource(path: key) { existing[index] = source }
            }
            let start = try writer.startState()
            let probe = try RequestKeyProbe(ledgerPath: plan.ledgerPath)
            // From here on the connection belongs to the SQL thread; this thread only waits for it.
            let executor = SQLExecutor(writer: writer)
            defer { _ = executor.finish() }

            let queue = MessageQueue<(worker: Int, message: Message)>()
            let workerCount = min(plan.jobs, max(1, files.count))
            let cursor = WorkCursor(count: files.count)
            let credits = (0..<workerCount).map { _ in DispatchSemaphore(value: inFlightPerWorker) }
            let known = existing
            let threads = (0..<workerCount).map { worker in
                Thread {
                    var decoder = RecordDecoder(options: plan.decode)
                    let send: (Message) -> Void = { message in
                        credits[worker].wait()
                        queue.push((worker, message))
                    }
                    while let index = cursor.take() {
                        decodeFile(files[index], index: index, previous: known[index], plan: plan, decoder: &decoder, send: send)
                    }
                }
            }
            for thread in threads {
                thread.stackSize = 8 << 20
                thread.start()
            }

            var state = WriterState(files: files, registryKeys: registryKeys, executor: executor, start: start,
                                    probe: probe, keyMergeThreshold: plan.keyMergeThreshold,
                                    backgroundMergeEvery: plan.backgroundKeyMergeEvery)
            var stash: [[Message]] = Array(repeating: [], count: workerCount)
            var current: Int?
            var nextFile = 0
            var lastProgress = Date()
            var failure: Error?

            // Files are committed strictly in path order, whichever worker finishes first, so one and
            // two jobs build the same ledger (which copy of a conflicting request id wins is then stable).
            while nextFile < files.count {
                if current == nil {
                    current = stash.indices.first { stash[$0].first?.beginsFile == nextFile }
                }
                guard let worker = current, !stash[worker].isEmpty else {
                    let (sender, message) = queue.pop()
                    stash[sender].append(message)
                    continue
                }
                let message = stash[worker].removeFirst()
                var ended = message.endsFile
                if failure == nil {
                    do {
                        ended = try state.apply(message, summary: &summary)
                    } catch {
                        // A fatal ledger error (disk full, read-only): undo this file, then drain the
                        // workers without writing so every thread ends before the error is reported.
                        failure = error
                        state.abandon()
                    }
                }
                credits[worker].signal()
                if ended {
                    current = nil
                    nextFile += 1
                    if failure == nil, let error = executor.failure {
                        failure = error
                    }
                    if failure == nil, state.needsKeyMerge {
                        do { try state.mergeKeys() } catch { failure = error }
                    } else if failure == nil {
                        state.mergeKeysInBackgroundNowAndThen()
                    }
                }
                if let progress, Date().timeIntervalSince(lastProgress) > 0.5 {
                    lastProgress = Date()
                    progress(IngestProgress(filesDone: nextFile, filesTotal: files.count, records: summary.recordsRead,
                                            uncompressedBytes: summary.uncompressedBytes,
                                            seconds: Date().timeIntervalSince(started)))
                }
            }
            if let failure {
                _ = executor.finish()
                throw failure
            }
            try state.mergeKeys()

            summary.seconds = Date().timeIntervalSince(started)
            summary.rejections.sort()
            summary.issues.sort()
            summary.skipped.sort()
            if summary.rejected > 0 { summary.warnings.append("\(summary.rejected) record(s) rejected") }
            if !summary.issues.isEmpty { summary.warnings.append("\(summary.issues.count) file or member issue(s)") }
            if summary.conflicts > 0 { summary.warnings.append("\(summary.conflicts) request id conflict(s)") }
            if summary.filesFailed > 0 { summary.warnings.append("\(summary.filesFailed) file(s) failed") }
            let unnamed = summary.skipped.filter { $0.reason == SkipReason.nameNotUTF8.rawValue }.count
            if unnamed > 0 { summary.warnings.append("\(unnamed) file(s) not read: name is not UTF-8") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(summary), as: UTF8.self)
            let startedAt = Timestamp.format(Int64(started.timeIntervalSince1970 * 1_000_000))
            let finishedAt = Timestamp.format(Int64(Date().timeIntervalSince1970 * 1_000_000))
            executor.submit { try $0.recordRun(startedAt: startedAt, finishedAt: finishedAt, summaryJSON: json) }
            if let error = executor.finish() { throw error }
        }
        return summary
    }

    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    // MARK: Worker side

    static func decodeFile(_ file: InputFile, index: Int, previous: LedgerWriter.ExistingSource?, plan: IngestPlan,
                           decoder: inout RecordDecoder, send: (Message) -> Void) {
        if let previous {
            if previous.size == file.size, previous.mtime == file.modifiedMicros {
                return send(.unchanged(file: index))
            }
            // Size or time changed: a copy or a touch keeps the content; only a real change is read again.
            if let sha = try? sha256(ofFile: file.path), sha == previous.sha256 {
                return send(.touched(file: index, source: previous.id, mtime: file.modifiedMicros))
            }
        }
        send(.fileStart(file: index, replaces: previous?.id))
        let reader = ContainerReader(file: file, limits: plan.limits)
        var batch: [DecodedRecord] = []
        batch.reserveCapacity(batchSize)
        do {
            let report = try reader.forEachMember { member, stream in
                send(.memberStart(member))
                let scanner = RecordScanner(stream: stream, maxRecordBytes: plan.maxRecordBytes)
                scanner.scan(onRecord: { tape, line in
                    let recordBytes = tape.jsonText(0)
                    decoder.decode(&tape) { outcome in
                        switch outcome {
                        case .record(let record):
                            batch.append(DecodedRecord(record: record, line: line))
                            if batch.count == batchSize {
                                send(.batch(batch))
                                batch.removeAll(keepingCapacity: true)
                            }
                        case .rejected(let reason, let detail):
                            if !batch.isEmpty { send(.batch(batch)); batch.removeAll(keepingCapacity: true) }
                            send(.rejection(Rejection(line: line, reason: reason, detail: detail,
                                                      snippet: Array(recordBytes.prefix(RecordScanner.snippetLimit)))))
                        }
                    }
                }, onReject: { rejection in
                    if !batch.isEmpty { send(.batch(batch)); batch.removeAll(keepingCapacity: true) }
                    send(.rejection(rejection))
                })
                if !batch.isEmpty { send(.batch(batch)); batch.removeAll(keepingCapacity: true) }
                let damage = scanner.streamError as? ArchiveError
                let discard: ContainerIssue? = damage.flatMap { error in
                    guard let kind = error.issueKind, kind == .expansionRatio || kind == .sizeCap else { return nil }
                    return ContainerIssue(path: file.path, member: member.name, kind: kind, detail: error.detail)
                }
                send(.memberEnd(member, layout: scanner.layout.rawValue, bytes: scanner.bytesRead, discardedBecause: discard))
                // Hand the damage back so the container reader records it and moves on.
                if let damage { throw damage }
            }
            send(.fileEnd(file: index, report: report))
        } catch {
            if !batch.isEmpty { send(.batch(batch)) }
            send(.fileFailed(file: index, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }

    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.hexDigest
    }
}

extension IngestRunner.Message {
    /// The file index when this message opens a file's stream of messages.
    var beginsFile: Int? {
        switch self {
        case .unchanged(let file), .touched(let file, _, _), .fileStart(let file, _): return file
        default: return nil
        }
    }

    var endsFile: Bool {
        switch self {
        case .unchanged, .touched, .fileEnd, .fileFailed: return true
        default: return false
        }
    }
}

extension LedgerWriter.SourceTotals {
    static func += (lhs: inout Self, rhs: Self) {
        lhs.records += rhs.records
        lhs.stored += rhs.stored
        lhs.duplicates += rhs.duplicates
        lhs.conflicts += rhs.conflicts
        lhs.rejected += rhs.rejected
    }
}

extension IngestSummary {
    mutating func add(_ totals: LedgerWriter.SourceTotals) {
        recordsRead += totals.records
        stored += totals.stored
        duplicates += totals.duplicates
        conflicts += totals.conflicts
        rejected += totals.rejected
    }
}

/// The coordinator's view of the file being stored: it decides ids, duplicates and counts, and hands
/// the SQL to the executor's thread in order.
struct WriterState {
    let files: [InputFile]
    let registryKeys: [String]
    let executor: SQLExecutor
    let probe: RequestKeyProbe
    let keyMergeThreshold: Int
    var fileSource: Int64 = 0
    var memberSource: Int64 = 0
    var fileIndex = 0
    var fileTotals = LedgerWriter.SourceTotals()
    var memberTotals = LedgerWriter.SourceTotals()
    var memberName: String?
    /// Member names already used in the open file.
    var memberNamesInFile: Set<String> = []
    var memberSummaryMark = IngestSummary()
    var layouts: Set<String> = []
    var containers: String?
    let ingestedAt = Timestamp.format(Int64(Date().timeIntervalSince1970) * 1_000_000)

    // Ids are allocated here, never reused; gaps after a rollback are harmless.
    var nextRowID: Int64
    var nextSourceID: Int64
    var nextStringID: Int64
    var stringIDs: [String: Int64]
    /// The last string and id per dimension column: consecutive records mostly repeat them.
    var lastColumnValue: [(String, Int64)?] = Array(repeating: nil, count: 16)
    /// Strings and keys first seen in the open file (and where the open member began), so a rolled-back
    /// file or member takes them with it.
    var stringsAddedInFile: [String] = []
    var stringsAtMemberStart = 0
    var keysAddedInFile: [RequestKey] = []
    var keysAtMemberStart = 0
    /// Keys stored by this run and not yet merged into `request_keys`: row id and content hash.
    var pendingKeys: [RequestKey: (id: Int64, contentHash: Int64)] = Dictionary(minimumCapacity: 1 << 16)
    var requestKeysEmpty: Bool
    /// Merged keys of sources this run replaces: their rows are deleted (in the open transaction, which
    /// the probe's connection cannot see yet), so they no longer count as stored.
    var tombstones: Set<RequestKey> = []
    var tombstonesAddedInFile: [RequestKey] = []

    struct RequestKey: Hashable {
        var kind: SourceKind
        var id: String
    }


    init(files: [InputFile], registryKeys: [String], executor: SQLExecutor, start: LedgerWriter.StartState,
         probe: RequestKeyProbe, keyMergeThreshold: Int, backgroundMergeEvery: Int) {
        self.files = files
        self.registryKeys = registryKeys
        self.executor = executor
        self.probe = probe
        self.keyMergeThreshold = keyMergeThreshold
        self.backgroundMergeEvery = backgroundMergeEvery
        nextRowID = start.nextRowID
        nextSourceID = start.nextSourceID
        nextStringID = start.nextStringID
        stringIDs = start.strings
        requestKeysEmpty = start.requestKeysEmpty
    }

    var needsKeyMerge: Bool { pendingKeys.count >= keyMergeThreshold }

    /// Merges this run's keys into `request_keys` (between files only) and waits for it.
    mutating func mergeKeys() throws {
        executor.submit { try $0.mergeRequestKeys() }
        if let error = executor.sync() { throw error }
        requestKeysEmpty = requestKeysEmpty && pendingKeys.isEmpty
        pendingKeys.removeAll(keepingCapacity: true)
        keysSinceBackgroundMerge = 0
        tombstones.removeAll()
    }

    /// Keys merged since the last background merge; merging as the run goes keeps the final merge
    /// (which nothing else overlaps) short.
    var keysSinceBackgroundMerge = 0
    let backgroundMergeEvery: Int

    /// Queues a merge between files without waiting for it. The run's keys stay in `pendingKeys`, so
    /// dedupe does not depend on when the SQL thread gets to it.
    mutating func mergeKeysInBackgroundNowAndThen() {
        guard pendingKeys.count - keysSinceBackgroundMerge >= backgroundMergeEvery else { return }
        keysSinceBackgroundMerge = pendingKeys.count
        executor.submit { try $0.mergeRequestKeys() }
    }

    mutating func abandon() {
        executor.submit { $0.rollbackFile() }
        forgetFile()
    }

    private mutating func forgetFile() {
        forgetStrings(from: 0)
        forgetKeys(from: 0)
        for key in tombstonesAddedInFile { tombstones.remove(key) }
        tombstonesAddedInFile.removeAll()
    }

    private mutating func forgetStrings(from start: Int) {
        for value in stringsAddedInFile[start...] { stringIDs[value] = nil }
        stringsAddedInFile.removeSubrange(start...)
        for index in lastColumnValue.indices { lastColumnValue[index] = nil }
    }

    private mutating func forgetKeys(from start: Int) {
        for key in keysAddedInFile[start...] { pendingKeys[key] = nil }
        keysAddedInFile.removeSubrange(start...)
    }

    private mutating func stringID(_ value: String?, column: Int, newStrings: inout [(id: Int64, value: String)]) -> Int64? {
        guard let value else { return nil }
        if let last = lastColumnValue[column], last.0 == value { return last.1 }
        let id: Int64
        if let known = stringIDs[value] {
            id = known
        } else {
            id = nextStringID
            nextStringID += 1
            stringIDs[value] = id
            stringsAddedInFile.append(value)
            newStrings.append((id, value))
        }
        lastColumnValue[column] = (value, id)
        return id
    }

    private mutating func existingInvocation(_ key: RequestKey) throws -> (id: Int64, contentHash: Int64)? {
        if let pending = pendingKeys[key] { return pending }
        // Nothing merged yet (a new ledger): every probe would miss.
        if requestKeysEmpty || tombstones.contains(key) { return nil }
        return try probe.find(kind: key.kind, requestID: key.id)
    }

    /// Applies one message; returns true when the file it belongs to is finished.
    mutating func apply(_ message: IngestRunner.Message, summary: inout IngestSummary) throws -> Bool {
        switch message {
        case .unchanged:
            summary.filesUnchanged += 1
            return true
        case .touched(_, let source, let mtime):
            executor.submit {
                try $0.beginFile()
                try $0.touchSource(id: source, mtime: mtime)
                try $0.commitFile()
            }
            summary.filesUnchanged += 1
            return true
        case .fileStart(let index, let replaces):
            fileIndex = index
            fileTotals = .init()
            layouts = []
            containers = nil
            stringsAddedInFile.removeAll(keepingCapacity: true)
            keysAddedInFile.removeAll(keepingCapacity: true)
            tombstonesAddedInFile.removeAll()
            memberNamesInFile.removeAll()
            if let replaces {
                for (kind, requestID) in try probe.keys(ofSource: replaces) {
                    guard let kind = SourceKind(rawValue: kind) else { continue }
                    let key = RequestKey(kind: kind, id: requestID)
                    if tombstones.insert(key).inserted { tombstonesAddedInFile.append(key) }
                }
            }
            fileSource = nextSourceID
            nextSourceID += 1
            let source = fileSource, path = sourcePath(index), ingestedAt = ingestedAt
            executor.submit {
                try $0.beginFile()
                if let replaces { try $0.deleteSource(id: replaces) }
                try $0.insertSource(id: source, path: path, member: "", parent: nil, ingestedAt: ingestedAt)
            }
            if replaces != nil { summary.filesReplaced += 1 }
            return false
        case .memberStart(let member):
            // A zip may hold one name twice, and a tar gets a second copy with `tar -r`; names that are not UTF-8
            // can also decode alike. Each is read, and a repeated name is recorded as `name#2`, `name#3`, …
            // (`sources` has one row per (path, member)).
            var uniqueName = member.name
            if let name = member.name {
                var candidate = name
                var copy = 1
                while !memberNamesInFile.insert(candidate).inserted {
                    copy += 1
                    candidate = "\(name)#\(copy)"
                }
                uniqueName = candidate
            }
            memberName = uniqueName
            memberTotals = .init()
            memberSummaryMark = summary
            containers = member.containers.map(\.rawValue).joined(separator: "+")
            stringsAtMemberStart = stringsAddedInFile.count
            keysAtMemberStart = keysAddedInFile.count
            if member.name != nil {
                memberSource = nextSourceID
                nextSourceID += 1
            } else {
                memberSource = fileSource
            }
            let source = memberSource, parent = fileSource, path = sourcePath(fileIndex), ingestedAt = ingestedAt
            executor.submit {
                try $0.beginMember()
                if let name = uniqueName {
                    try $0.insertSource(id: source, path: path, member: name, parent: parent, ingestedAt: ingestedAt)
                }
            }
            return false
        case .batch(let records):
            var rows: [PreparedRow] = []
            rows.reserveCapacity(records.count)
            var newStrings: [(id: Int64, value: String)] = []
            var conflicts: [(InvocationRecord, Int, Int64)] = []
            for decoded in records {
                let record = decoded.record
                memberTotals.records += 1
                let key = RequestKey(kind: record.sourceKind, id: record.requestId)
                if let existing = try existingInvocation(key) {
                    memberTotals.duplicates += 1
                    if existing.contentHash != record.contentHash {
                        memberTotals.conflicts += 1
                        conflicts.append((record, decoded.line, existing.id))
                    }
                    continue
                }
                let id = nextRowID
                nextRowID += 1
                pendingKeys[key] = (id, record.contentHash)
                keysAddedInFile.append(key)
                var resolved = PreparedRow.Dimensions()
                resolved[column: 0] = stringID(record.accountId, column: 0, newStrings: &newStrings)
                resolved[column: 1] = stringID(record.principal, column: 1, newStrings: &newStrings)
                resolved[column: 2] = stringID(record.region, column: 2, newStrings: &newStrings)
                resolved[column: 3] = stringID(record.inferenceRegion, column: 3, newStrings: &newStrings)
                resolved[column: 4] = stringID(record.operation, column: 4, newStrings: &newStrings)
                resolved[column: 5] = stringID(record.rawModelId, column: 5, newStrings: &newStrings)
                resolved[column: 6] = stringID(record.canonicalModel, column: 6, newStrings: &newStrings)
                resolved[column: 7] = stringID(record.routerId, column: 7, newStrings: &newStrings)
                resolved[column: 8] = stringID(record.servedModel, column: 8, newStrings: &newStrings)
                resolved[column: 9] = stringID(record.modelGroup, column: 9, newStrings: &newStrings)
                resolved[column: 10] = stringID(record.deployment, column: 10, newStrings: &newStrings)
                resolved[column: 11] = stringID(record.provider, column: 11, newStrings: &newStrings)
                resolved[column: 12] = stringID(record.errorCode, column: 12, newStrings: &newStrings)
                resolved[column: 13] = stringID(record.errorClass, column: 13, newStrings: &newStrings)
                resolved[column: 14] = stringID(record.tenant, column: 14, newStrings: &newStrings)
                resolved[column: 15] = stringID(record.originalModelGroup, column: 15, newStrings: &newStrings)
                rows.append(PreparedRow(record: record, line: decoded.line, source: memberSource, id: id, dimensions: resolved))
                memberTotals.stored += 1
                if record.routerId != nil {
                    summary.routerRequests += 1
                    if record.flags.contains(.servedModelUnresolved) { summary.unresolvedRouterRequests += 1 }
                }
                if record.flags.contains(.tokensMissing) { summary.tokensMissing += 1 }
                if record.flags.contains(.timestampSuspect) { summary.timestampSuspect += 1 }
            }
            let source = memberSource
            executor.submit { [rows, newStrings, conflicts] writer in
                if !newStrings.isEmpty { try writer.insertStrings(newStrings) }
                try writer.insertRows(rows)
                for (record, line, existing) in conflicts {
                    try writer.insertConflict(record, line: line, source: source, existingID: existing)
                }
            }
            return false
        case .rejection(let rejection):
            memberTotals.records += 1
            memberTotals.rejected += 1
            let source = memberSource, path = files[fileIndex].path, member = memberName
            executor.submit { try $0.insertReject(source: source, path: path, member: member, rejection: rejection) }
            summary.rejectedByReason[rejection.reason.rawValue, default: 0] += 1
            if summary.rejections.count < IngestSummary.rejectionListLimit {
                summary.rejections.append(.init(path: files[fileIndex].path, member: memberName, line: rejection.line,
                                                reason: rejection.reason.rawValue, detail: rejection.detail))
            }
            return false
        case .memberEnd(let member, let layout, let bytes, let discarded):
            if discarded != nil {
                // A bomb: nothing of this member may stay, not even its rejections.
                executor.submit { try $0.discardMember() }
                forgetStrings(from: stringsAtMemberStart)
                forgetKeys(from: keysAtMemberStart)
                let bytesSoFar = summary.uncompressedBytes
                summary = memberSummaryMark
                summary.uncompressedBytes = bytesSoFar + bytes
                return false
            }
            layouts.insert(layout)
            summary.uncompressedBytes += bytes
            summary.membersRead += 1
            let source = memberSource, totals = memberTotals, containers = containers
            executor.submit {
                if member.name != nil {
                    try $0.finishSource(id: source, size: nil, mtime: nil, sha256: nil, containers: containers,
                                        layout: layout, totals: totals)
                }
                try $0.releaseMember()
            }
            fileTotals += memberTotals
            return false
        case .fileEnd(let index, let report):
            let file = files[index]
            let source = fileSource, totals = fileTotals, containers = containers
            let layout = layouts.sorted().joined(separator: ",")
            executor.submit {
                for issue in report.issues {
                    try $0.insertIssue(source: source, path: file.path, member: issue.member,
                                       kind: issue.kind.rawValue, detail: issue.detail)
                }
                try $0.finishSource(id: source, size: file.isStandardInput ? report.compressedBytes : file.size,
                                    mtime: file.isStandardInput ? nil : file.modifiedMicros, sha256: report.sha256,
                                    containers: containers, layout: layout, totals: totals)
                try $0.commitFile()
            }
            for issue in report.issues {
                summary.issues.append(.init(path: file.path, member: issue.member, line: nil,
                                            reason: issue.kind.rawValue, detail: issue.detail))
            }
            for skipped in report.skipped {
                summary.skipped.append(.init(path: file.path, member: skipped.member, line: nil,
                                             reason: skipped.reason.rawValue, detail: "skipped"))
            }
            summary.filesRead += 1
            summary.add(fileTotals)
            summary.compressedBytes += report.compressedBytes
            return true
        case .fileFailed(let index, let reason):
            abandon()
            summary.filesFailed += 1
            summary.issues.append(.init(path: files[index].path, member: nil, line: nil, reason: "failed", detail: reason))
            return true
        }
    }

    func sourcePath(_ index: Int) -> String {
        files[index].isStandardInput
            ? "stdin:\(ingestedAt):\(ProcessInfo.processInfo.processIdentifier)"
            : registryKeys[index]
    }
}
