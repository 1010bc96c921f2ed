import CommandLineSupport

/// Every `print` of `syncctl` goes through ``Terminal/safe(_:)`` (this shadows the standard
/// library's within the module); JSON and exported CSV call `Swift.print` themselves.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(Terminal.safe(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}
