import Foundation

/// The built executables, next to the running test bundle or benchmark.
public enum Binaries {
    /// The directory holding them.
    public static var directory: String {
        let here = Bundle.main.executableURL?.deletingLastPathComponent().path ?? ".build/debug"
        // A test bundle sits in the build directory; its executable may be one level deeper.
        for candidate in [here, here + "/.."] where FileManager.default.isExecutableFile(atPath: candidate + "/syncctl")
        {
            return candidate
        }
        return here
    }

    /// `sync-server`.
    public static var server: String { directory + "/sync-server" }
    /// `syncctl`.
    public static var syncctl: String { directory + "/syncctl" }
    /// `quartiersync-demo`.
    public static var demo: String { directory + "/quartiersync-demo" }
}
