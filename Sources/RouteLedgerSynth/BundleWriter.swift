import CArchive

/// Packs corpus files into one archive with libarchive's write API, entry by entry, in the order given.
///
/// Entries carry fixed metadata (mode 0644, uid/gid 0, mtime = corpus start) and the gzip filter stores no
/// timestamp, so the archive bytes depend only on the members.
final class BundleWriter {
    private let archive: OpaquePointer
    private let format: SynthBundle
    private let mtime: Int64
    private var closed = false

    init(path: String, format: SynthBundle, mtime: Int64) throws {
        guard let a = archive_write_new() else { throw SynthError.archive("archive_write_new failed") }
        archive = a
        self.format = format
        self.mtime = mtime
        switch format {
        case .tar:
            try check(archive_write_set_format_pax_restricted(a), "set pax format")
            try check(archive_write_add_filter_gzip(a), "add gzip filter")
            try check(archive_write_set_filter_option(a, "gzip", "timestamp", nil), "gzip without timestamp")
            try check(archive_write_set_filter_option(a, "gzip", "compression-level", "6"), "gzip level")
        case .zip:
            try check(archive_write_set_format_zip(a), "set zip format")
        case .none:
            throw SynthError.archive("no bundle format")
        }
        try check(archive_write_open_filename(a, path), "open \(path)")
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    private func check(_ status: Int32, _ what: String) throws {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
            throw SynthError.archive("\(what): \(message)")
        }
    }

    func add(path: String, data: [UInt8]) throws {
        guard let entry = archive_entry_new() else { throw SynthError.archive("archive_entry_new failed") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_filetype(entry, 0o100000)   // AE_IFREG
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, la_int64_t(data.count))
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        if format == .zip {
            // Already-compressed members are stored; JSON text is deflated.
            let store = path.hasSuffix(".gz")
            try check(store ? archive_write_zip_set_compression_store(archive) : archive_write_zip_set_compression_deflate(archive),
                      "zip compression")
        }
        try check(archive_write_header(archive, entry), "header for \(path)")
        var offset = 0
        try data.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = archive_write_data(archive, raw.baseAddress! + offset, raw.count - offset)
                guard written > 0 else {
                    let message = archive_error_string(archive).map { String(cString: $0) } ?? "write failed"
                    throw SynthError.archive("data for \(path): \(message)")
                }
                offset += written
            }
        }
        try check(archive_write_finish_entry(archive), "finish \(path)")
    }

    func close() throws {
        closed = true
        try check(archive_write_close(archive), "close")
    }
}
