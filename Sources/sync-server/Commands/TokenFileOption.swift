import ArgumentParser
import Foundation
import SyncKernel

#if canImport(Glibc)
    import Glibc
#endif

/// `--token-file FILE`: the new token goes into a new file readable by its owner only, never
/// onto the terminal (nor into the shell's scrollback or a pasted e-mail).
struct TokenFileOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Write the token into this new file (mode 0600) instead of printing it.", valueName: "file"))
    var tokenFile: String?

    /// Creates the file, empty, before anything is registered: a file that exists already (or
    /// cannot be made) stops the command while nothing has changed.
    func prepare() throws -> FileHandle? {
        guard let tokenFile else { return nil }
        let descriptor = Glibc.open(tokenFile, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else {
            let reason =
                errno == EEXIST
                ? "it exists (a token file is never overwritten): choose a new name, or remove the old file first"
                : String(cString: strerror(errno))
            throw SyncError(.invalidInput, "cannot create the token file \(tokenFile): \(reason)", field: "token-file")
        }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    /// Writes `token` (nil: nothing was issued, and the empty file goes again).
    func finish(_ file: FileHandle?, token: String?) throws {
        guard let file, let tokenFile else { return }
        guard let token else {
            try? file.close()
            try? FileManager.default.removeItem(atPath: tokenFile)
            return
        }
        try file.write(contentsOf: Data((token + "\n").utf8))
        try file.close()
    }

    /// Removes the prepared file after a failure.
    func abandon(_ file: FileHandle?) {
        guard let file, let tokenFile else { return }
        try? file.close()
        try? FileManager.default.removeItem(atPath: tokenFile)
    }
}
